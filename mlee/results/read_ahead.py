"""Read many small files in order while the kernel fetches the next ones from disk.

A file that is not in the page cache costs a disk round trip; read one after another, 20,000 result files
wait for the disk 20,000 times (2.5 s for 250 MB on this project's virtual disk, 1.0 s with read-ahead).
:func:`read_ahead` opens each file ``ahead`` files before it is read and tells the kernel it will be needed
(``posix_fadvise(POSIX_FADV_WILLNEED)``, which starts the read in the background), so many requests are in
flight while the caller parses the files already read. No threads: the hint is one system call per file, and
files in the page cache cost nothing extra. Without ``posix_fadvise`` (not Linux) files are read in order.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Iterable, Iterator

#: files opened and announced to the kernel ahead of the one being read (bounds the open descriptors)
AHEAD = 64
_ADVISE = getattr(os, "posix_fadvise", None)
_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", 0)
_CHUNK = 1 << 20


def _open(path: str) -> int | OSError:
    """A read-only descriptor of ``path`` whose content the kernel starts fetching, or the OSError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return exc
    if _ADVISE is not None:
        try:
            _ADVISE(fd, 0, 0, _WILLNEED)
        except OSError:
            pass  # a hint only: a file system that ignores it is read as usual
    return fd


def _read(opened: int | OSError) -> bytes | OSError:
    """The whole content of an open descriptor (closed afterwards), or the OSError."""
    if isinstance(opened, OSError):
        return opened
    try:
        # one buffer of the file's size (+1 to notice growth), not a large one shrunk afterwards: a 1 MB buffer
        # per file costs fresh memory pages on every read
        chunks = [os.read(opened, os.fstat(opened).st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(opened, _CHUNK))
        return chunks[0] if len(chunks) == 2 else b"".join(chunks)
    except OSError as exc:
        return exc
    finally:
        os.close(opened)


def read_file(path: str) -> bytes | OSError:
    """The bytes of one file, or the OSError opening or reading it."""
    return _read(_open(path))


def read_ahead(paths: Iterable[str], ahead: int = AHEAD) -> Iterator[tuple[str, bytes | OSError]]:
    """(path, its bytes or the OSError opening or reading it) for every path, in order."""
    pending: deque[tuple[str, int | OSError]] = deque()
    try:
        for path in paths:
            pending.append((path, _open(path)))
            if len(pending) > ahead:
                done, opened = pending.popleft()
                yield done, _read(opened)
        while pending:
            done, opened = pending.popleft()
            yield done, _read(opened)
    finally:  # the caller stopped early: close what is still open
        for _, opened in pending:
            if isinstance(opened, int):
                os.close(opened)
