"""Exceptions of the experiment stage: each message names the problem and the fix."""

from __future__ import annotations

import errno

from mlee.errors import MleeError


class ExperimentError(MleeError):
    """Base class: a user-facing error of the benchmark runner (bad name, missing file, missing data)."""


class UnknownNameError(ExperimentError, ValueError):
    """A dataset, method or backend name that mlee does not know."""


class DatasetUnavailableError(ExperimentError, OSError):
    """A dataset that is neither bundled nor cached and could not be downloaded."""


class HyperparametersNotFoundError(ExperimentError, FileNotFoundError):
    """No hyperparameter search result for a (dataset, method) pair."""


class SweepError(MleeError, RuntimeError):
    """The sweep could not go on (e.g. the Dask scheduler went away); the message names what finished."""


#: errors of a write that the disk (or a quota, or a file size limit) refused
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class DiskFullError(SweepError):
    """A run's files could not be written for lack of space: the sweep stops (every later run would fail
    alike); the runs written before are kept and the one being written stays hidden."""


def disk_full(run: str, output_dir: object, exc: OSError) -> DiskFullError:
    """The error that stops a sweep whose run ``run`` could not be written into ``output_dir``.

    Parameters
    ----------
    run : str
        The run being written.
    output_dir : path
        Where the sweep writes.
    exc : OSError
        The refused write.

    Returns
    -------
    DiskFullError
    """
    return DiskFullError(
        f"No space to write run {run} into {output_dir} ({exc.strerror or exc}"
        f"{': ' + str(exc.filename) if exc.filename else ''}): the sweep stopped. Kept: every run completed "
        f"before, in {output_dir}; the run being written was discarded (nothing of it is visible). Free space, "
        f"then rerun the same command with --resume.")


def is_no_space(exc: BaseException) -> bool:
    """True when ``exc`` is a write the disk, a quota or a file size limit refused.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    bool
    """
    return isinstance(exc, OSError) and exc.errno in NO_SPACE
