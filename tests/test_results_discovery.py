"""Folder links in a results folder: a loop (``ln -s . loop``), a link to a parent (``ln -s .. up``), a link out of
the folder and two links pointing at each other are not followed, and no consumer (loader, label CLI, paper
script, ELEx) crashes or reads what lies outside the folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from elex_support import Server
from mlee.layout import SHIPPED_RESULTS
from mlee.results import load_results, result_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> tuple[Path, int]:
    """(results folder with folder links of every kind, number of result files really in it)."""
    base = tmp_path_factory.mktemp("linked")
    results = base / "results"
    (results / "sklearn").mkdir(parents=True)
    copied = 0
    for path in sorted((SHIPPED_RESULTS / "sklearn").glob("*.json")):
        if json.loads(path.read_bytes())["config"]["dataset"] == "iris":
            shutil.copy(path, results / "sklearn" / path.name)
            copied += 1
    outside = base / "elsewhere"
    outside.mkdir()
    decoy = next((results / "sklearn").glob("infer_*.json"))
    shutil.copy(decoy, outside / "infer_2000_01_01_00_00_00.json")  # would load as one more run
    shutil.copy(decoy, base / "infer_2000_01_01_00_00_01.json")
    os.symlink(".", results / "loop")
    os.symlink("..", results / "sklearn" / "up")
    os.symlink(outside, results / "out")
    os.symlink("sklearn", results / "again")  # inside, but read already
    os.symlink("pong", results / "ping")
    os.symlink("ping", results / "pong")
    return results, copied


def test_loader_reads_each_result_once_and_nothing_outside_the_folder(linked, caplog):
    results, copied = linked
    files = result_files(results)
    assert len(files) == copied
    assert all(os.path.realpath(f).startswith(str(results.resolve()) + os.sep) for f in files)
    runs = load_results(results)
    assert len(runs) == copied and not runs.attrs["warnings"]
    assert "2000_01_01" not in " ".join(runs["run"])
    logged = caplog.text
    for link in ("loop", "up", "out", "ping"):
        assert f"{link} not followed" in logged or f"{link} (" in logged, link


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_label_cli_lists_the_labels_of_a_folder_with_links(linked, tmp_path):
    results, _ = linked
    done = run("-m", "mlee.label_generator", "--directory", str(results), "--list")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "iris" in done.stdout


def test_paper_script_on_a_folder_with_links(linked, tmp_path):
    results, _ = linked
    done = run(str(ROOT / "create_paper_results.py"), "--directory", str(results), "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "table_best_models.tex").is_file()


def test_elex_serves_a_folder_with_links(linked, tmp_path):
    results, copied = linked
    with Server(results, tmp_path / "elex.log") as server:
        data_log = server.log_path.read_text()
    assert "not followed" in data_log and "Traceback" not in data_log
