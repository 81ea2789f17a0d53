"""Measure Python code: :func:`measured` wraps a function so that every call runs in a meter window.

For a block of code, use the meter's window directly::

    from mlee.monitoring.meter import Meter

    meter = Meter()
    with meter.window() as window:
        model.fit(X, y)
    print(window.measurement.energy_j)
"""

from __future__ import annotations

import functools
from typing import Callable, ParamSpec, TypeVar

from mlee.monitoring.measurement import Measurement
from mlee.monitoring.meter import Meter

P = ParamSpec("P")
R = TypeVar("R")


def measured(*, meter: Meter | None = None,
             record: Callable[[Measurement], None] | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that each call is measured in its own window.

    Parameters
    ----------
    meter : Meter, optional
        The meter to measure with (default: one ``Meter()`` per decorated function, created at its first
        call and kept).
    record : callable, optional
        Called with each call's :class:`~mlee.monitoring.measurement.Measurement` (for example
        ``measurements.append``); the latest is also the wrapper's ``last_measurement`` attribute.

    Returns
    -------
    callable
        The decorator. The decorated function returns what the function returns; a call that raises is
        measured too and its exception propagates.

    Examples
    --------
    >>> from mlee import measured
    >>> @measured()
    ... def train():
    ...     return sum(i * i for i in range(10_000))
    >>> train()
    333283335000
    >>> train.last_measurement.duration_s > 0
    True
    """
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        meters: list[Meter] = [meter] if meter is not None else []

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not meters:
                meters.append(Meter())
            window = meters[0].window()
            try:
                with window:
                    return func(*args, **kwargs)
            finally:
                wrapper.last_measurement = window.measurement  # type: ignore[attr-defined]
                if record is not None:
                    record(window.measurement)

        wrapper.last_measurement = None  # type: ignore[attr-defined]
        return wrapper

    return decorate
