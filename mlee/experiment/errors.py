"""Exceptions of the experiment stage: each message names the problem and the fix."""

from __future__ import annotations

from mlee.errors import MleeError


class ExperimentError(MleeError):
    """Base class: a user-facing error of the benchmark runner (bad name, missing file, missing data)."""


class UnknownNameError(ExperimentError, ValueError):
    """A dataset, method or backend name that mlee does not know."""


class DatasetUnavailableError(ExperimentError, OSError):
    """A dataset that is neither bundled nor cached and could not be downloaded."""


class HyperparametersNotFoundError(ExperimentError, FileNotFoundError):
    """No hyperparameter search result for a (dataset, method) pair."""
