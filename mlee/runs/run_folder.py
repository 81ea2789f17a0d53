"""The shape of one run folder (the format of ``FORMATS.md``, defined here only): its name, its files, that
each parses, and that the two halves of a run belong together.

A folder is ``train_<timestamp>[_<n>]`` or ``infer_<timestamp>[_<n>]`` with ``config.json``,
``execution_platform.json``, ``requirements.txt``, ``results.json`` and ``measurement.json``
(``logfile.txt`` is kept in archives only). Anything missing, unreadable or inconsistent raises
:class:`FolderError` whose message names the folder, the reason and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlee.errors import MleeError
from mlee.results import jsonio
from mlee.results.loader import train_folder_name

FOLDER_PATTERN = re.compile(r"^(train|infer)_\d{4}(_\d{2}){5}(_\d+)?$")
JSON_FILES = ("config.json", "execution_platform.json", "results.json", "measurement.json")
REQUIRED_FILES = JSON_FILES + ("requirements.txt",)


class FolderError(MleeError, ValueError):
    """An experiment folder that cannot be merged; the message says why and what to do."""


@dataclass
class ExperimentFolder:
    """The parsed content of one experiment folder."""

    path: Path
    name: str
    kind: str  # "train" or "infer"
    config: dict[str, Any]
    platform: dict[str, Any]
    requirements: list[str]
    results: dict[str, Any]
    measurement: dict[str, Any]

    @property
    def train_name(self) -> str | None:
        """Folder name of the training run of an inference folder (from ``config.train_logdir``)."""
        return train_folder_name(self.config)


def folder_kind(name: str) -> str | None:
    """``"train"`` / ``"infer"`` for an experiment folder name, None for anything else."""
    match = FOLDER_PATTERN.match(name)
    return match.group(1) if match else None


def _load_json(path: Path, folder: str) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FolderError(f"{folder}: {path.name} is missing (the run did not finish writing); "
                          f"re-run the experiment or delete the folder") from None
    except OSError as exc:
        raise FolderError(f"{folder}: {path.name} cannot be read ({exc.strerror or exc}); check permissions") from None
    if not raw.strip():
        raise FolderError(f"{folder}: {path.name} is empty (half-written?); re-run the experiment or delete "
                          f"the folder")
    try:
        return jsonio.loads(raw)
    except (jsonio.JSONDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise FolderError(f"{folder}: {path.name} is not valid JSON ({exc}); the file is truncated or corrupt - "
                          f"re-run the experiment or delete the folder") from None


def _object(value: Any, name: str, folder: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FolderError(f"{folder}: {name} must hold a JSON object, found {type(value).__name__}; "
                          f"re-run the experiment or delete the folder")
    return value


def _file_names(path: Path) -> frozenset[str]:
    with os.scandir(path) as it:
        return frozenset(entry.name for entry in it if entry.is_file(follow_symlinks=False))


def read_folder(path: str | os.PathLike, files: Collection[str] | None = None) -> ExperimentFolder:
    """Parse and check one experiment folder; raises :class:`FolderError` with the reason when unusable.

    ``files``: the names of the files in the folder if the caller has just listed them (spares the checks).
    """
    path = Path(path)
    name = path.name
    kind = folder_kind(name)
    if kind is None:
        raise FolderError(f"{name}: not an experiment folder name (train_/infer_<YYYY_MM_DD_HH_MM_SS>)")
    if files is None:
        files = _file_names(path) if path.is_dir() else frozenset()
    error_file = path / "error.json"
    if "error.json" in files:
        try:
            error = jsonio.loads(error_file.read_bytes())
            message = str(error.get("error", "")) if isinstance(error, dict) else str(error)
        except (OSError, ValueError):
            message = "error.json unreadable"
        raise FolderError(f"{name}: the run failed ({message.strip() or 'no message'}); see its error.json and "
                          f"logfile.txt, fix the cause and run the experiment again")
    missing = [f for f in REQUIRED_FILES if f not in files]
    if missing:
        raise FolderError(f"{name}: incomplete, {', '.join(missing)} missing; re-run the experiment or delete "
                          f"the folder")
    config = _object(_load_json(path / "config.json", name), "config.json", name)
    platform = _object(_load_json(path / "execution_platform.json", name), "execution_platform.json", name)
    results = _object(_load_json(path / "results.json", name), "results.json", name)
    measurement = _object(_load_json(path / "measurement.json", name), "measurement.json", name)
    for key in ("dataset", "model"):
        if not config.get(key):
            raise FolderError(f"{name}: config.json lacks {key!r}; the folder was not written by "
                              f"evaluate_sklearn.py - delete it or fix config.json")
    if not isinstance(results.get("model"), dict):
        raise FolderError(f"{name}: results.json lacks the 'model' object (params, fsize, flops); re-run the "
                          f"experiment")
    if kind == "infer":
        if not isinstance(results.get("metrics"), dict):
            raise FolderError(f"{name}: results.json lacks 'metrics' (accuracy, f1, ...); re-run the experiment")
        if not config.get("train_logdir"):
            raise FolderError(f"{name}: config.json lacks 'train_logdir', the inference run cannot be paired "
                              f"with its training run")
    try:
        text = (path / "requirements.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FolderError(f"{name}: requirements.txt cannot be read ({exc}); re-run the experiment") from None
    requirements = [line.strip() for line in text.splitlines() if line.strip()]
    return ExperimentFolder(path, name, kind, config, platform, requirements, results, measurement)


def halves_match(train: ExperimentFolder, infer: ExperimentFolder) -> bool:
    """Whether ``train`` is the training half of the run ``infer`` belongs to.

    Parameters
    ----------
    train, infer : ExperimentFolder
        A training folder and an inference folder, both read by :func:`read_folder`.

    Returns
    -------
    bool
        True where ``infer`` names ``train`` (``config.train_logdir``) and both record the same ``run_id``
        (folders written before runs had one match on both lacking it).
    """
    return infer.train_name == train.name and train.config.get("run_id") == infer.config.get("run_id")
