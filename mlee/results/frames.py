"""The loaded run table of a folder, kept in the user's cache directory until one of its files changes.

Building the run table from the results table's rows (pairing training and inference runs, naming environments,
sorting) costs more than reading it: the finished table is kept as Parquet in
``$XDG_CACHE_HOME/mlee/frames`` with a digest of what it was built from (the loader's code fingerprint, every
file's path and identity on disk, see :func:`mlee.results.table.file_state`). A load whose digest differs
builds the table again; one that cannot read or write the cache loads as if there were none.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from array import array
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from mlee.atomic import write_bytes_atomic
from mlee.results.table import FileState, cache_dir

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

_NONE: FileState = (-1, -1, -1, -1)


def frame_digest(fingerprint: str, paths: Sequence[str], states: Sequence[FileState | None]) -> str:
    """Digest of a load: code fingerprint, file paths (in order) and their identities.

    Parameters
    ----------
    fingerprint
        :func:`mlee.results.table.code_fingerprint`.
    paths
        The files loaded.
    states
        Their identities (None: could not be stat'ed).

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha1(fingerprint.encode())
    digest.update("\0".join(paths).encode("utf-8", "surrogateescape"))
    digest.update(array("q", chain.from_iterable(s or _NONE for s in states)).tobytes())
    return digest.hexdigest()


def frame_path(folder: str | os.PathLike, explicit_files: bool) -> Path:
    """Cache file of the run table of ``folder`` (a load of given files keeps its own)."""
    key = os.path.realpath(os.fspath(folder)) + ("\0files" if explicit_files else "")
    return cache_dir() / "frames" / f"{hashlib.sha1(key.encode('utf-8', 'surrogateescape')).hexdigest()[:20]}.parquet"


def read_frame(path: Path, digest: str) -> "pd.DataFrame | None":
    """The cached run table at ``path`` when it was built from ``digest``, else None (logged when damaged)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(io.BytesIO(raw))
        meta = parquet.schema_arrow.metadata or {}
        if meta.get(b"mlee.digest", b"").decode() != digest:
            return None
        frame = parquet.read(use_threads=False).to_pandas(use_threads=False)  # no thread pool: see table.py
        frame.attrs["warnings"] = json.loads(meta[b"mlee.warnings"])
    except Exception as exc:  # noqa: BLE001 - a damaged file: pyarrow raises several kinds
        log.warning("cached run table %s is damaged (%s); the table is built again", path, exc)
        return None
    return frame


def write_frame(path: Path, digest: str, frame: "pd.DataFrame") -> None:
    """Keep ``frame`` (built from ``digest``) at ``path``, atomically; a failure is logged, never raised."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta.update({b"mlee.digest": digest.encode(),
                     b"mlee.warnings": json.dumps(frame.attrs.get("warnings", [])).encode()})
        sink = io.BytesIO()
        pq.write_table(table.replace_schema_metadata(meta), sink, compression="zstd")
        write_bytes_atomic(path, sink.getvalue())
    except (OSError, ValueError, TypeError) as exc:
        log.warning("run table not kept in the cache %s (%s)", path, exc)
