"""Rating engine (Contract 4): indices relative to a reference model, A-E ratings, compound ratings.

```python
from mlee.rating import RatingSettings, RATING_MODES, rate, summarise, summaries
settings = RatingSettings.default().replace(mode="published median")
rated = rate(table, settings)          # table = mlee.results.aggregate_runs(mlee.results.load_results(dir))
```

The names are imported when first used, so a command that only parses its flags imports no pandas.
"""

import importlib
import sys
import types
from typing import Any

#: public name -> the module that defines it
_WHERE: dict[str, str] = {
    **dict.fromkeys(("DEFAULT_QUANTILES", "compute_boundaries", "load_boundaries", "save_boundaries",
                     "validate_boundaries", "value_boundaries"), "mlee.rating.boundaries"),
    **dict.fromkeys(("RATING_MODES", "compound_rating", "compound_ratings", "rating_from_index",
                     "ratings_from_indices"), "mlee.rating.compound"),
    **dict.fromkeys(("index_values", "rate"), "mlee.rating.engine"),
    **dict.fromkeys(("load_references", "save_references", "validate_references"), "mlee.rating.references"),
    **dict.fromkeys(("RatingSettings", "settings_fingerprint"), "mlee.rating.settings"),
    **dict.fromkeys(("summarise", "summaries"), "mlee.rating.summarise"),
    **dict.fromkeys(("MetricSummary", "ModelSummary"), "mlee.rating.summary"),
    **dict.fromkeys(("WEIGHT_PRESETS", "load_weights", "preset_weights", "save_weights", "validate_weights"),
                    "mlee.rating.weights"),
}

__all__ = [
    "RATING_MODES", "RatingSettings", "rate", "summarise", "summaries", "compound_rating", "compound_ratings",
    "rating_from_index", "ratings_from_indices", "index_values", "load_boundaries", "save_boundaries",
    "validate_boundaries", "compute_boundaries", "value_boundaries", "DEFAULT_QUANTILES", "load_weights",
    "save_weights", "validate_weights", "load_references", "save_references", "validate_references",
    "settings_fingerprint", "MetricSummary", "ModelSummary", "WEIGHT_PRESETS", "preset_weights",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mlee.rating' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    globals().update({n: getattr(loaded, n) for n, m in _WHERE.items() if m == module})  # every name at once
    return globals()[name]


class _Package(types.ModuleType):
    """This package, keeping a public function's name for the function: importing ``mlee.rating.summarise``
    (directly, e.g. ``from mlee.rating.summarise import summarise``) binds the submodule to the package's name
    ``summarise``, which would hide the function of that name from ``from mlee.rating import summarise``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
