"""Interface every energy source implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlee.monitoring.measurement import ProcessStats, SourceEnergy


class SourceUnavailable(RuntimeError):
    """A source cannot measure on this machine. ``reason`` says why, ``fix`` how to enable it (may be empty)."""

    def __init__(self, source: str, reason: str, fix: str = "") -> None:
        self.source, self.reason, self.fix = source, reason, fix
        super().__init__(f"{source}: {reason}" + (f" Fix: {fix}" if fix else ""))


@dataclass(frozen=True)
class WindowContext:
    """What the meter knows about a closed window, handed to :meth:`EnergySource.end`.

    start, end : Unix seconds; duration_s : ``end - start`` from a monotonic clock; process : process-tree
    statistics of the window (CPU seconds, peak RSS...).
    """

    start: float
    end: float
    duration_s: float
    process: ProcessStats


class EnergySource:
    """Base class. A source is opened once (constructor raises :class:`SourceUnavailable` when it cannot
    measure), then :meth:`begin` / :meth:`stop` / :meth:`energy` are called around every window; :meth:`close` releases it.

    Attributes: ``name`` (``rapl``, ``nvml``...), ``covers`` (``"cpu"``, ``"gpu"`` or ``"all"``: which hardware
    its numbers include, so that the meter never counts the same hardware twice), ``estimated``,
    ``resolution_s`` (update interval of its counter, s).
    """

    name: str = "base"
    covers: str = "cpu"
    estimated: bool = False
    #: Seconds between two updates of the source's counter (0: any window can be measured). A window must be
    #: many times longer for its energy to mean anything; :meth:`Meter.measure_repeated` sees to that.
    resolution_s: float = 0.0

    def begin(self) -> Any:
        """Read counters at window start; returns an opaque state for :meth:`end`. Must be cheap."""
        raise NotImplementedError

    def stop(self, state: Any) -> Any:
        """Read counters at window end (cheap, called right after the workload); returns the end state."""
        raise NotImplementedError

    def energy(self, begin_state: Any, end_state: Any, ctx: WindowContext) -> list[SourceEnergy]:
        """The energy of every domain between the two states (may do slower work: called after ``stop``)."""
        raise NotImplementedError

    def background_cpu_seconds(self) -> float:
        """CPU seconds spent so far by this source's background thread(s), 0 when it has none."""
        return 0.0

    def close(self) -> None:
        """Release resources (threads, library handles). Idempotent."""
