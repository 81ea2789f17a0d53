"""Measure any program (:func:`run_program`, the ``mlee measure -- COMMAND`` command) or Python function
(:func:`measured`) with mlee's meter."""

from mlee.measure.decorator import measured
from mlee.measure.program import ProgramNotFound, ProgramRun, run_program

__all__ = ["ProgramNotFound", "ProgramRun", "measured", "run_program"]
