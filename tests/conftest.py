"""Shared fixtures: where the study's published reference data lives (../shared/reference), and one headless
chromium per test module for the ELEx browser tests."""

import os
import pathlib

import pytest

#: ``MLEE_REFERENCE`` points elsewhere (a git worktree has no ``../shared`` beside it).
REFERENCE = pathlib.Path(os.environ.get("MLEE_REFERENCE")
                         or pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test (and every process it starts) keeps mlee's caches (results tables of folders without one, loaded
    run tables) in a folder of its own, never in the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture(scope="session")
def reference_dir() -> pathlib.Path:
    """The read-only reference folder beside the repository; tests that need it skip without it."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present")
    return REFERENCE


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless chromium (tests/elex_support.py) for the module's browser tests, downloading into a temp folder."""
    from elex_support import make_driver

    driver = make_driver(tmp_path_factory.mktemp("downloads"))
    try:
        yield driver
    finally:
        driver.quit()
