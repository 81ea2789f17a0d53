"""Defaults of an experiment that the command lines show in ``--help``, importable without numpy or
scikit-learn (so that ``--help`` answers in a fraction of a second)."""

#: Fraction of a dataset's rows in the test split.
DEFAULT_TEST_SIZE = 0.25
#: How per-class precision, recall and F1 are averaged (scikit-learn's ``average`` argument).
AVERAGES = ("macro", "micro", "weighted")
