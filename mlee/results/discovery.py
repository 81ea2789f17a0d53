"""Find the result files below a results folder, following folder links only where they stay inside it.

Every ``*.json`` below the folder is a candidate; hidden files and folders (``.name``: the merger's state file,
half-written temporaries) are skipped. A symbolic link to a folder is followed when its target lies inside the
results folder and has not been read yet (by device and inode); a link to the folder itself or one of its
ancestors (``ln -s . loop``, ``ln -s .. up``), to a folder already read, or out of the results folder is not
followed, and each such link is logged once with the reason. A link that cannot be resolved (a loop of links,
a dangling link) is logged and skipped. Links to files are read as files.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def result_files(directory: str | os.PathLike) -> list[str]:
    """Every ``*.json`` below ``directory`` (sorted paths as strings), skipping hidden files and folders.

    Parameters
    ----------
    directory
        The results folder.

    Returns
    -------
    list of str
        Paths below ``directory`` (through the links followed), sorted.
    """
    top = os.fspath(directory)
    root = os.path.realpath(top)
    stat = os.stat(top)
    visited = {(stat.st_dev, stat.st_ino)}
    found: list[str] = []
    stack = [top]
    while stack:
        current = stack.pop()
        with os.scandir(current) as it:
            for entry in it:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError as exc:  # ELOOP: links pointing at each other
                    log.warning("not read: %s (%s)", entry.path, exc.strerror or exc)
                    continue
                if is_dir:
                    if _follow(entry, root, visited):
                        stack.append(entry.path)
                elif name.endswith(".json"):
                    found.append(entry.path)
    found.sort()
    return found


def _follow(entry: os.DirEntry, root: str, visited: set[tuple[int, int]]) -> bool:
    """Whether to read the folder ``entry`` (marks it visited); logs why a linked folder is not read."""
    try:
        stat = entry.stat()
    except OSError as exc:
        log.warning("not read: %s (%s)", entry.path, exc.strerror or exc)
        return False
    key = (stat.st_dev, stat.st_ino)
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        if _inside(root, target):
            reason = "it points to the results folder or a folder above it"
        elif not _inside(target, root):
            reason = (f"it points out of the results folder (to {target}); pass that folder itself to read its "
                      f"results")
        elif key in visited:
            reason = "its folder is read already"
        else:
            reason = ""
        if reason:
            log.warning("folder link %s not followed: %s", entry.path, reason)
            return False
    if key in visited:
        return False
    visited.add(key)
    return True
