"""The results table: one Parquet file per results folder with what the loader extracts from each result file.

Each result file contributes its rows (the run, and the training run embedded in an inference file), the name
of its training run, the loader's notes and the reason it is skipped, together with the file's identity on disk
when it was read: size, modification and change times (ns), inode. A later load uses an entry only while its
file still has that identity, so a file changed by hand, replaced, added or removed is parsed again, and only
that file. The change time cannot be set back by a user (``touch -d`` sets the modification time only).
Entries of files changed less than :data:`RACY_NS` before they were read are not kept: a write in the same
tick of the file system's clock would leave the identity unchanged (a merge waits that long before it reads
the files it has just written, see :func:`settled_identities`).

Rows are stored field by field from the loader's row type (:func:`dataclasses.fields`) and its values by key,
so a field or value the loader starts to extract is carried without a change here. The table also records a
fingerprint of the loader's code (:func:`code_fingerprint`): a table written by other code is rebuilt.

Where: ``<folder>/.mlee-table.parquet`` where the folder has one (``merge_results.py`` writes it into the
folders it merges into, holding the merge lock); otherwise the user's cache directory
(``$XDG_CACHE_HOME/mlee/tables``, default ``~/.cache``), so a shared, published or shipped folder is never
written to. Writes are atomic (temporary file + rename); a table that cannot be read is logged and rebuilt.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from mlee.atomic import write_bytes_atomic
from mlee.locks import LOCK_FILE, folder_lock

log = logging.getLogger(__name__)

TABLE_FILE = ".mlee-table.parquet"
FORMAT_VERSION = "1"
#: a file changed this recently (ns) when its identity was taken may change again unseen (within one tick of the
#: file system's clock: 1-10 ms on Linux file systems): its entry is not kept
RACY_NS = 50_000_000
#: stands for the file's own path in the stored notes and reasons (the folder may be read under another name)
_PATH = "\x00"
_ROW, _EMBEDDED, _NO_ROW = 0, 1, 2
_FILE_COLUMNS = ("file", "size", "mtime_ns", "ctime_ns", "ino", "slot", "train_name", "note", "error")

#: identity of a file on disk: (size, modification time ns, change time ns, inode)
FileState = tuple[int, int, int, int]
#: what the loader makes of one file: (row, training run's name, embedded training row, note, skip reason)
Outcome = tuple[Any, Any, Any, Any, Any]


def file_state(path: str) -> FileState | None:
    """The identity of ``path`` on disk, None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def is_racy(state: FileState, taken_ns: int) -> bool:
    """Whether a file of ``state``, taken at ``taken_ns`` (``time.time_ns``), changed too recently to be trusted."""
    return max(state[1], state[2]) >= taken_ns - RACY_NS


@functools.lru_cache(maxsize=1)
def table_library() -> bool:
    """Whether pyarrow can be imported (a dependency of mlee); without it loads read the JSON files, said once."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        log.warning("pyarrow cannot be imported (%s): results are read from their JSON files, without the results "
                    "table (pip install pyarrow)", exc)
        return False
    return True


def cache_dir() -> Path:
    """mlee's folder in the user's cache directory (``$XDG_CACHE_HOME/mlee``, default ``~/.cache/mlee``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlee"


def _folder_key(folder: str) -> str:
    return hashlib.sha1(os.path.realpath(folder).encode("utf-8", "surrogateescape")).hexdigest()[:20]


def table_path(folder: str | os.PathLike) -> Path:
    """Where the table of ``folder`` is: in the folder when it holds one, else in the user's cache directory.

    Parameters
    ----------
    folder
        The results folder.

    Returns
    -------
    Path
        ``<folder>/.mlee-table.parquet`` or ``<cache>/tables/<hash of the folder's real path>.parquet``.
    """
    local = Path(folder) / TABLE_FILE
    if local.is_file():
        return local
    return cache_dir() / "tables" / f"{_folder_key(os.fspath(folder))}.parquet"


def code_fingerprint(modules: Sequence[str] = ("mlee.results", "mlee.metrics")) -> str:
    """A hash of the source of the code that turns result files into rows (every module of ``mlee.results``
    and :mod:`mlee.metrics`): a table or cache written by other code is not used.

    Parameters
    ----------
    modules
        Packages (all their ``.py`` files) and modules whose source counts.

    Returns
    -------
    str
        Hex digest (16 characters).
    """
    import importlib.util

    digest = hashlib.sha1(FORMAT_VERSION.encode())
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None:
            digest.update(name.encode())
            continue
        files = sorted(Path(origin).parent.glob("*.py")) if spec.submodule_search_locations else [Path(origin)]
        for path in files:
            digest.update(path.name.encode())
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"?")
    return digest.hexdigest()[:16]


