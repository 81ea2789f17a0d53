"""The results table: merges write it, loads read it, and it never disagrees with the result files."""

from __future__ import annotations

import dataclasses
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlee.results import load_results, loader
from mlee.results.table import TABLE_FILE, ResultsTable, cache_dir, code_fingerprint
from test_merge_results import write_pair

ROOT = Path(__file__).resolve().parents[1]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["warnings"] == b.attrs["warnings"]


def _count_parsed(monkeypatch) -> list[str]:
    """Paths the loader parses from JSON from now on."""
    parsed: list[str] = []
    read = loader._read_files

    def counting(paths):
        parsed.extend(paths)
        return read(paths)

    monkeypatch.setattr(loader, "_read_files", counting)
    return parsed


def _forget_loaded_tables() -> None:
    """Drop the cached finished run tables, so the next load goes through the results table."""
    shutil.rmtree(cache_dir() / "frames", ignore_errors=True)


def _merge(logs: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs),
                             "--output-agglog-dir", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _results(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.json") if not p.name.startswith("."))


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.parametrize("which", ["published", "shipped"])
def test_published_and_shipped_results_load_alike_through_the_table_without_writing_into_their_folder(
        which, reference_dir, monkeypatch):
    folder = reference_dir / "published-results" / "sklearn" if which == "published" else \
        ROOT / "shipped" / "results" / "sklearn"
    before = _listing(folder)
    from_json = load_results(folder, table=False)
    first = load_results(folder)  # reads the files, keeps the table in the cache
    cached = load_results(folder)  # the finished table from the cache
    _forget_loaded_tables()
    parsed = _count_parsed(monkeypatch)
    through_table = load_results(folder)
    for loaded in (first, cached, through_table):
        _same(from_json, loaded)
    assert parsed == []  # every row came from the table
    assert _listing(folder) == before  # nothing written into a published or shipped folder
    assert list((cache_dir() / "tables").glob("*.parquet"))


def test_merge_writes_the_table_and_a_load_parses_no_file(tmp_path, monkeypatch):
    logs, out = tmp_path / "logs", tmp_path / "results"
    for i in range(3):
        write_pair(logs, f"2026_01_01_10_00_0{i}", model=f"Model {i}")
    done = subprocess.run([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs),
                           "--output-agglog-dir", str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out / TABLE_FILE)
    assert sorted(set(table.column("file").to_pylist())) == _results(out)
    parsed = _count_parsed(monkeypatch)
    runs = load_results(out)
    assert parsed == [] and len(runs) == 6
    _same(load_results(out, table=False), runs)


def test_a_file_changed_by_hand_after_the_merge_is_read_again(tmp_path, monkeypatch):
    """Same size, modification time set back: the change time still tells; only that file is parsed again."""
    logs, out = tmp_path / "logs", tmp_path / "results"
    _, infer = write_pair(logs, "2026_01_01_10_00_00", energy=(12.5, 0.75))
    write_pair(logs, "2026_01_01_10_00_01", model="AdaBoost")
    assert _merge(logs, out).wait(120) == 0
    load_results(out)
    path = out / f"{infer.name}.json"
    text = path.read_text()
    before = path.stat()
    assert '"energy_j":0.75' in text
    path.write_text(text.replace('"energy_j":0.75', '"energy_j":0.25'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    parsed = _count_parsed(monkeypatch)
    runs = load_results(out)
    assert parsed == [str(path)]
    assert runs.loc[runs["task"] == "inference", "power_draw"].min() == 0.25
    _same(load_results(out, table=False), runs)


def test_two_merges_at_once_leave_one_table_of_every_file(tmp_path, monkeypatch):
    out = tmp_path / "results"
    for side in ("a", "b"):
        for i in range(20):
            write_pair(tmp_path / side, f"2026_01_0{1 if side == 'a' else 2}_10_00_{i:02d}", model=f"{side} {i}")
    first, second = _merge(tmp_path / "a", out), _merge(tmp_path / "b", out)
    assert first.wait(180) == 0 and second.wait(180) == 0, first.stderr.read() + second.stderr.read()
    files = _results(out)
    assert len(files) == 80
    stored = ResultsTable(out, loader._Row, code_fingerprint(), out / TABLE_FILE).read()
    assert sorted(stored.entries) == files
    parsed = _count_parsed(monkeypatch)
    runs = load_results(out)
    assert parsed == [] and len(runs) == 80
    _same(load_results(out, table=False), runs)


WRITER = r"""
import os, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from mlee.results.loader import refresh_table
folder = Path({folder!r})
files = sorted(folder.glob("*.json"))
refresh_table(folder)  # imports done, the table whole: from here on every write renews one entry
print("ready", flush=True)
while True:  # renew the table again and again: every pass changes one file's identity
    for path in files:
        os.utime(path)
        refresh_table(folder, [path])
"""


def test_a_table_write_killed_with_sigkill_never_leaves_a_half_written_table(tmp_path, reference_dir):
    folder = tmp_path / "results"
    shutil.copytree(reference_dir / "published-results" / "sklearn", folder)
    expected = load_results(folder, table=False)
    rng = random.Random(7)
    for _ in range(6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), folder=str(folder))],
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.8))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(30)
        assert pq.read_table(folder / TABLE_FILE).num_rows >= 196  # whole: a damaged file raises here
        _forget_loaded_tables()
        _same(expected, load_results(folder))


