"""Rating engine (Contract 4): indices relative to a reference model, A-E ratings, compound ratings.

```python
from mlee.rating import RatingSettings, RATING_MODES, rate, summarise, summaries
settings = RatingSettings.default().replace(mode="published median")
rated = rate(table, settings)          # table = mlee.results.aggregate_runs(mlee.results.load_results(dir))
```
"""

from mlee.rating.boundaries import (DEFAULT_QUANTILES, compute_boundaries, load_boundaries, save_boundaries,
                                    validate_boundaries, value_boundaries)
from mlee.rating.compound import (RATING_MODES, compound_rating, compound_ratings, rating_from_index,
                                  ratings_from_indices)
from mlee.rating.engine import index_values, rate
from mlee.rating.references import load_references, save_references, validate_references
from mlee.rating.settings import RatingSettings, settings_fingerprint
from mlee.rating.summarise import summarise, summaries
from mlee.rating.summary import MetricSummary, ModelSummary
from mlee.rating.weights import WEIGHT_PRESETS, load_weights, preset_weights, save_weights, validate_weights

__all__ = [
    "RATING_MODES", "RatingSettings", "rate", "summarise", "summaries", "compound_rating", "compound_ratings",
    "rating_from_index", "ratings_from_indices", "index_values", "load_boundaries", "save_boundaries",
    "validate_boundaries", "compute_boundaries", "value_boundaries", "DEFAULT_QUANTILES", "load_weights",
    "save_weights", "validate_weights", "load_references", "save_references", "validate_references",
    "settings_fingerprint", "MetricSummary", "ModelSummary", "WEIGHT_PRESETS", "preset_weights",
]
