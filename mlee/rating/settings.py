"""Immutable rating settings: boundaries, weights, reference models and the compound mode.

``RatingSettings.default()`` reads the package defaults (``mlee/data/boundaries.json``, ``weighting.json``
- the published study's defaults - and ``references.json``); ``settings.replace(...)`` returns a validated
copy with some fields changed. ``fingerprint()`` identifies boundaries + weights in 8 hex digits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from mlee.catalog import package_table
from mlee.rating.boundaries import validate_boundaries
from mlee.rating.modes import check_mode
from mlee.rating.references import validate_references
from mlee.rating.weights import preset_weights, validate_weights

DEFAULT_MODE = "optimistic median"


@dataclass(frozen=True)
class RatingSettings:
    """What a rating depends on.

    The mappings are read-only views; use :meth:`replace` to change anything. :meth:`default` gives the
    package's settings.

    Parameters
    ----------
    boundaries : mapping of str to 4 floats
        Scoped metric key -> four descending index thresholds (A | B | C | D | E).
    weights : mapping of str to float
        Scoped metric key -> weight >= 0 in the compound rating (missing = 0).
    references : mapping of str to str
        Dataset key -> reference model name.
    mode : str
        Compound rating mode, one of :data:`mlee.rating.RATING_MODES`.

    Raises
    ------
    ValueError
        An invalid value, on construction.

    Examples
    --------
    >>> from mlee import RatingSettings
    >>> settings = RatingSettings.default()
    >>> settings.mode
    'optimistic median'
    >>> settings.replace(references={"iris": "Random Forest"}).references["iris"]
    'Random Forest'
    """

    boundaries: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)
    mode: str = DEFAULT_MODE

    def __post_init__(self) -> None:
        check_mode(self.mode)
        object.__setattr__(self, "boundaries", MappingProxyType(validate_boundaries(self.boundaries)))
        object.__setattr__(self, "weights", MappingProxyType(validate_weights(self.weights)))
        object.__setattr__(self, "references", MappingProxyType(validate_references(self.references)))

    @classmethod
    def default(cls) -> "RatingSettings":
        """The package defaults: published boundaries and weights, bundled references, optimistic median."""
        return cls(boundaries=package_table("boundaries.json"), weights=preset_weights("published"),
                   references=package_table("references.json"), mode=DEFAULT_MODE)

    def replace(self, **changes: Any) -> "RatingSettings":
        """A validated copy with ``changes`` (any of boundaries, weights, references, mode) applied."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"RatingSettings has no field(s) {', '.join(sorted(unknown))}; "
                            f"use boundaries, weights, references or mode")
        current = {"boundaries": dict(self.boundaries), "weights": dict(self.weights),
                   "references": dict(self.references), "mode": self.mode}
        current.update(changes)
        return RatingSettings(**current)

    def fingerprint(self) -> str:
        """First 8 hex digits of the SHA-256 of the canonical JSON of boundaries and weights."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:  # computed once: the settings are immutable, and summaries ask for it per model
            cached = settings_fingerprint(self.boundaries, self.weights)
            object.__setattr__(self, "_fingerprint", cached)
        return cached

    def weight(self, scoped_key: str) -> float:
        """Weight of a scoped metric key (0.0 when not given)."""
        return float(self.weights.get(scoped_key, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (mode, references, boundaries, weights)."""
        return {"mode": self.mode, "references": dict(self.references),
                "boundaries": {k: list(v) for k, v in self.boundaries.items()},
                "weights": dict(self.weights)}

    def __hash__(self) -> int:
        return hash((self.mode, self.fingerprint(), tuple(sorted(self.references.items()))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RatingSettings):
            return NotImplemented
        return self.to_dict() == other.to_dict()


def settings_fingerprint(boundaries: Mapping[str, Any], weights: Mapping[str, Any]) -> str:
    """Fingerprint of boundaries + weights: numbers as floats, keys sorted, compact JSON, SHA-256, 8 hex."""
    canonical = {"boundaries": {k: [float(t) for t in v] for k, v in boundaries.items()},
                 "weights": {k: float(v) for k, v in weights.items()}}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
