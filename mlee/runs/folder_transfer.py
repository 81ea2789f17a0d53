"""A run as plain data (:class:`RunRecord`: its folders' files as bytes) and the one function that writes it.

:func:`mlee.runs.runner.measure_run` measures a run into a record, in this process or on a cluster worker
(which sends the record back); :func:`write_run_folders` writes its folders under the output directory, into
hidden ``.tmp-`` folders renamed only when every file of the run is written, inference first: a reader sees a
run complete or not at all, and no shared file system is needed. The layout is described in ``FORMATS.md``;
``config.json`` is completed here with the output directory and the training folder's final name.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mlee.atomic import write_bytes_atomic, write_json_atomic
from mlee.runs.folders import RunFolder, reserve_folder

#: Length of the ``YYYY_MM_DD_HH_MM_SS`` timestamp in a run folder's name.
_STAMP_LENGTH = 19


@dataclass
class FolderContents:
    """One finished run folder as data: ``kind`` (``train``/``infer``), the name's ``stamp`` (local time
    ``YYYY_MM_DD_HH_MM_SS`` where it ran) and ``files`` (file name -> bytes; run folders hold no subfolders)."""

    kind: str
    stamp: str
    files: dict[str, bytes]

    @property
    def size(self) -> int:
        """Bytes of all files."""
        return sum(len(data) for data in self.files.values())


@dataclass
class RunRecord:
    """One measured run as plain data: what :func:`mlee.runs.runner.measure_run` returns, a cluster worker
    sends back and :func:`mlee.runs.runner.write_record` writes. ``folders``: the training folder, then
    the inference folder (absent when training failed); ``error``: why the run failed (None when it did not);
    ``identity``: the run's identity (None when its hyperparameters never resolved)."""

    dataset: str
    method: str
    repeat: int
    run_id: str
    identity: str | None = None
    error: str | None = None
    folders: list[FolderContents] = field(default_factory=list)


def write_run_folders(output_dir: Path, folders: list[FolderContents], recorded_output_dir: str) -> list[Path]:
    """Write the folders of one run under ``output_dir``; returns their final paths in the same order.

    Each folder keeps its timestamp (a ``_<n>`` suffix is added when the name is taken). ``config.json`` gets
    ``output_dir = recorded_output_dir`` (as the user gave it) and, in an ``infer`` folder, ``train_logdir``
    pointing at the ``train`` folder written here. All folders are renamed to their final names only after
    every file of the run is written; on any error (or ``KeyboardInterrupt``) the temporary folders are removed.
    """
    reserved: list[RunFolder] = []
    train_name: str | None = None
    try:
        for contents in folders:
            folder = reserve_folder(output_dir, contents.kind, stamp=contents.stamp)
            reserved.append(folder)
            for name, data in contents.files.items():
                if name == "config.json":
                    config = json.loads(data)
                    config["output_dir"] = recorded_output_dir
                    if contents.kind == "infer":
                        config["train_logdir"] = str(Path(recorded_output_dir) / train_name)
                    write_json_atomic(folder.tmp_path / name, config)
                else:
                    write_bytes_atomic(folder.tmp_path / name, data)
            if contents.kind == "train":
                train_name = folder.name
        # inference first: a training folder alone would look like a result; an inference folder alone is
        # unusable (no training folder), so a kill between the renames leaves nothing taken for complete
        return list(reversed([folder.finish() for folder in reversed(reserved)]))
    except BaseException:
        for folder in reserved:
            if not folder.finished:
                shutil.rmtree(folder.tmp_path, ignore_errors=True)
        raise
