"""Bad flags end in a clear message and exit status 2, never a traceback, and nothing is written; the flags that
used to fail (--country DE, a partial or full-CPU --environment in the paper script, --output x.png) work."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from mlee.layout import SHIPPED_RESULTS as SHIPPED_ROOT

SHIPPED_RESULTS = SHIPPED_ROOT / "sklearn"  # one environment: the scikit-learn backend's shipped results
from mlee.monitoring.carbon import resolve_country
from mlee.cli.paper import build_parser as paper_parser
from mlee.results.environment import resolve_environment

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=env)


def refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)


def test_country_accepts_codes_and_names_and_refuses_the_unknown(tmp_path):
    assert {resolve_country(c) for c in ("DE", "de", "DEU", "Germany", " germany ")} == {"DEU"}
    assert resolve_country("United States") == resolve_country("US") == "USA"
    logs = tmp_path / "logs"
    common = ["evaluate_sklearn.py", "--dataset", "iris", "--model", "GNB", "--hyperparameters", "default",
              "--output-dir", str(logs), "--no-progress"]
    refused(run(*common, "--country", "XYZ"), "unknown country 'XYZ'", "DE, DEU or Germany")
    refused(run(*common, "--country", "Uni"), "ambiguous")
    assert not logs.exists()
    done = run(*common, "--country", "DE")
    assert done.returncode == 0, done.stderr
    (train,) = logs.glob("train_*")
    carbon = json.loads((train / "measurement.json").read_text())["carbon"]
    assert carbon["country"] == "DEU" and carbon["grams_co2e"] > 0


def test_test_size_is_checked_before_anything_runs(tmp_path):
    logs = tmp_path / "logs"
    for bad in ("1.5", "half"):
        refused(run("evaluate_sklearn.py", "--dataset", "iris", "--test-size", bad, "--output-dir", str(logs)),
                "--test-size", "between 0 and 1")
    refused(run("evaluate_hyperparams.py", "--test-size", "1", "--output-dir", str(tmp_path / "hp")), "--test-size")
    assert not logs.exists() and not (tmp_path / "hp").exists()


def test_evaluate_help_says_one_thing_about_all():
    text = " ".join(run("evaluate_sklearn.py", "--help").stdout.split())
    assert text.count("'all' =") == 1
    assert ("'all' = every dataset of mlee/data/datasets.json, with the methods that have a hyperparameter file "
            "for it") in text
    assert "Default: all." in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_label_png_is_a_real_png_and_unknown_suffixes_are_refused(tmp_path):
    label = ["-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--dataset", "iris", "--task",
             "inference", "--model", "RF"]
    done = run(*label, "--output", str(tmp_path / "rf.png"))
    assert done.returncode == 0, done.stderr
    png = (tmp_path / "rf.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (827, 1166)  # A6 at 200 dpi
    refused(run(*label, "--output", str(tmp_path / "rf.jpg")), ".pdf, .svg, .png")
    no_poppler = dict(os.environ, PATH=str(Path(sys.executable).parent))  # python, but no pdftoppm
    refused(run(*label, "--output", str(tmp_path / "again.png"), env=no_poppler), "poppler-utils")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rf.png"]


def test_a_missing_filename_is_reported(tmp_path):
    refused(run("-m", "mlee.label_generator", "--filename", str(tmp_path / "infer_2022_11_07_18_02_16.json")),
            "does not exist")


def test_one_environment_lookup_for_label_and_paper(tmp_path):
    # the paper's --help example is the full CPU name of the published results: the lookup accepts it
    example = re.search(r"'(Intel\(R\)[^']*)'", " ".join(paper_parser().format_help().split())).group(1)
    assert resolve_environment(example, ["Xeon(R) W-2155 - Scikit-learn 1.1.2", "EPYC - Scikit-learn 1.9.1"]) \
        == "Xeon(R) W-2155 - Scikit-learn 1.1.2"
    # a part of the name, and the full CPU name ("AMD EPYC"), as the label generator always accepted a part
    for name in ("EPYC", "AMD EPYC - Scikit-learn 1.9.1"):
        paper = run("create_paper_results.py", "--directory", str(SHIPPED_RESULTS), "--environment", name,
                    "--output", str(tmp_path / "paper"), "--dataset", "iris")
        assert paper.returncode == 0 and "environment: EPYC - Scikit-learn 1.9.1" in paper.stdout, paper.stderr
        label = run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--environment", name,
                    "--list", "--dataset", "iris")
        assert label.returncode == 0 and "22 label(s)" in label.stdout, label.stderr  # 11 methods x 2 tasks
    for tool in (["create_paper_results.py", "--output", str(tmp_path / "p2")], ["-m", "mlee.label_generator",
                                                                                  "--list"]):
        refused(run(*tool, "--directory", str(SHIPPED_RESULTS), "--environment", "Xeon"),
                "unknown environment 'Xeon'", "EPYC - Scikit-learn 1.9.1")


def test_an_empty_merge_says_what_to_run(tmp_path):
    (tmp_path / "logs").mkdir()
    done = run("merge_results.py", "--directory", str(tmp_path / "logs"), "--output-agglog-dir",
               str(tmp_path / "out"))
    assert done.returncode == 0
    assert "no experiment folders (train_*/infer_*) found" in done.stderr and "evaluate_sklearn.py" in done.stderr


def test_a_killed_merge_leaves_nothing_a_later_merge_keeps(tmp_path):
    out, archives = tmp_path / "out", tmp_path / "archives"
    for folder, name in ((out, ".infer_2026_11_29_10_00_00.json.k2j3h4.tmp"),
                         (archives, ".infer_2026_11_29_10_00_00.tar.gz.x8y7.tmp")):
        folder.mkdir()
        (folder / name).write_bytes(b"half a file")
    (tmp_path / "logs").mkdir()
    done = run("merge_results.py", "--directory", str(tmp_path / "logs"), "--output-agglog-dir", str(out),
               "--output-log-dir", str(archives))
    assert done.returncode == 0 and "2 leftover temporary file(s) of killed merges removed" in done.stdout
    assert not [p for p in [*out.iterdir(), *archives.iterdir()] if p.name.endswith(".tmp")]


def test_elex_reports_a_busy_port_before_claiming_to_run():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("elex.py", "--directory", str(SHIPPED_RESULTS), "--port", str(port), timeout=60)
    refused(done, f"127.0.0.1:{port}", "busy", f"--port {port + 1}")
    assert "ELEx: http" not in done.stdout


def test_export_writes_a_tidy_table(tmp_path):
    csv, parquet = tmp_path / "ratings.csv", tmp_path / "ratings.parquet"
    for path in (csv, parquet):
        done = run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--export", str(path))
        assert done.returncode == 0, done.stderr
    table = pd.read_csv(csv)
    # 11 methods x 4 classification datasets + 9 regressors on diabetes, training and inference
    assert len(table) == 106 and not table.duplicated(["dataset", "task", "environment", "model"]).any()
    assert set(table["compound_rating"]) <= set("ABCDE")
    row = table[(table.dataset == "iris") & (table.task == "inference") & (table.model == "Logistic Regression")]
    assert row["power_draw_index"].item() == pytest.approx(1.0) and row["power_draw_unit"].item() == "J"
    assert row["f1_val_unit"].item() == "fraction" and 0 < row["f1_val"].item() <= 1
    assert row["n_runs"].item() == 3 and row["energy_estimated"].item()
    assert row["files"].item().count(";") == 2 and row["rating_mode"].item() == "optimistic median"
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), table, check_dtype=False)
    refused(run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--export",
                str(tmp_path / "x.xlsx")), ".csv or .parquet")
    no_arrow = run("-c", "import sys; sys.modules['pyarrow'] = None; from mlee.cli.label import main; "
                   f"sys.exit(main(['--directory', {str(SHIPPED_RESULTS)!r}, '--export', {str(parquet)!r}]))")
    refused(no_arrow, 'pip install "mlee[parquet]"')


def test_console_entry_points_are_installed():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"mlee", "mlee-evaluate", "mlee-search", "mlee-merge", "mlee-label", "mlee-paper", "mlee-elex"}
    for name in scripts:
        command = Path(sys.executable).parent / name
        if not command.exists():
            pytest.fail(f"{name} is not installed: run `bash .ci/run` (pip install -e .)")
        done = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
