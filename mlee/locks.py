"""Advisory folder locks: one writer at a time for a folder's shared files (merged results, their table)."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

#: the lock file of a folder that merged results (and their table) are written into
LOCK_FILE = ".mlee-merge.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike | None, wait: bool = True, lock_file: str = LOCK_FILE) -> Iterator[bool]:
    """Hold ``<folder>/<lock_file>`` (an exclusive ``flock``) for the block.

    Parameters
    ----------
    folder
        The folder to lock; None locks nothing (the block runs, yielding True).
    wait
        Wait for another holder to finish (logging that it waits); False: yield False at once when the lock is
        held by someone else.
    lock_file
        Name of the lock file inside ``folder``.

    Yields
    ------
    bool
        Whether the block holds the lock. Where it cannot be taken at all (no ``fcntl``, a read-only folder) the
        block runs unlocked and True is yielded: the writes themselves then report their errors.
    """
    if folder is None:
        yield True
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    try:
        handle = open(Path(folder) / lock_file, "a")
    except OSError as exc:
        log.warning("cannot lock %s (%s); writing without the lock", folder, exc)
        yield True
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            log.warning("another merge is writing into %s; waiting for it to finish", folder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
