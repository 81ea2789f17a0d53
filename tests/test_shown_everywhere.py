"""What a run computed is shown where its numbers are: intervals, letter stability, estimated energy, CO2e, net
energy and backend fallbacks, in the run summary, ``--list``, the export and the label (real runs, real files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from mlee.layout import SHIPPED_RESULTS

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """iris, GNB and LR, two repeats each, with a grid for CO2e and an idle baseline; merged."""
    base = tmp_path_factory.mktemp("sweep")
    logs, results = base / "logs", base / "results"
    done = run("evaluate_sklearn.py", "--dataset", "iris", "--model", "GNB", "LR", "--hyperparameters", "default",
               "--output-dir", str(logs), "--no-progress", "--country", "DE", "--idle-seconds", "0.2",
               "--repeats", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    merged = run("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results), "--quiet")
    assert merged.returncode == 0, merged.stderr[-3000:]
    return done, results


def test_a_sweep_ends_with_a_table_of_energy_time_co2e_and_letters(sweep):
    done, _ = sweep
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("dataset") and "energy [95 %]" in line)
    assert "CO2e" in lines[header] and "letter" in lines[header] and "time" in lines[header]
    assert "net of idle" in lines[header]
    rows = lines[header + 1:header + 5]
    assert sorted(r.split()[2] for r in rows) == ["GNB", "GNB", "LR", "LR"]
    assert all(" est." in r and "%" in r and ("g " in r or r.rstrip().endswith("g")) for r in rows), rows
    assert any("estimated energy" in line for line in lines[header + 5:])


def test_list_shows_letter_stability_energy_interval_estimated_and_co2e(sweep):
    _, results = sweep
    done = run("-m", "mlee.label_generator", "--directory", str(results), "--list")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert "rating (stability, range)" in header and "energy [95 % interval]" in header and "CO2e" in header
    assert "net of idle" in header
    body = [r for r in rows if r.startswith("iris")]
    assert len(body) == 4 and all("%" in r and "est." in r and "\u2013" in r for r in body)
    assert "energies are estimated" in done.stdout and "running time and CPU use" in done.stdout


def test_export_has_interval_stability_range_co2e_and_net_energy_columns(sweep, tmp_path):
    _, results = sweep
    path = tmp_path / "ratings.csv"
    assert run("-m", "mlee.label_generator", "--directory", str(results), "--export", str(path)).returncode == 0
    table = pd.read_csv(path)
    for column in ("power_draw_low", "power_draw_high", "power_draw_rating_stability", "power_draw_rating_range",
                   "compound_rating_stability", "compound_rating_range", "co2e_g", "net_power_draw",
                   "carbon_country", "backend_status"):
        assert column in table.columns, column
    assert (table["power_draw_low"] <= table["power_draw"]).all()
    assert (table["power_draw"] <= table["power_draw_high"]).all()
    assert table["compound_rating_stability"].between(0, 1).all()
    assert (table["co2e_g"] > 0).all() and set(table["carbon_country"]) == {"DEU"}
    assert table["net_power_draw"].notna().all() and (table["net_power_draw"] < table["power_draw"]).all()


def test_label_shows_sureness_interval_co2e_and_net_energy(sweep, tmp_path):
    _, results = sweep
    out = tmp_path / "label.pdf"
    done = run("-m", "mlee.label_generator", "--directory", str(results), "--dataset", "iris", "--task",
               "training", "--model", "LR", "--output", str(out))
    assert done.returncode == 0, done.stderr
    text = PdfReader(out).pages[0].extract_text()
    assert "% sure" in text and "Total, 95 %:" in text
    assert "CO2e (DEU)" in text and "net of idle" in text


def test_backend_fallback_is_shown_on_label_and_list(tmp_path):
    listing = run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--list", "--dataset", "iris",
                  "--model", "Random Forest", "--task", "inference")
    assert listing.returncode == 0, listing.stderr
    intelex = [r for r in listing.stdout.splitlines() if "intelex" in r and "(RF)" in r]
    assert intelex and all("[fallback]" in r for r in intelex)
    assert not any("[fallback]" in r for r in listing.stdout.splitlines() if "Scikit-learn 1.9" in r)
    out = tmp_path / "rf.pdf"
    done = run("-m", "mlee.label_generator", "--directory", str(SHIPPED_RESULTS), "--dataset", "iris", "--task",
               "inference", "--model", "Random Forest", "--environment", "intelex", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "fell back to stock scikit-learn" in PdfReader(out).pages[0].extract_text()
