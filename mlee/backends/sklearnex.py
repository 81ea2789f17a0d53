"""The scikit-learn-intelex backend: oneDAL-accelerated classes where they exist, and what actually ran per call.

The accelerated classes are imported from ``sklearnex.*`` directly (no ``patch_sklearn()``), so one process can
run both backends. For our methods sklearnex has kNN, SVM, RF, XRF and LR (:data:`ACCELERATED`); the other five
use scikit-learn's classes. An accelerated class still falls back to scikit-learn for settings oneDAL lacks
(e.g. RF with ``criterion="entropy"``, LR with ``solver="saga"``). sklearnex says so per call on its
``sklearnex`` logger at INFO ("<estimator>.<method>: running accelerated version on CPU" / "...: fallback to
original Scikit-learn"); :func:`trace` collects those messages around a fit or predict and :class:`CallTrace`
turns them into a provenance record for ``results.json``.

Fallback stays allowed: scikit-learn-intelex's ``allow_sklearn_after_onedal=False`` only forbids a fallback
*after* oneDAL started and failed at run time, not the fallbacks for unsupported settings, so it cannot make a
run "accelerated only"; the record says what ran instead.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

#: method full name -> sklearnex class; other methods use scikit-learn's estimator of ``methods.json``
ACCELERATED: dict[str, str] = {
    "k-Nearest Neighbors": "sklearnex.neighbors.KNeighborsClassifier",
    "Support Vector Machine": "sklearnex.svm.SVC",
    "Random Forest": "sklearnex.ensemble.RandomForestClassifier",
    "Extra Random Forest": "sklearnex.ensemble.ExtraTreesClassifier",
    "Logistic Regression": "sklearnex.linear_model.LogisticRegression",
}

DISTRIBUTION = "scikit-learn-intelex"
_MESSAGE = re.compile(r"^\s*(?P<call>[\w.]+):\s*(?P<what>running accelerated version on (?P<device>\w+)|fallback)")


def version() -> str:
    """Installed scikit-learn-intelex version (its ``__version__`` is a build placeholder)."""
    return importlib.metadata.version(DISTRIBUTION)


def require() -> None:
    """Raise :class:`ImportError` with the install command when scikit-learn-intelex is missing."""
    try:
        importlib.import_module("sklearnex")
    except ImportError as exc:
        raise ImportError(f"--backend sklearnex needs scikit-learn-intelex ({exc}). Install it with: "
                          f"pip install 'mlee[sklearnex]' (or pip install scikit-learn-intelex)") from None


@dataclass
class CallTrace:
    """What sklearnex reported for the calls of one phase: per ``<estimator>.<method>`` call name the outcome
    (``"accelerated"`` or ``"fallback"``; a call that started on oneDAL and then fell back counts as fallback)
    and the device oneDAL ran on."""

    accelerated_class: bool
    calls: dict[str, str] = field(default_factory=dict)
    devices: set[str] = field(default_factory=set)

    def add(self, message: str) -> None:
        """Record one sklearnex log message (others are ignored)."""
        match = _MESSAGE.match(message)
        if not match:
            return
        call = match["call"].rsplit(".", 2)
        name = ".".join(call[-2:])
        if match["device"]:
            self.devices.add(match["device"])
            self.calls.setdefault(name, "accelerated")
        else:
            self.calls[name] = "fallback"

    def record(self) -> dict[str, Any]:
        """JSON provenance: ``status`` is ``accelerated`` (every call on oneDAL), ``fallback`` (none),
        ``partial`` (some), or ``stock`` (scikit-learn's own class: sklearnex has none for this method)."""
        if not self.accelerated_class:
            status = "stock"
        elif self.calls and all(v == "accelerated" for v in self.calls.values()):
            status = "accelerated"
        elif any(v == "accelerated" for v in self.calls.values()):
            status = "partial"
        else:
            status = "fallback"
        return {"status": status, "calls": dict(sorted(self.calls.items())), "devices": sorted(self.devices)}


class _Collector(logging.Handler):
    def __init__(self, trace: CallTrace) -> None:
        super().__init__(logging.INFO)
        self.trace = trace

    def emit(self, record: logging.LogRecord) -> None:
        self.trace.add(record.getMessage())


@contextmanager
def trace(accelerated_class: bool) -> Iterator[CallTrace]:
    """Collect sklearnex's per-call messages while the block runs. sklearnex's own stderr handler is silenced
    meanwhile (its level is INFO only inside the block); the logger's settings are restored afterwards, an unset
    level as WARNING."""
    result = CallTrace(accelerated_class)
    logger = logging.getLogger("sklearnex")
    saved = logger.level, logger.handlers[:], logger.propagate
    collector = _Collector(result)
    logger.handlers = [collector]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield result
    finally:
        # NOTSET would inherit the root's level: with INFO there (a run's log file) sklearnex's stderr handler
        # would print every later call (e.g. predict_proba of the quality metrics). SKLEARNEX_VERBOSE sets a level
        # explicitly and is kept.
        logger.setLevel(saved[0] or logging.WARNING)
        logger.handlers = saved[1]
        logger.propagate = saved[2]