def test_a_damaged_table_is_rebuilt_and_never_trusted(tmp_path, reference_dir, caplog):
    folder = tmp_path / "results"
    shutil.copytree(reference_dir / "published-results" / "sklearn", folder)
    loader.refresh_table(folder)
    expected = load_results(folder, table=False)
    data = (folder / TABLE_FILE).read_bytes()
    (folder / TABLE_FILE).write_bytes(data[: len(data) // 2])
    _forget_loaded_tables()
    with caplog.at_level("WARNING"):
        _same(expected, load_results(folder))
    assert "damaged" in caplog.text and TABLE_FILE in caplog.text
    assert pq.read_table(folder / TABLE_FILE).num_rows >= 196  # rewritten whole


def test_a_table_of_other_code_is_rebuilt(tmp_path, reference_dir, monkeypatch):
    folder = tmp_path / "results"
    shutil.copytree(reference_dir / "published-results" / "sklearn", folder)
    loader.refresh_table(folder)
    monkeypatch.setattr(loader, "code_fingerprint", lambda: "other code")
    parsed = _count_parsed(monkeypatch)
    load_results(folder)
    assert len(parsed) == 196


@dataclasses.dataclass(slots=True)
class _RowWithIdentity:
    dataset: str
    run: str
    file: str
    identity: str | None
    values: dict[str, float] = dataclasses.field(default_factory=dict)
    energy_complete: bool = True


def test_fields_and_values_the_loader_extracts_are_carried_without_a_schema(tmp_path):
    """A field of the row type (e.g. a run identity) and any value key round-trip; absent keys stay absent, NaN
    stays NaN."""
    folder = tmp_path / "results"
    folder.mkdir()
    paths = [str(folder / f"r{i}.json") for i in range(3)]
    for p in paths:
        Path(p).write_text("{}")
    rows = [_RowWithIdentity("iris", "r0", paths[0], "3fa2", {"time": 1.5, "f1_val": math.nan}),
            _RowWithIdentity("iris", "r1", paths[1], None, {"power_draw": 2.0}, False)]
    outcomes = {paths[0]: (rows[0], None, None, None, None),
                paths[1]: (rows[1], "r0", dataclasses.replace(rows[0], run="t1"), f"{paths[1]}: a note", None),
                paths[2]: (None, None, None, None, f"{paths[2]}: not a result file")}
    time.sleep(0.1)  # older than the racy window
    from mlee.results.table import identities

    states, taken, _ = identities(paths)
    table = ResultsTable(folder, _RowWithIdentity, "fp", folder / TABLE_FILE)
    table.update(paths, states, taken, lambda ps: [outcomes[p] for p in ps], complete=True)
    assert table.write()
    again = ResultsTable(folder, _RowWithIdentity, "fp", folder / TABLE_FILE).read()
    got = {p: again.outcome(p, s) for p, s in zip(paths, states)}
    first = got[paths[0]][0]
    assert first.identity == "3fa2" and first.values.keys() == {"time", "f1_val"} and math.isnan(first.values["f1_val"])
    second, train_name, embedded, note, error = got[paths[1]]
    assert second == rows[1] and train_name == "r0" and embedded.run == "t1" and embedded.identity == "3fa2"
    assert note == f"{paths[1]}: a note" and error is None
    assert got[paths[2]] == (None, None, None, None, f"{paths[2]}: not a result file")
    assert ResultsTable(folder, _RowWithIdentity, "other", folder / TABLE_FILE).read().entries == {}


def test_the_loaded_table_is_kept_in_the_cache_directory_named_by_xdg_cache_home(tmp_path, reference_dir,
                                                                                monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    load_results(reference_dir / "published-results" / "sklearn")
    assert list((tmp_path / "elsewhere" / "mlee" / "tables").glob("*.parquet"))
    assert list((tmp_path / "elsewhere" / "mlee" / "frames").glob("*.parquet"))


def test_an_unwritable_cache_still_loads(tmp_path, reference_dir, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    folder = reference_dir / "published-results" / "sklearn"
    loaded = load_results(folder)
    _same(load_results(folder, table=False), loaded)
    assert len(loaded) == 196


def test_without_pyarrow_loads_read_the_json_files_and_say_so_once(reference_dir):
    code = ("import sys, logging; sys.modules['pyarrow'] = None; logging.basicConfig(); "
            "from mlee.results import load_results; "
            "print(len(load_results(sys.argv[1])), len(load_results(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, str(reference_dir / "published-results" / "sklearn")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["196", "196"]
    assert done.stderr.count("pyarrow cannot be imported") == 1 and "pip install pyarrow" in done.stderr
