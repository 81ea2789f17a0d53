"""Per-metric ratings from indices, and the compound rating of several per-metric ratings.

Ratings are integers 0 (A, best) .. 4 (E, worst).

Per-metric rating: boundaries are four descending index thresholds ``b0 >= b1 >= b2 >= b3``.
``index > b0`` is A (0) however large the index (the original tool rated indices above 10000 as E),
``b1 < index <= b0`` is B (1), ``b2 < index <= b1`` C (2), ``b3 < index <= b2`` D (3), ``index <= b3`` E (4).
A missing index (NaN) stays unrated (NaN), never E.

Compound rating: only metrics with a weight > 0 and a rating take part; their weights are renormalised to
sum to one. Modes (``RATING_MODES``):

- ``optimistic median`` / ``pessimistic median``: the weighted median. Sort the ratings ascending
  (best first), accumulate the normalised weights and take the first rating whose cumulative weight
  reaches 0.5. When the cumulative weight is exactly 0.5 there, the result is the mean of that rating and
  the next one, rounded down (optimistic, towards A) or up (pessimistic, towards E).
- ``optimistic mean`` / ``pessimistic mean``: the weighted mean, rounded down / up.
- ``best`` / ``worst``: the best / worst rating taking part (weights only decide who takes part).
- ``majority``: the rating with the largest total weight; a tie goes to the better rating.
- ``published median``: the rule of the published study's code. It walks the same ascending order (equal
  ratings in the order of the metrics, as in :data:`mlee.metrics.METRICS`) and
  returns the rating at the first position where the cumulative weight exceeds 0.5, *or where it is still
  below 0.5 and the next position's cumulative weight exceeds 0.5* (exactly 0.5: as above, rounded down).
  The second condition fires one position early, so the result is the rating *before* the weighted
  median whenever the 0.5 crossing falls on a later position: with equal weights on [A, B, C] the
  weighted median is B, the published rule gives A. It is never worse than the optimistic median and
  often one step better; it equals the weighted median when the first rating alone outweighs 0.5 or when
  the crossing rating also occupies the position before it.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from mlee.rating.modes import RATING_MODES, check_mode  # noqa: F401  (re-exported beside the arithmetic)

N_RATINGS = 5
_TOL = 1e-9


def ratings_from_indices(indices: np.ndarray | Sequence[float], boundaries: Sequence[float]) -> np.ndarray:
    """Per-metric ratings (float array, 0..4, NaN where the index is NaN) of ``indices`` for one metric."""
    idx = np.asarray(indices, dtype="float64")
    b = np.asarray(boundaries, dtype="float64")
    if b.shape != (4,):
        raise ValueError(f"boundaries must be four descending index thresholds, got {list(boundaries)!r}")
    rating = (idx[..., None] <= b).sum(axis=-1).astype("float64")
    rating[np.isnan(idx)] = np.nan
    return rating


def rating_from_index(index: float | None, boundaries: Sequence[float]) -> int | None:
    """Rating 0..4 of one index (None for a missing index)."""
    if index is None or index != index:
        return None
    return int(sum(index <= float(b) for b in boundaries))


def _round(value: float, mode: str) -> int:
    value = round(value, 9)  # 1.9999999999 from float sums is 2
    return int(math.ceil(value) if mode.startswith("pessimistic") else math.floor(value))


def compound_rating(ratings: Sequence[float | int | None], weights: Sequence[float] | None = None,
                    mode: str = "optimistic median") -> int | None:
    """Compound rating (0..4) of per-metric ``ratings`` with ``weights`` (equal weights when None).

    Ratings that are None/NaN and weights <= 0 are left out; the rest is renormalised. Returns None when
    nothing is left. See the module docstring for the modes.
    """
    check_mode(mode)
    if weights is None:
        weights = [1.0] * len(ratings)
    if len(weights) != len(ratings):
        raise ValueError(f"{len(ratings)} ratings but {len(weights)} weights: give one weight per rating")
    # stable sort: equal ratings keep the order they were given in (matters for the published rule only)
    pairs = sorted(((int(r), float(w)) for r, w in zip(ratings, weights)
                    if r is not None and r == r and w is not None and w == w and float(w) > 0),
                   key=lambda pair: pair[0])
    if not pairs:
        return None
    total = sum(w for _, w in pairs)
    values = [r for r, _ in pairs]
    norm = [w / total for _, w in pairs]
    if mode == "best":
        return values[0]
    if mode == "worst":
        return values[-1]
    if mode.endswith("mean"):
        return _round(sum(r * w for r, w in zip(values, norm)), mode)
    if mode == "majority":
        totals = [0.0] * N_RATINGS
        for r, w in zip(values, norm):
            totals[r] += w
        best = max(totals)
        return next(r for r, t in enumerate(totals) if t >= best - _TOL)
    cumulative = np.cumsum(norm).tolist()
    rounding = "pessimistic" if mode.startswith("pessimistic") else "optimistic"
    for i, cw in enumerate(cumulative):
        nxt = cumulative[i + 1] if i + 1 < len(cumulative) else 1.0
        if abs(cw - 0.5) <= _TOL:
            following = values[i + 1] if i + 1 < len(values) else values[i]
            return _round((values[i] + following) / 2, rounding)
        if mode == "published median":
            if cw > 0.5 + _TOL or (cw < 0.5 - _TOL and nxt > 0.5 + _TOL):
                return values[i]
        elif cw > 0.5:
            return values[i]
    return values[-1]


def compound_ratings(ratings: np.ndarray, weights: np.ndarray | Sequence[float], mode: str) -> np.ndarray:
    """Vectorised :func:`compound_rating` for a (rows x metrics) matrix of ratings (NaN = unrated).

    ``weights`` holds one weight per column. Returns a float array (0..4, NaN where nothing is rated).
    Works on each row's total weight per rating (no sort): the ascending walk of :func:`compound_rating` only
    ever needs where the cumulative weight crosses 0.5 and, for the published rule, whether the crossing falls
    on the first metric (in column order) of its rating.
    """
    check_mode(mode)
    r = np.asarray(ratings, dtype="float64")
    if r.ndim != 2:
        raise ValueError("ratings must be a 2-D array (rows x metrics)")
    w = np.broadcast_to(np.asarray(weights, dtype="float64"), r.shape)
    valid = ~np.isnan(r) & (w > 0)
    w = np.where(valid, w, 0.0)
    total = w.sum(axis=1)
    out = np.full(r.shape[0], np.nan)
    has = total > 0
    if not has.any() or r.shape[1] == 0:
        return out
    wn = np.divide(w, total[:, None], out=np.zeros_like(w), where=has[:, None])
    letters = np.where(valid, r, -1.0).astype(np.int64)
    cells = (np.arange(r.shape[0])[:, None] * N_RATINGS + np.maximum(letters, 0))[valid]
    totals = np.bincount(cells, weights=wn[valid], minlength=r.shape[0] * N_RATINGS).reshape(-1, N_RATINGS)
    present = totals > 0
    ks = np.arange(N_RATINGS)
    if mode == "best":
        value = np.argmax(present, axis=1).astype("float64")
    elif mode == "worst":
        value = (N_RATINGS - 1 - np.argmax(present[:, ::-1], axis=1)).astype("float64")
    elif mode.endswith("mean"):
        mean = np.round((totals * ks).sum(axis=1), 9)
        value = np.ceil(mean) if mode.startswith("pessimistic") else np.floor(mean)
    elif mode == "majority":
        value = np.argmax(totals >= totals.max(axis=1, keepdims=True) - _TOL, axis=1).astype("float64")
    else:
        value = _median_of_totals(totals, present, letters, wn, mode)
    out[has] = value[has]
    return out


def _median_of_totals(totals: np.ndarray, present: np.ndarray, letters: np.ndarray, wn: np.ndarray,
                      mode: str) -> np.ndarray:
    """The median modes of :func:`compound_ratings` from each row's weight per rating (see there)."""
    rows = np.arange(totals.shape[0])
    ks = np.arange(N_RATINGS)
    cum = np.cumsum(totals, axis=1)
    crossing = np.argmax(cum >= 0.5 - _TOL, axis=1)  # the rating where the ascending walk reaches 0.5
    exact = np.abs(cum[rows, crossing] - 0.5) <= _TOL
    later = present & (ks[None, :] > crossing[:, None])
    following = np.where(later.any(axis=1), np.argmax(later, axis=1), crossing)
    mid = (crossing + following) / 2
    mid = np.ceil(mid) if mode.startswith("pessimistic") else np.floor(mid)
    value = np.where(exact, mid, crossing).astype("float64")
    if mode == "published median":
        # one position early: the rating before the crossing when the crossing is the first metric of its rating
        earlier = present & (ks[None, :] < crossing[:, None])
        has_earlier = earlier.any(axis=1)
        previous = N_RATINGS - 1 - np.argmax(earlier[:, ::-1], axis=1)
        first_metric = np.argmax(letters == crossing[:, None], axis=1)
        before = np.where(crossing > 0, cum[rows, np.maximum(crossing - 1, 0)], 0.0)
        early = has_earlier & ~exact & (before + wn[rows, first_metric] > 0.5 + _TOL)
        value = np.where(early, previous, value)
    return value
