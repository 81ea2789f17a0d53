"""The names of the compound rating's modes (what each does: :mod:`mlee.rating.compound`). Apart from the
arithmetic so that settings and command-line flags are checked without importing numpy."""

from __future__ import annotations

RATING_MODES: tuple[str, ...] = ("optimistic median", "pessimistic median", "optimistic mean",
                                 "pessimistic mean", "best", "worst", "majority", "published median")


def check_mode(mode: str) -> str:
    """``mode`` if it is a known compound mode, else ValueError listing the modes.

    Parameters
    ----------
    mode : str
        A name from :data:`RATING_MODES`.

    Returns
    -------
    str
        ``mode`` itself.
    """
    if mode not in RATING_MODES:
        raise ValueError(f"unknown rating mode {mode!r}; use one of: {', '.join(repr(m) for m in RATING_MODES)}")
    return mode
