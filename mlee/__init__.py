"""mlee: measure, rate and label what machine-learning methods cost (energy, time, size) and deliver."""

__version__ = "0.1.0"
