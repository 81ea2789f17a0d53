"""The results one ELEx server shows: loaded once at start, immutable, shared by all sessions.

Everything that depends on a user's settings is computed per request from the settings dict the page
sends (:mod:`mlee.elex.state`); rated tables and summaries are cached by the hash of that dict in a
small thread-safe LRU, so two users with different settings never see each other's ratings and the
same settings are rated only once.
"""

from __future__ import annotations

import base64
import datetime
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlee.elex.state import settings_from_store, store_key
from mlee.metrics import METRICS, UNRATED_METRICS

log = logging.getLogger(__name__)


class _LRU:
    """A small thread-safe least-recently-used cache. A value asked for while another thread computes it is
    waited for, not computed again: a click's request often arrives while the hover just before it still draws
    the same label, and two threads computing it under the GIL made both slow."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            pending = self._pending.get(key)
            if pending is None:
                self._pending[key] = threading.Event()
        if pending is not None:  # another thread computes it: wait, then take its value (or compute on failure)
            pending.wait()
            with self._lock:
                if key in self._items:
                    return self._items[key]
            return make()
        try:
            value = make()  # computed outside the lock: other keys are not held up
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._pending.pop(key).set()


class ExplorerData:
    """The aggregated results table of one results folder plus cached ratings per settings.

    Parameters
    ----------
    table: the aggregated table of :func:`mlee.results.aggregate_runs` (one row per dataset, task,
        environment, model).
    directory: the folder it was loaded from (shown in the page).
    """

    def __init__(self, table: pd.DataFrame, directory: str | Path = "") -> None:
        if table.empty:
            raise ValueError(f"no results to explore in {str(directory)!r}: point --directory at a folder of "
                             f"merged results (merge_results.py output or the published results)")
        #: what loading reported (files skipped with the reason, values not used): shown in the page
        self.load_warnings: list[str] = [str(w) for w in table.attrs.get("warnings", [])]
        self.table = table.reset_index(drop=True)
        self.directory = str(directory)
        names = self.table[["dataset", "dataset_display"]].drop_duplicates("dataset")
        order = sorted(zip(names["dataset_display"].astype(str), names["dataset"]), key=lambda p: p[0].lower())
        #: (dataset key, display name), sorted by display name
        self.datasets: list[tuple[str, str]] = [(key, display) for display, key in order]
        #: every environment, sorted: its position picks its marker symbol everywhere
        self.environments: list[str] = sorted(self.table["environment"].astype(str).unique())
        #: metric keys the axes offer: every classification metric, and an optional one (robustness...), a
        #: regression one (R^2 ...) or an unrated one (CO2e, net energy) only where a result has it
        self.metric_keys: list[str] = [m.key for m in (*METRICS, *UNRATED_METRICS)
                                       if (not m.optional and "classification" in m.learning_tasks)
                                       or (m.key in self.table and self.table[m.key].notna().any())]
        #: (dataset, task, environment, model) of every row: a selection checks it on every hover and click
        self._keys: frozenset[tuple[str, str, str, str]] = frozenset(zip(
            *(self.table[c].astype(str) for c in ("dataset", "task", "environment", "model"))))
        self._rated = _LRU(32)
        self._summaries = _LRU(512)
        self._labels = _LRU(512)

    @classmethod
    def load(cls, directory: str | Path, extra: Sequence[Path] = ()) -> "ExplorerData":
        """Load and aggregate every result under ``directory`` (Contract 3 or published layout) and under the
        ``extra`` folders that exist (e.g. where ELEx merges the runs launched from its page)."""
        from mlee.results import aggregate_runs, load_results
        from mlee.results.loader import result_files

        path = Path(directory)
        if not path.is_dir():
            raise FileNotFoundError(f"results folder {str(path)!r} does not exist: pass --directory with a folder "
                                    f"of merged results, e.g. ../shared/reference/published-results")
        files = result_files(path) + [f for folder in extra if folder.is_dir() for f in result_files(folder)]
        runs = load_results(path, files=files)
        table = aggregate_runs(runs)
        log.info("loaded %d runs -> %d rows from %s", len(runs), len(table), path)
        return cls(table, path)

    # ----------------------------------------------------------------------------------------- choices
    def dataset_keys(self) -> list[str]:
        """Dataset keys in display order."""
        return [key for key, _ in self.datasets]

    def environments_of(self, dataset: str, task: str) -> list[str]:
        """Environments with results for ``dataset`` and ``task`` (in global environment order)."""
        rows = self.table[(self.table["dataset"] == dataset) & (self.table["task"] == task)]
        present = set(rows["environment"].astype(str))
        return [env for env in self.environments if env in present]

    def models_of(self, dataset: str) -> list[str]:
        """Models with results on ``dataset``, sorted."""
        return sorted(self.table.loc[self.table["dataset"] == dataset, "model"].astype(str).unique())

    def learning_task_of(self, dataset: str) -> str:
        """``"regression"`` when ``dataset``'s results are a regressor's, else ``"classification"``."""
        if "learning_task" not in self.table.columns:
            return "classification"
        values = self.table.loc[self.table["dataset"] == dataset, "learning_task"].astype(str)
        return "regression" if (values == "regression").any() else "classification"

    def tasks_of(self, dataset: str) -> list[str]:
        """Tasks with results on ``dataset``."""
        return sorted(self.table.loc[self.table["dataset"] == dataset, "task"].astype(str).unique())

    # ----------------------------------------------------------------------------------------- ratings
    def rated(self, store: dict[str, Any] | None) -> pd.DataFrame:
        """The whole table rated with the settings ``store`` describes (cached per settings)."""
        from mlee.rating import rate

        key = store_key(store)
        return self._rated.get(key, lambda: rate(self.table, settings_from_store(store)))

    def summary(self, store: dict[str, Any] | None, dataset: str, task: str, environment: str,
                model: str) -> Any:
        """The :class:`~mlee.rating.summary.ModelSummary` of one model under ``store``'s settings (cached)."""
        from mlee.rating import summarise

        key = (store_key(store), dataset, task, environment, model)
        return self._summaries.get(key, lambda: summarise(self.rated(store), settings_from_store(store),
                                                          dataset=dataset, task=task,
                                                          environment=environment, model=model))

    def label_src(self, store: dict[str, Any] | None, summary: Any) -> str:
        """``data:`` URL of the label SVG of ``summary`` (cached per settings, model and issue date: hovering a
        point again does not draw its label again)."""
        from mlee.label import render_label

        today = datetime.date.today()
        key = (store_key(store), summary.dataset, summary.task, summary.environment, summary.model, today)
        return self._labels.get(key, lambda: "data:image/svg+xml;base64," + base64.b64encode(
            render_label(summary, fmt="svg", issue_date=today)).decode("ascii"))

    def _rows(self, dataset: str, task: str, environment: str, model: str) -> pd.DataFrame:
        t = self.table
        return t[(t["dataset"] == dataset) & (t["task"] == task) & (t["environment"] == environment)
                 & (t["model"] == model)]

    def has_row(self, dataset: str, task: str, environment: str, model: str) -> bool:
        """True when the table has a row for this model."""
        return (dataset, task, environment, model) in self._keys

    # ----------------------------------------------------------------------------------------- logs
    def logs(self, dataset: str, task: str, environment: str, model: str) -> list[dict[str, Any]]:
        """The full merged result files of every run of one model, as parsed JSON, in file order."""
        rows = self._rows(dataset, task, environment, model)
        if rows.empty:
            raise KeyError(f"no results for {model!r} on {dataset!r} ({task}, {environment})")
        from mlee.results import read_result_file

        files = rows.iloc[0]["files"]
        out = []
        for name in list(files):
            out.append({"file": str(name), "content": read_result_file(name)})
        return out
