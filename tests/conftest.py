"""Shared fixtures: where the study's published reference data lives (../shared/reference), and one headless
chromium per test module for the ELEx browser tests.

Every test gets one of three markers, by what its module does (``pytest -m unit`` runs the quick ones):
``browser`` (drives a headless chromium: the ``browser`` or ``dash_duo`` fixture), ``end_to_end``
(starts mlee's commands or servers as processes) and ``unit`` (everything else, in this process).
"""

import inspect
import os
import pathlib
import shutil
import signal
import tempfile

import pytest

#: ``MLEE_REFERENCE`` points elsewhere (a git worktree has no ``../shared`` beside it).
REFERENCE = pathlib.Path(os.environ.get("MLEE_REFERENCE")
                         or pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference")


MARKERS = {
    "unit": "runs in the test process: no browser, no subprocess of mlee's commands",
    "end_to_end": "starts mlee's scripts, commands or servers as processes (subprocess)",
    "browser": "drives ELEx in a headless chromium (selenium)",
}
_KIND_OF_MODULE: dict = {}


def _module_kind(path: pathlib.Path) -> str:
    """``end_to_end`` or ``unit`` for the test module at ``path``, by what its source uses."""
    kind = _KIND_OF_MODULE.get(path)
    if kind is None:
        text = path.read_text(encoding="utf-8")
        starts = ("subprocess", "Popen", "elex_support import Server", "multiprocessing")
        kind = "end_to_end" if any(word in text for word in starts) else "unit"
        _KIND_OF_MODULE[path] = kind
    return kind


def pytest_collection_modifyitems(config, items):
    """Mark every test ``browser`` (it uses the ``browser`` or ``dash_duo`` fixture, directly or through another
    fixture, or starts its own chromium with ``make_driver``), else ``end_to_end`` or ``unit`` by its module (see the module docstring);
    then move the tests marked ``early`` to the front."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        try:
            own = inspect.getsource(item.obj)
        except (AttributeError, OSError, TypeError):
            own = ""
        drives = "browser" in names or "dash_duo" in names or "make_driver(" in own
        kind = "browser" if drives else _module_kind(pathlib.Path(item.fspath))
        item.add_marker(getattr(pytest.mark, kind))
    # the long scopes first: ``--dist loadscope`` hands scopes out in this order, so one started last would end
    # the run alone on its worker
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("early") is None)


def pytest_configure(config):
    """mlee's cache directory for the whole run, set before any fixture (module-scoped ones load results too);
    the markers of :data:`MARKERS`."""
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")
    config.addinivalue_line("markers", "early: a long test class or module, collected (and so started) first")
    # one OpenMP thread per process: the suite runs a worker per core, and OpenMP estimators (HGB) whose threads
    # wait for a busy core took ten times as long (1.7 s against 0.14 s for one HGB fit on iris at load 3)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    config._mlee_cache = (os.environ.get("XDG_CACHE_HOME"), tempfile.mkdtemp(prefix="mlee-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = config._mlee_cache[1]
    # A suite started from a background shell (``cmd &``, nohup) inherits SIGINT ignored, and so would every child a
    # test sends Ctrl-C to: give the test processes Python's own handler, as an interactive start has.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_unconfigure(config):
    before, folder = getattr(config, "_mlee_cache", (None, None))
    if folder is None:
        return
    shutil.rmtree(folder, ignore_errors=True)
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


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


@pytest.fixture(autouse=True)
def _sigint_disposition_kept(request):
    """A test that leaves SIGINT ignored or handled breaks every later test of its worker that sends Ctrl-C to a
    child (an ignored SIGINT is inherited across exec): restore it, and name the test in a warning."""
    import warnings

    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        warnings.warn(f"{request.node.nodeid} left the SIGINT handler {after!r} (was {before!r}); restored",
                      stacklevel=1)