class ResultsTable:
    """The entries of one results folder's table: per file (path relative to the folder) its identity and what
    the loader made of it.

    Parameters
    ----------
    folder
        The results folder.
    row_type
        The loader's row dataclass (with ``file`` and ``values`` fields).
    fingerprint
        :func:`code_fingerprint` of the code that extracts the rows.
    path
        Where the table is kept; default :func:`table_path`.
    """

    def __init__(self, folder: str | os.PathLike, row_type: type, fingerprint: str,
                 path: Path | None = None) -> None:
        self.folder = os.fspath(folder)
        self.row_type = row_type
        self.fingerprint = fingerprint
        self.path = path or table_path(self.folder)
        #: the folder's path with a trailing separator: a file below it is this prefix + its relative path
        self.folder_prefix = os.path.join(self.folder, "")
        #: the stored rows (a pyarrow Table; None: none stored)
        self.stored: Any = None
        self._entries: dict[str, tuple[FileState, Outcome]] | None = None
        self.changed = False

    # ------------------------------------------------------------------------------------------- reading
    def read(self) -> "ResultsTable":
        """Read the stored entries (none when there is no table, or it is corrupt or of other code: logged)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return self
        except OSError as exc:
            log.warning("results table %s cannot be read (%s); the result files are read instead", self.path,
                        exc.strerror or exc)
            return self
        try:
            import pyarrow.parquet as pq

            # not read_table: it imports pyarrow.dataset, and pandas; no thread pool: Arrow aborts at exit now and
            # then when its pool threads are still alive (apache/arrow#34314), and merges exit right after this
            table = pq.ParquetFile(io.BytesIO(raw)).read(use_threads=False)
            meta = table.schema.metadata or {}
            if meta.get(b"mlee.fingerprint", b"").decode() != self.fingerprint:
                log.info("results table %s was written by other code; it is rebuilt", self.path)
                self.changed = True
                return self
            missing = [c for c in _FILE_COLUMNS if c not in table.column_names]
            if missing:
                raise ValueError(f"columns {', '.join(missing)} missing")
            self.stored = table
        except Exception as exc:  # noqa: BLE001 - a damaged file: pyarrow raises several kinds
            log.warning("results table %s is damaged (%s); it is rebuilt from the result files", self.path, exc)
            self.stored, self.changed = None, True
        return self

    @property
    def entries(self) -> dict[str, tuple[FileState, Outcome]]:
        """Every stored file's (identity, outcome), by path relative to the folder (decoded when first asked)."""
        if self._entries is None:
            self._entries = self._decode(self.stored) if self.stored is not None and self.stored.num_rows else {}
        return self._entries

    def _decode(self, table: Any) -> dict[str, tuple[FileState, Outcome]]:
        """Entries of a stored table: rows rebuilt field by field in the row type's order (a field the table lacks
        is an error: a table of other code)."""
        import numpy as np
        import pyarrow.compute as pc

        n = table.num_rows
        files = table.column("file").to_pylist()
        paths = [self.folder_prefix + rel for rel in files]
        slots = table.column("slot").to_pylist()
        value_keys = [name[2:] for name in table.column_names if name.startswith("v.")]
        # values: one dict per row holding the keys stored for it (null = not extracted, NaN = extracted as NaN)
        values: list[dict[str, float]] = [{} for _ in range(n)]
        if value_keys:
            columns = [table.column("v." + key).combine_chunks() for key in value_keys]
            present = np.column_stack([np.asarray(pc.is_valid(c)) for c in columns])
            numbers = np.column_stack([c.fill_null(0.0).to_numpy(zero_copy_only=False) for c in columns])
            # rows with the same keys present share one pattern (a bit per key): few patterns, built at once
            patterns, which = _patterns(present)
            for p, pattern in enumerate(patterns):
                rows = np.flatnonzero(which == p)
                kept = np.flatnonzero(pattern).tolist()
                keys = [value_keys[j] for j in kept]
                for i, numbers_row in zip(rows.tolist(), numbers[np.ix_(rows, kept)].tolist()):
                    values[i] = dict(zip(keys, numbers_row))
        fields = []
        for f in dataclasses.fields(self.row_type):
            if f.name == "file":
                fields.append(paths)
            elif f.name == "values":
                fields.append(values)
            elif "j." + f.name in table.column_names:
                fields.append([None if v is None else json.loads(v) for v in table.column("j." + f.name).to_pylist()])
            else:
                fields.append(table.column("r." + f.name).to_pylist())
        built = list(itertools.starmap(self.row_type, zip(*fields)))
        states = zip(*(table.column(c).to_pylist() for c in ("size", "mtime_ns", "ctime_ns", "ino")))
        entries: dict[str, list[Any]] = {}
        for i, (rel, path, state, train_name, note, error) in enumerate(zip(
                files, paths, states, table.column("train_name").to_pylist(), table.column("note").to_pylist(),
                table.column("error").to_pylist())):
            entry = entries.get(rel)
            if entry is None:
                entry = entries[rel] = [state, None, train_name, None,
                                        note.replace(_PATH, path) if note else None,
                                        error.replace(_PATH, path) if error else None]
            if slots[i] != _NO_ROW:
                entry[1 if slots[i] == _ROW else 3] = built[i]
        return {rel: (tuple(e[0]), (e[1], e[2], e[3], e[4], e[5])) for rel, e in entries.items()}

    def relative(self, path: str) -> str:
        """``path`` relative to the folder (``..``-prefixed when it is outside)."""
        prefix = self.folder_prefix
        return path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, self.folder)

    def outcome(self, path: str, state: FileState | None) -> Outcome | None:
        """The stored outcome of ``path`` when its entry matches ``state``, else None."""
        if state is None or not self.entries:
            return None
        rel = self.relative(path)
        entry = self.entries.get(rel)
        if entry is None or entry[0] != state:
            return None
        outcome = entry[1]
        stored = self.folder_prefix + rel
        if stored != path:  # the same file named another way (an absolute path, ./x): name it as asked
            row, train_name, embedded, note, error = outcome
            rename = (lambda r: dataclasses.replace(r, file=path) if r is not None else None)
            text = (lambda t: t.replace(stored, path) if t else t)
            outcome = (rename(row), train_name, rename(embedded), text(note), text(error))
        return outcome

    # ------------------------------------------------------------------------------------------- updating
    def update(self, paths: Sequence[str], states: Sequence[FileState | None], taken_ns: int,
               read: Callable[[list[str]], list[Outcome]], complete: bool) -> dict[str, Outcome]:
        """Bring the stored rows up to date: keep those of files whose identity is unchanged, read the others.

        Parameters
        ----------
        paths, states
            The files to load and their identities (:func:`file_state`), taken at ``taken_ns`` before any is read.
        taken_ns
            When the identities were taken (``time.time_ns``).
        read
            The loader's reading function: paths -> outcomes, in order.
        complete
            ``paths`` are every result file of the folder: the rows of other files are dropped.

        Returns
        -------
        dict
            The outcome of every file read now, by its path. Files outside the folder, files that could not be
            stat'ed and racy ones (:data:`RACY_NS`) are read and returned but not stored.
        """
        current: dict[str, tuple[str, FileState | None]] = {self.relative(p): (p, st) for p, st in zip(paths, states)}
        matched: set[str] = set()
        if self.stored is not None and self.stored.num_rows:
            import numpy as np
            import pyarrow as pa
            import pyarrow.compute as pc

            names = list(current)
            now = np.array([st if st is not None else (-1, -1, -1, -1) for _, st in current.values()],
                           dtype=np.int64).reshape(-1, 4)
            where = pc.index_in(self.stored.column("file"), value_set=pa.array(names, pa.string()))
            found = np.asarray(where.is_valid())
            index = np.asarray(where.fill_null(0), dtype=np.int64)
            was = np.column_stack([self.stored.column(c).to_numpy() for c in ("size", "mtime_ns", "ctime_ns", "ino")])
            same = found & (now[index] == was).all(axis=1) if len(names) else np.zeros(len(found), bool)
            keep = same | (~found & (not complete))
            matched = set(pc.unique(self.stored.column("file").filter(pa.array(same))).to_pylist())
            if not keep.all():
                self.stored = self.stored.filter(pa.array(keep))
                self._entries, self.changed = None, True
        to_read = [p for rel, (p, _) in current.items() if rel not in matched]
        fresh = dict(zip(to_read, read(to_read))) if to_read else {}
        new = {}
        for rel, (path, state) in current.items():
            if path in fresh and state is not None and not is_racy(state, taken_ns) and not (
                    rel == os.pardir or rel.startswith(os.pardir + os.sep)):
                new[rel] = (state, fresh[path])
        if new:
            import pyarrow as pa

            added = self._encode(new)
            self.stored = added if self.stored is None else pa.concat_tables([self.stored, added],
                                                                             promote_options="permissive")
            self._entries, self.changed = None, True
        return fresh

    def write(self, lock: bool = True) -> bool:
        """Write the table atomically, holding the folder's merge lock (in the cache: the table's own lock); while
        another process holds it, that process writes and this one does not.

        Parameters
        ----------
        lock
            Take the lock; False when the caller holds it already (a merge).

        Returns
        -------
        bool
            Whether the table was written (a failure is logged, never raised: the result files stay the truth).
        """
        lock_dir = self.path.parent if lock else None
        lock_name = LOCK_FILE if self.path.name == TABLE_FILE else f".{self.path.stem}.lock"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = self.encode()
            with folder_lock(lock_dir, wait=False, lock_file=lock_name) as held:
                if not held:
                    log.info("results table %s is being written by another process; not written", self.path)
                    return False
                write_bytes_atomic(self.path, data)
        except OSError as exc:
            log.warning("results table %s not written (%s); loads read the result files", self.path,
                        exc.strerror or exc)
            return False
        self.changed = False
        return True

    def encode(self) -> bytes:
        """The stored rows as Parquet bytes (with the code fingerprint)."""
        import pyarrow.parquet as pq

        table = self.stored if self.stored is not None else self._encode({})
        table = table.replace_schema_metadata({"mlee.fingerprint": self.fingerprint, "mlee.format": FORMAT_VERSION})
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()

    def _encode(self, entries: dict[str, tuple[FileState, Outcome]]) -> Any:
        """The rows of ``entries`` (relative path -> identity, outcome) as a pyarrow Table."""
        import pyarrow as pa

        row_fields = [f.name for f in dataclasses.fields(self.row_type) if f.name not in ("file", "values")]
        columns: dict[str, list[Any]] = {name: [] for name in _FILE_COLUMNS}
        rows: list[Any] = []
        for rel, (state, (row, train_name, embedded, note, error)) in entries.items():
            path = self.folder_prefix + rel
            parts = [(slot, r) for slot, r in ((_ROW, row), (_EMBEDDED, embedded)) if r is not None] or [(_NO_ROW, None)]
            for slot, r in parts:
                for name, value in zip(_FILE_COLUMNS, (rel, *state, slot, train_name, _placeholder(note, path),
                                                        _placeholder(error, path))):
                    columns[name].append(value)
                rows.append(r)
        arrays = {name: pa.array(values, type=pa.int64() if name in ("size", "mtime_ns", "ctime_ns", "ino")
                                 else (pa.int8() if name == "slot" else pa.string()))
                  for name, values in columns.items()}
        for name in row_fields:
            values = [getattr(r, name) if r is not None else None for r in rows]
            if any(isinstance(v, (dict, list)) for v in values):
                # nested values (a run's specification) as JSON text: Parquet cannot hold an empty struct, and
                # structs unified across rows would gain every other row's keys as nulls
                arrays["j." + name] = pa.array([None if v is None else json.dumps(v) for v in values],
                                               type=pa.string())
            else:
                arrays["r." + name] = pa.array(values)
        values = [r.values if r is not None else {} for r in rows]
        keys: dict[str, None] = {}
        for v in values:
            keys.update(dict.fromkeys(v))
        for key in keys:
            arrays["v." + key] = pa.array([v.get(key) for v in values], type=pa.float64(), from_pandas=False)
        return pa.table(arrays)


