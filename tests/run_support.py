"""Helpers shared by the tests that compare run folders written in different ways."""

from __future__ import annotations

from typing import Any

#: Keys that hold times, ids or paths of one particular run (the timing-driven repetition count of short
#: inference windows and the latency percentiles also), or where and how it was launched: not what it computed.
RUN_SPECIFIC = frozenset({"start", "end", "duration", "run_id", "timestamp", "output_dir", "train_logdir",
                          "execution", "argv", "arguments", "launched_from", "elex_request", "fit_time",
                          "score_time", "repetitions", "latency_p50", "latency_p99"})


def strip_run_specific(value: Any) -> Any:
    """JSON content without run-specific keys (see :data:`RUN_SPECIFIC`, and every ``*_time``)."""
    if isinstance(value, dict):
        return {k: strip_run_specific(v) for k, v in value.items() if k not in RUN_SPECIFIC and not k.endswith("_time")}
    if isinstance(value, list):
        return [strip_run_specific(v) for v in value]
    return value
