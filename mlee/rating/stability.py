"""How stable a letter is: the probability that it is the letter shown, and the range of letters it could be.

Per metric, the value and its reference are log-normal with the 95 % intervals of
:mod:`mlee.results.intervals` (centre ``sqrt(low * high)``, log-space standard deviation
``log(high / low) / (2 * 1.96)``) and independent of each other (conservative: an error both share, such as
one estimate's bias on one machine, cancels in the index in reality). The log index is then normal, and the
probability of each letter follows from the boundaries in closed form. The reference's own index is exactly 1.

The compound letter's distribution is exact: every combination of per-metric letters (metrics independent)
with a probability of at least :data:`PROBABILITY_FLOOR` goes through the compound rule (weighted by its
probability). No random numbers are drawn: the same inputs give the same figures, and a row's figures depend
only on its own numbers and its reference's, never on the rest of the table.

A letter's range holds the letters between the 2.5 % and 97.5 % points of its distribution, widened to
include the letter shown.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import special

from mlee.metrics import rating_letter
from mlee.rating.compound import N_RATINGS, compound_ratings

#: combinations of per-metric letters less likely than this are left out of a compound letter's stability
PROBABILITY_FLOOR = 1e-4
#: a letter shown with less than this probability is "borderline" (marked in tables and labels)
BORDERLINE = 0.8
_Z = float(special.ndtri(0.975))
_TAIL = 0.025


def log_normal_parameters(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-space centre and standard deviation of values with 95 % intervals ``[low, high]``.

    Parameters
    ----------
    low, high : array of float
        Interval bounds (metric unit). Bounds <= 0 or NaN give NaN.

    Returns
    -------
    (centre, sigma) : tuple of float arrays
    """
    low, high = np.asarray(low, dtype="float64"), np.asarray(high, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = np.log(np.where(low > 0, low, np.nan)), np.log(np.where(high > 0, high, np.nan))
    return (lo + hi) / 2, (hi - lo) / (2 * _Z)


def letter_probabilities(centre: np.ndarray, sigma: np.ndarray, boundaries: Sequence[float],
                         shown: np.ndarray) -> np.ndarray:
    """Probability of each letter A..E for log indices that are normal with ``centre`` and ``sigma``.

    Parameters
    ----------
    centre, sigma : array of float
        Log-space mean and standard deviation of each index. ``sigma`` 0 (or NaN beside a letter shown) is
        certain: the letter shown.
    boundaries : four descending index thresholds (A above b0 ... E at or below b3).
    shown : array of float
        The letters shown (0..4, NaN where unrated).

    Returns
    -------
    array (rows x 5) of float
        Rows sum to 1; NaN rows where the letter is unrated or the spread unknown.
    """
    b = np.asarray(boundaries, dtype="float64")
    centre, sigma = np.asarray(centre, dtype="float64"), np.asarray(sigma, dtype="float64")
    shown = np.asarray(shown, dtype="float64")
    probs = np.full((len(centre), N_RATINGS), np.nan)
    rated = ~np.isnan(shown)
    # no spread, or none that can be told (a share of 0 has no log): the letter shown
    certain = rated & ~(sigma > 0)
    probs[certain] = np.eye(N_RATINGS)[shown[certain].astype(np.int64)]
    spread = np.flatnonzero(rated & (sigma > 0))
    if spread.size:
        with np.errstate(divide="ignore"):
            log_b = np.log(np.where(b > 0, b, 0.0))
        below = special.ndtr((log_b[None, :] - centre[spread, None]) / sigma[spread, None])  # P(index <= b_j)
        # the rating is the number of thresholds at or above the index: P(rating <= k) = P(index > b_k)
        at_most = np.concatenate([1 - below, np.ones((spread.size, 1))], axis=1)
        probs[spread] = np.clip(np.diff(at_most, axis=1, prepend=0.0), 0.0, 1.0)
    return probs


def letter_range(probs: np.ndarray, shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst letter (0..4) between the 2.5 % and 97.5 % points of ``probs``, widened to ``shown``.

    Parameters
    ----------
    probs : array (rows x 5) of float
    shown : array of float (0..4, NaN where unrated)

    Returns
    -------
    (best, worst) : tuple of float arrays (NaN where ``probs`` is NaN)
    """
    shown = np.asarray(shown, dtype="float64")
    best, worst = shown.copy(), shown.copy()
    missing = np.isnan(probs).any(axis=1)
    spread = np.flatnonzero(~missing & (probs.max(axis=1, initial=0.0) < 1.0))
    cum = np.cumsum(probs[spread], axis=1)
    best[spread] = np.fmin(np.argmax(cum >= _TAIL - 1e-12, axis=1), shown[spread])
    worst[spread] = np.fmax(np.argmax(cum >= 1 - _TAIL - 1e-12, axis=1), shown[spread])
    best[missing], worst[missing] = np.nan, np.nan
    return best, worst


def _combinations(probs: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every combination of per-metric letters of each row with probability >= ``floor``.

    ``probs`` is (rows x metrics x 5), NaN for an unrated metric (NaN in every combination). Returns (row of each
    combination, its letters (combinations x metrics, NaN unrated), its probability).
    """
    rows, metrics, _ = probs.shape
    unrated = np.isnan(probs[:, :, 0])
    p = np.where(unrated[:, :, None], np.eye(N_RATINGS)[0], np.fmax(probs, 0.0))
    fixed = np.where(unrated, np.nan, np.argmax(p, axis=2))
    spread = (p >= floor).sum(axis=(0, 2))  # letters in play per metric: the widest expand last (smaller copies)
    varies = sorted((m for m in range(metrics) if (p[:, m, :].max(axis=1) < 1.0).any()), key=lambda m: spread[m])
    row = np.arange(rows)
    weight = np.ones(rows)
    chosen: dict[int, np.ndarray] = {}  # only the metrics that vary are carried through the expansion
    for m in varies:
        pm = p[:, m, :]
        pick, letter = np.nonzero(pm[row] * weight[:, None] >= floor)
        row, weight = row[pick], weight[pick] * pm[row[pick], letter]
        chosen = {k: v[pick] for k, v in chosen.items()}
        chosen[m] = letter.astype("float64")
    letters = fixed[row]
    for m, values in chosen.items():
        letters[:, m] = np.where(unrated[row, m], np.nan, values)
    return row, letters, weight


def compound_stability(probs: np.ndarray, weights: Sequence[float], mode: str, shown: np.ndarray,
                       floor: float = PROBABILITY_FLOOR) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stability and range of compound letters from per-metric letter probabilities.

    Every combination of per-metric letters (metrics independent) is rated by the compound rule; combinations
    less likely than ``floor`` are left out and the rest renormalised, so the figures are exact to about
    ``floor`` times the number of combinations left out, deterministic, and a row's figures depend on its own
    numbers only.

    Parameters
    ----------
    probs : array (rows x metrics x 5) of float
        Per-metric letter probabilities (NaN for an unrated metric).
    weights : one weight per metric.
    mode : the compound mode (:data:`mlee.rating.RATING_MODES`).
    shown : array of float
        The compound letters shown (0..4, NaN where none).
    floor : float
        Smallest probability of a combination that is rated.

    Returns
    -------
    (stability, best, worst) : tuple of float arrays
        Probability of the letter shown, and the 2.5 % / 97.5 % letters (widened to the one shown); NaN where no
        compound letter is shown.
    """
    rows = probs.shape[0]
    stability, best, worst = np.full(rows, np.nan), np.full(rows, np.nan), np.full(rows, np.nan)
    w = np.asarray(weights, dtype="float64")
    used = np.flatnonzero(w > 0)
    rated = ~np.isnan(shown)
    if not rows or not used.size:
        return stability, best, worst
    p = probs[:, used, :]
    certain = ((np.fmax(p, 0.0).max(axis=2) >= 1.0) | np.isnan(p[:, :, 0])).all(axis=1)
    sure = rated & certain
    stability[sure], best[sure], worst[sure] = 1.0, shown[sure], shown[sure]
    vary = np.flatnonzero(rated & ~sure)
    if not vary.size:
        return stability, best, worst
    row, letters, weight = _combinations(p[vary], floor)
    # many rows share combinations: rate each distinct one once
    digits = np.fmax(letters + 1, 0.0).astype(np.int64)  # 0 unrated, 1..5 the letters
    if len(used) <= 24:  # 6 ** 24 < 2 ** 63: one integer per combination
        codes = digits @ (N_RATINGS + 1) ** np.arange(len(used), dtype=np.int64)
        distinct, which = np.unique(codes, return_index=True, return_inverse=True)[1:]
    else:
        distinct, which = np.unique(digits, axis=0, return_index=True, return_inverse=True)[1:]
    which = which.reshape(-1)
    compound = compound_ratings(letters[distinct], w[used], mode)[which]
    cells = row * N_RATINGS + np.fmax(compound, 0.0).astype(np.int64)
    per_letter = np.bincount(cells, weights=weight, minlength=len(vary) * N_RATINGS).reshape(-1, N_RATINGS)
    per_letter /= per_letter.sum(axis=1, keepdims=True)
    stability[vary] = np.take_along_axis(per_letter, shown[vary].astype(np.int64)[:, None], axis=1)[:, 0]
    best[vary], worst[vary] = letter_range(per_letter, shown[vary])
    return stability, best, worst


def is_borderline(stability: float | None) -> bool:
    """True when a letter is shown with a probability below :data:`BORDERLINE` (unknown: False)."""
    return stability is not None and stability == stability and stability < BORDERLINE


def range_text(best: float | None, worst: float | None) -> str:
    """The letters a rating could be: ``"B-D"``, ``"C"`` when certain, ``""`` when unknown."""
    if best is None or worst is None or best != best or worst != worst:
        return ""
    first, last = rating_letter(best), rating_letter(worst)
    return first if first == last else f"{first}-{last}"


def letter_text(rating: float | None, stability: float | None, best: float | None, worst: float | None) -> str:
    """A letter with how sure it is, compactly: ``"C 62% (B-D)"``, ``"C 100%"``; ``"n.a."`` when unrated and the
    bare letter when its stability is unknown."""
    letter = rating_letter(rating)
    if letter == "n.a." or stability is None or stability != stability:
        return letter
    span = range_text(best, worst)
    return f"{letter} {stability:.0%}" + (f" ({span})" if span and span != letter else "")