def _patterns(present: Any) -> tuple[Any, Any]:
    """(distinct rows of the boolean matrix ``present``, index of each row's pattern among them)."""
    import numpy as np

    if present.shape[1] > 64:
        patterns, which = np.unique(present, axis=0, return_inverse=True)
        return patterns, which.ravel()
    codes = (present.astype(np.uint64) << np.arange(present.shape[1], dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    distinct, first, which = np.unique(codes, return_index=True, return_inverse=True)
    return present[first], which.ravel()


def _placeholder(text: str | None, path: str) -> str | None:
    return text.replace(path, _PATH) if text else text


def outcomes_through_table(paths: list[str], states: list[FileState | None], taken_ns: int,
                           read: Callable[[list[str]], list[Outcome]], table: ResultsTable,
                           complete: bool) -> list[Outcome]:
    """The outcome of every path, from ``table`` where its entry matches the file, else from ``read`` (``table``
    is updated with what was read, see :meth:`ResultsTable.update`).

    Parameters
    ----------
    paths
        The files to load, in order.
    states
        Their identities (:func:`file_state`), taken at ``taken_ns`` before any is read.
    taken_ns
        When the identities were taken (``time.time_ns``).
    read
        The loader's reading function: paths -> outcomes, in order.
    table
        The folder's table (read already).
    complete
        ``paths`` are every result file of the folder: entries of other files are dropped.

    Returns
    -------
    list
        The outcomes in the order of ``paths``.
    """
    fresh = table.update(paths, states, taken_ns, read, complete)
    if len(fresh) == len(paths):
        return [fresh[p] for p in paths]
    return [fresh[p] if p in fresh else table.outcome(p, s) for p, s in zip(paths, states)]


def identities(paths: Sequence[str]) -> tuple[list[FileState | None], int, bool]:
    """(identity of every path, when they were taken, whether none is racy): taken before any file is read.

    Parameters
    ----------
    paths
        The files.

    Returns
    -------
    list, int, bool
        :func:`file_state` of each path, the ``time.time_ns`` they were taken at, and whether every file has one
        and none changed within :data:`RACY_NS` before.
    """
    taken = time.time_ns()
    states = [file_state(p) for p in paths]
    stable = all(s is not None and not is_racy(s, taken) for s in states)
    return states, taken, stable


def settled_identities(paths: Sequence[str]) -> tuple[list[FileState | None], int]:
    """:func:`identities` taken once no file is racy: waits (at most :data:`RACY_NS`) when some file changed
    just now, e.g. the files a merge has just written.

    Parameters
    ----------
    paths
        The files.

    Returns
    -------
    list, int
        Their identities and when they were taken (``time.time_ns``).
    """
    states, taken, stable = identities(paths)
    if not stable:
        newest = max((max(s[1], s[2]) for s in states if s is not None), default=0)
        time.sleep(min(RACY_NS, max(0, newest + RACY_NS - taken)) / 1e9 + 0.001)
        states, taken, _ = identities(paths)
    return states, taken
