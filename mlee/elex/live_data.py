"""The results an ELEx server shows, reloadable while it serves: runs launched from the page appear without a restart.

:class:`LiveData` holds one immutable :class:`~mlee.elex.data.ExplorerData` and answers every attribute of it, so
the page's callbacks use it as they use ``ExplorerData``. :meth:`LiveData.reload` loads the folders again and swaps
the whole object at once (a request sees the old or the new table, never a mix); ``version`` counts the swaps so
that open pages know when to redraw. Result files merged by this server's runs are remembered as *new*.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from mlee.elex.data import ExplorerData
from mlee.elex.figures import NEW_RING_COLOUR

log = logging.getLogger(__name__)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class LiveData:
    """The results of ``directory`` plus those of ``extra`` folders (e.g. where the page's runs are merged, when
    that is not below ``directory``), as one :class:`ExplorerData` that :meth:`reload` replaces (``data``: the
    first one, already loaded)."""

    def __init__(self, directory: str | Path, extra: list[Path] | None = None,
                 data: ExplorerData | None = None) -> None:
        self.directory = Path(directory)
        self.extra = [p for p in (extra or []) if not _inside(p, self.directory)]
        self.version = 0
        self._new_files: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._current = data if data is not None else self._load()

    def _load(self) -> ExplorerData:
        return ExplorerData.load(self.directory, self.extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)

    @property
    def current(self) -> ExplorerData:
        """The results shown now."""
        return self._current

    def reload(self, new_files: list[Path] | None = None, also: list[Path] | None = None) -> None:
        """Load the folders again and show the result; ``new_files`` are remembered as new (merged by this
        server); ``also``: folders shown from now on besides ``directory`` (where this server merges its runs).
        A failed load keeps the current results (logged)."""
        with self._lock:
            self.extra += [p for p in also or [] if p not in self.extra and not _inside(p, self.directory)]
            try:
                loaded = self._load()
            except (OSError, ValueError) as exc:
                log.error("reloading the results failed, keeping the shown ones: %s", exc)
                return
            self._new_files = self._new_files | {os.path.realpath(p) for p in new_files or []}
            self._current = loaded
            self.version += 1
        log.info("results reloaded (version %d): %d rows", self.version, len(loaded.table))

    def new_models(self, dataset: str, task: str) -> set[tuple[str, str]]:
        """(environment, model) of the rows of ``dataset`` and ``task`` that hold a result file merged by this
        server (a new point, or a point whose mean now includes new runs)."""
        new = self._new_files
        if not new:
            return set()
        table = self._current.table
        rows = table[(table["dataset"] == dataset) & (table["task"] == task)]
        return {(str(env), str(model)) for env, model, files in zip(rows["environment"], rows["model"], rows["files"])
                if any(os.path.realpath(f) in new for f in files)}


def mark_new(figure: dict[str, Any], new: set[tuple[str, str]]) -> dict[str, Any]:
    """Add to a scatter ``figure`` (a plotly figure dict) a ring around each point whose ``customdata``
    (environment, model) is in ``new``, as one legend entry "new"; returns the figure."""
    if not new:
        return figure
    xs, ys = [], []
    for trace in figure.get("data", []):
        for x, y, point in zip(trace.get("x") or [], trace.get("y") or [], trace.get("customdata") or []):
            if (str(point[0]), str(point[1])) in new:
                xs.append(x)
                ys.append(y)
    if xs:
        figure["data"].append({
            "type": "scatter", "mode": "markers", "name": "new", "x": xs, "y": ys, "hoverinfo": "skip",
            "marker": {"symbol": "circle-open", "size": 24, "color": NEW_RING_COLOUR, "line": {"width": 3}},
            "showlegend": True, "meta": "new-points"})
    return figure
