"""Shared fixtures: where the study's published reference data lives (../shared/reference)."""

import os
import pathlib

import pytest

#: ``MLEE_REFERENCE`` points elsewhere (a git worktree has no ``../shared`` beside it).
REFERENCE = pathlib.Path(os.environ.get("MLEE_REFERENCE")
                         or pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference")


@pytest.fixture(scope="session")
def reference_dir() -> pathlib.Path:
    """The read-only reference folder beside the repository; tests that need it skip without it."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present")
    return REFERENCE
