"""Rating settings as the command-line tools take them: ``--rating-mode``, ``--boundaries``, ``--weights``,
``--reference DATASET=MODEL``."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from mlee.rating.boundaries import load_boundaries, merge_partial
from mlee.rating.modes import RATING_MODES
from mlee.rating.settings import RatingSettings
from mlee.rating.weights import WEIGHT_PRESETS, load_weights, preset_weights

log = logging.getLogger(__name__)


def reference_pair(text: str) -> tuple[str, str]:
    """``--reference`` values: ``DATASET=MODEL`` (argparse type)."""
    dataset, sep, model = text.partition("=")
    if not sep or not dataset.strip() or not model.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not DATASET=MODEL; write e.g. --reference "
                                         f"'credit-g=Random Forest'")
    return dataset.strip(), model.strip()


def add_rating_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--rating-mode``, ``--boundaries``, ``--weights`` and ``--reference`` (all optional: the package
    defaults)."""
    parser.add_argument("--rating-mode", choices=RATING_MODES, default=None, metavar="MODE",
                        help="how per-metric ratings combine into the compound rating: "
                             + ", ".join(repr(m) for m in RATING_MODES)
                             + " (default: optimistic median; the publication used 'published median')")
    parser.add_argument("--boundaries", type=Path, default=None,
                        help="JSON file of rating boundaries (default: the package's boundaries.json)")
    parser.add_argument("--weights", default=None, metavar="FILE|PRESET",
                        help="JSON file of metric weights, or a preset: "
                             + ", ".join(repr(p) for p in WEIGHT_PRESETS)
                             + " (default: 'published', the study's weights; 'trust' also rates robustness and "
                               "calibration)")
    parser.add_argument("--reference", type=reference_pair, action="append", default=None, metavar="DATASET=MODEL",
                        help="reference model of a dataset, e.g. 'credit-g=Random Forest' (repeatable; default: "
                             "the package's references.json)")


def settings_from_options(mode: str | None = None, boundaries: str | os.PathLike | None = None,
                          weights: str | os.PathLike | None = None,
                          references: list[tuple[str, str]] | None = None) -> RatingSettings:
    """The package defaults with a rating mode, boundaries / weights files and reference models (dataset, model)
    applied where given. ``weights`` may name a preset of :data:`mlee.rating.weights.WEIGHT_PRESETS` (a file of
    that name: write ``./trust``). A boundaries file that names only some metrics replaces their thresholds;
    the others keep the defaults, and a warning says so (:func:`mlee.rating.boundaries.merge_partial`, the rule
    ELEx's upload follows too). References are taken as given: check them against the results with
    :func:`mlee.rating.references.resolve_references`.

    Raises ValueError naming the problem and the fix (unknown mode, unreadable or invalid file).
    """
    changes: dict[str, object] = {}
    settings = RatingSettings.default()
    if mode is not None:
        changes["mode"] = mode
    if boundaries is not None:
        changes["boundaries"], note = merge_partial(load_boundaries(boundaries), settings.boundaries,
                                                    f"boundaries file {str(boundaries)!r}", "the package defaults")
        if note:
            log.warning("%s", note)
    if weights is not None:
        changes["weights"] = preset_weights(str(weights)) if str(weights) in WEIGHT_PRESETS else _weights_file(weights)
    if references:
        changes["references"] = {**settings.references, **dict(references)}
    return settings.replace(**changes) if changes else settings


def _weights_file(path: str | os.PathLike) -> dict[str, float]:
    """``load_weights(path)``; a path that does not exist also gets the presets named in the message."""
    try:
        return load_weights(path)
    except ValueError as exc:
        if os.path.exists(path):
            raise
        raise ValueError(f"{exc}; or name a weights preset: {', '.join(WEIGHT_PRESETS)}") from None
