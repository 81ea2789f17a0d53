"""The whole chain on a small slice, through the shipped scripts, as the quickstart runs it: evaluate two
methods on a bundled dataset, merge, load and rate, write labels, generate the paper outputs, then serve
ELEx on the fresh results and load its page in headless chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from elex_support import ROOT, Server, make_driver, needs_browser, open_page
from pypdf import PdfReader

from mlee.catalog import method_short
from mlee.rating import RatingSettings, rate
from mlee.results import aggregate_runs, load_results

MODELS = ("Logistic Regression", "Random Forest")


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quickstart")
    done = subprocess.run([sys.executable, "-m", "mlee.quickstart", "--output", str(out), "--dataset", "iris",
                           "--model", *MODELS, "--repeats", "2", "--issue-date", "2026-11-29", "--no-serve"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_experiment_folders_and_merged_files(chain):
    folders = sorted(p.name.split("_")[0] for p in (chain / "logs" / "sklearn").iterdir() if p.is_dir())
    assert folders == ["infer"] * 4 + ["train"] * 4  # 2 methods x 2 repeats, one folder per phase
    merged = sorted((chain / "results" / "sklearn").glob("[it]*.json"))
    assert len(merged) == 8
    infer = json.loads(next(p for p in merged if p.name.startswith("infer")).read_text())
    for key in ("directory_name", "config", "execution_platform", "requirements", "validation", "training"):
        assert key in infer, key
    assert infer["config"]["dataset"] == "iris"


def test_results_load_and_rate_relative_to_the_reference(chain):
    runs = load_results(chain / "results")
    assert len(runs) == 8 and set(runs["model"]) == set(MODELS)
    assert runs["energy_estimated"].all()  # this machine has no energy counters, and the table says so
    rated = rate(aggregate_runs(runs), RatingSettings.default())
    assert len(rated) == 4  # repeats aggregated: (2 models) x (inference, training)
    assert set(rated["task"]) == {"inference", "training"}
    assert not rated["reference_fallback"].any(), "iris has a shipped reference model"
    reference = rated[rated["model"] == "Logistic Regression"]
    assert (reference["power_draw_index"].round(9) == 1).all()
    other = rated[rated["model"] == "Random Forest"]
    expected = reference.set_index("task")["power_draw"] / other.set_index("task")["power_draw"]
    assert other.set_index("task")["power_draw_index"].to_numpy() == pytest.approx(expected.to_numpy())
    assert set(rated["compound_rating"]) <= set(range(5))


def test_labels_show_each_model(chain):
    labels = sorted((chain / "labels").glob("*.pdf"))
    assert len(labels) == 4
    texts = [" ".join(page.extract_text() for page in PdfReader(path).pages) for path in labels]
    for model in MODELS:
        title = f"{model} ({method_short(model)})"
        assert sum(title in text for text in texts) == 2, title  # inference and training label
    assert all("estimated" in text and "Iris" in text for text in texts)


def test_paper_outputs(chain):
    paper = chain / "paper_results"
    table = (paper / "table_best_models.tex").read_text()
    assert "Iris" in table and any(method_short(m) in table for m in MODELS)
    assert "estimated" in table
    for name in ("table_weights.tex", "scatter index.pdf", *(f"label {m}.pdf" for m in MODELS)):
        assert (paper / name).is_file(), name
    reader = PdfReader(paper / "scatter index.pdf")
    assert len(reader.pages) == 1


@needs_browser
def test_elex_serves_the_fresh_results(chain, tmp_path):
    server = Server(chain / "results", tmp_path / "server.log")
    driver = None
    try:
        server.wait()
        driver = make_driver(tmp_path)
        fig = open_page(driver, server.url)
        shown = sorted(text for trace in fig["traces"] if trace["custom"] for text in trace["text"])
        assert shown == sorted(method_short(m) for m in MODELS)
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
