"""Notice Ctrl-C (SIGINT) during a run even when the measured code swallows it.

Libraries may catch ``KeyboardInterrupt`` and carry on: scikit-learn's ``MLPClassifier.fit`` stops its
iterations, warns and returns a half-trained model as if training had finished. A run measured that way must
never look complete. :func:`interrupt_guard` installs its own SIGINT handler for the duration of a run: the
handler records the interrupt and raises ``KeyboardInterrupt`` (so cooperative code stops at once); the
runner calls :meth:`InterruptGuard.check` after every measured window and before it gives a folder its final
name, which raises :class:`RunInterrupted` if an interrupt was seen, whatever the measured code did with it.

Signal handlers can only be installed from the main thread; elsewhere (a worker thread, e.g. of an executor)
the guard installs nothing and :meth:`~InterruptGuard.check` never fires: the process that owns the main
thread handles Ctrl-C there.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType
from typing import Iterator

class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived during a run; the run is discarded (its folder keeps its hidden temporary name)."""


class InterruptGuard:
    """Records SIGINTs while installed; :meth:`check` raises :class:`RunInterrupted` once one was seen."""

    def __init__(self) -> None:
        self.interrupted = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise :class:`RunInterrupted` when an interrupt arrived since the guard was installed."""
        if self.interrupted:
            raise RunInterrupted("interrupted by Ctrl-C (SIGINT)")


@contextlib.contextmanager
def interrupt_guard() -> Iterator[InterruptGuard]:
    """Install an :class:`InterruptGuard` as the SIGINT handler while the block runs (main thread only), then
    restore the previous handler. On leaving the block normally, an interrupt that was swallowed inside it
    raises :class:`RunInterrupted`."""
    guard = InterruptGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGINT, guard._handle)
    try:
        yield guard
        guard.check()
    finally:
        signal.signal(signal.SIGINT, previous)
