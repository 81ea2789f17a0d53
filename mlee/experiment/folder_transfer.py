"""Run folders as plain data, so that a run measured on another machine is written by the client.

A cluster worker runs an experiment into a scratch folder of its own and returns the folders' files as
:class:`FolderContents` (bytes per file name). The client writes them under its output directory with
:func:`write_run_folders`, into hidden ``.tmp-`` folders that are renamed only when every folder of the run is
written: a reader sees a run complete or not at all, and no shared file system is needed. The layout is the
one an in-process run writes (``train_<ts>`` and ``infer_<ts>``, Contract 2); ``config.json`` is rewritten
to name the client's output directory and the training folder's final name.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlee.atomic import write_bytes_atomic, write_json_atomic
from mlee.experiment.folders import RunFolder, reserve_folder

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


def read_folder(path: Path) -> FolderContents:
    """The files of the finished run folder ``path`` (``<kind>_<stamp>[_<n>]``)."""
    kind, rest = path.name.split("_", 1)
    files = {child.name: child.read_bytes() for child in sorted(path.iterdir()) if child.is_file()}
    return FolderContents(kind, rest[:_STAMP_LENGTH], files)


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
                    if contents.kind == "infer" and train_name is not None:
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
