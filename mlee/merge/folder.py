"""Read and check one experiment folder before it is merged: the folder's shape is defined in
:mod:`mlee.runs.run_folder`; this module adds the merge's change detector.
"""

from __future__ import annotations

import hashlib
import os

from mlee.runs.run_folder import (FOLDER_PATTERN, JSON_FILES, REQUIRED_FILES, ExperimentFolder, FolderError,
                                        folder_kind, read_folder)

__all__ = ["FOLDER_PATTERN", "JSON_FILES", "REQUIRED_FILES", "ExperimentFolder", "FolderError", "folder_kind",
           "read_folder", "scan_folder"]


def scan_folder(path: str | os.PathLike) -> tuple[str, frozenset[str]]:
    """(signature, names of the files directly in the folder) from one directory scan.

    The signature is a cheap change detector: a hash of (name, size, mtime) of every file.
    """
    entries, names = [], []
    with os.scandir(path) as it:
        for entry in it:
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                entries.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
                names.append(entry.name)
    entries.sort()
    return hashlib.sha1("|".join(entries).encode("utf-8")).hexdigest()[:16], frozenset(names)
