"""The paper tables show CO2e and energy net of idle where runs recorded them (``--country``, ``--idle-seconds``):
a column each, ``n.a.`` in the rows of runs that did not record them, no column when no row did. Real runs (iris:
two methods with a grid and an idle baseline, one without) and a real merge."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    from mlee.rating import RatingSettings, rate
    from mlee.results import aggregate_runs, load_results

    base = tmp_path_factory.mktemp("recorded")
    logs = base / "logs"
    common = ("--dataset", "iris", "--hyperparameters", "default", "--output-dir", str(logs), "--no-progress")
    _run("evaluate_sklearn.py", "--model", "GNB", "LR", *common, "--country", "DE", "--idle-seconds", "0.2")
    _run("evaluate_sklearn.py", "--model", "kNN", *common)
    _run("merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(base / "results"), "--quiet")
    return rate(aggregate_runs(load_results(base / "results")), RatingSettings.default())


def _rows(text: str) -> list[list[str]]:
    body = text.split(r"\midrule", 1)[1].split(r"\bottomrule", 1)[0]
    return [[c.strip() for c in line.strip().removesuffix(r"\\").split(" & ")] for line in body.strip().splitlines()]


def _columns(text: str) -> int:
    return len(re.search(r"\\begin\{tabular\}\{([^}]*)\}", text).group(1))


def test_best_model_table_has_co2e_and_net_energy_columns_with_na_where_not_recorded(rated):
    from mlee.paper.tables import best_models_tex

    rows = rated[(rated["task"] == "inference") & rated["model_short"].isin(["GNB", "kNN"])].sort_values("model_short")
    text = best_models_tex(rows)
    header = text.split(r"\toprule", 1)[1].split(r"\midrule", 1)[0]
    assert "CO2e" in header and "Net energy" in header and header.rstrip().rstrip("\\").rstrip().endswith("[J]")
    gnb, knn = _rows(text)
    assert len(gnb) == len(knn) == _columns(text)
    assert re.fullmatch(r"[\d.]+ [nµm]?g", gnb[-2]) and gnb[-1] != "n.a."
    energy = float(re.match(r"[\d.]+", gnb[2]).group(0))
    assert 0 < float(gnb[-1]) < energy  # the idle baseline subtracted
    assert knn[-2:] == ["n.a.", "n.a."]


def test_tables_without_recorded_values_have_no_such_columns(rated):
    from mlee.paper.tables import best_models_tex

    rows = rated[(rated["task"] == "inference") & (rated["model_short"] == "kNN")]
    text = best_models_tex(rows)
    assert "CO2e" not in text and "Net energy" not in text


def test_backend_table_has_inference_co2e_and_net_energy_columns(rated):
    from mlee.paper.backends import backend_comparison, backends_tex

    table = backend_comparison(rated, str(rated["environment"].iloc[0]), "iris")
    text = backends_tex(table)
    assert "Inference CO2e" in text and "Inference net energy [J]" in text
    rows = {row[0]: row for row in _rows(text)}
    assert set(rows) == {"GNB", "LR", "kNN"} and all(len(r) == _columns(text) for r in rows.values())
    assert rows["kNN"][-3:-1] == ["n.a.", "n.a."]
    assert rows["LR"][-3].endswith("g") and float(rows["LR"][-2]) > 0
