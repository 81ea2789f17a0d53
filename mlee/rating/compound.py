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

RATING_MODES: tuple[str, ...] = ("optimistic median", "pessimistic median", "optimistic mean",
                                 "pessimistic mean", "best", "worst", "majority", "published median")
N_RATINGS = 5
_TOL = 1e-9


def check_mode(mode: str) -> str:
    """``mode`` if it is a known compound mode, else ValueError listing the modes."""
    if mode not in RATING_MODES:
        raise ValueError(f"unknown rating mode {mode!r}; use one of: {', '.join(repr(m) for m in RATING_MODES)}")
    return mode


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
    sentinel = np.where(valid, r, np.inf)
    if mode == "best":
        out[has] = sentinel.min(axis=1)[has]
        return out
    if mode == "worst":
        out[has] = np.where(valid, r, -np.inf).max(axis=1)[has]
        return out
    if mode.endswith("mean"):
        mean = np.round((np.where(valid, r, 0.0) * wn).sum(axis=1), 9)
        out[has] = (np.ceil(mean) if mode.startswith("pessimistic") else np.floor(mean))[has]
        return out
    if mode == "majority":
        totals = np.stack([(wn * (sentinel == k)).sum(axis=1) for k in range(N_RATINGS)], axis=1)
        best = totals.max(axis=1, keepdims=True)
        out[has] = np.argmax(totals >= best - _TOL, axis=1)[has].astype("float64")
        return out
    order = np.argsort(sentinel, axis=1, kind="stable")
    rs = np.take_along_axis(sentinel, order, axis=1)
    ws = np.take_along_axis(wn, order, axis=1)
    cum = np.cumsum(ws, axis=1)
    nxt_cum = np.concatenate([cum[:, 1:], np.ones((cum.shape[0], 1))], axis=1)
    nxt_r = np.concatenate([rs[:, 1:], rs[:, -1:]], axis=1)
    nxt_r = np.where(np.isinf(nxt_r), rs, nxt_r)
    exact = np.abs(cum - 0.5) <= _TOL
    if mode == "published median":
        pick = exact | (cum > 0.5 + _TOL) | ((cum < 0.5 - _TOL) & (nxt_cum > 0.5 + _TOL))
    else:
        pick = exact | (cum > 0.5)
    pick &= np.isfinite(rs)
    first = np.argmax(pick, axis=1)
    rows = np.arange(r.shape[0])
    value = rs[rows, first]
    is_exact = exact[rows, first]
    mid = (rs[rows, first] + nxt_r[rows, first]) / 2
    mid = np.ceil(mid) if mode.startswith("pessimistic") else np.floor(mid)
    value = np.where(is_exact, mid, value)
    out[has] = value[has]
    return out
