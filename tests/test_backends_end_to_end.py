"""The backend splits results into environments, end to end: evaluate the same methods with scikit-learn,
scikit-learn-intelex and PyTorch on iris (real fits), merge, load and rate per environment, write a label of
one backend through the label CLI, the paper's method x backend table, and ELEx showing all three side by side
(real server, headless chromium)."""

from __future__ import annotations

import importlib.metadata

import pandas as pd
import pytest
from elex_support import Server, make_driver, needs_browser, open_page
from pypdf import PdfReader

from mlee.cli import evaluate as cli
from mlee.cli.label import main as label_main
from mlee.merge import merge_directory
from mlee.paper.generate import PaperOptions, generate
from mlee.rating import RatingSettings, rate
from mlee.results import aggregate_runs, load_results

pytest.importorskip("sklearnex")
torch = pytest.importorskip("torch")

MODELS = {"sklearn": ["LR", "kNN"], "sklearnex": ["LR", "kNN"], "torch": ["LR"]}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("backends")
    for backend, models in MODELS.items():
        status = cli.evaluate_main(["--dataset", "iris", "--model", *models, "--backend", backend, "--output-dir",
                                    str(root / "logs" / backend), "--monitor", "estimate", "--no-progress"])
        assert status == 0, backend
        report = merge_directory(root / "logs" / backend, root / "results" / backend, progress=False)
        assert not report.failed, report.failed
    return root / "results"


def _software() -> dict[str, str]:
    import sklearn

    return {"sklearn": f"Scikit-learn {sklearn.__version__}",
            "sklearnex": f"scikit-learn-intelex {importlib.metadata.version('scikit-learn-intelex')}",
            "torch": f"PyTorch {torch.__version__}"}


def test_each_backend_is_its_own_environment_and_is_rated_within_it(results):
    runs = load_results(results)
    software = _software()
    environments = {env.rpartition(" - ")[2]: env for env in runs["environment"].unique()}
    assert set(environments) == set(software.values())
    assert len({env.rpartition(" - ")[0] for env in environments.values()}) == 1  # the same hardware
    rated = rate(aggregate_runs(runs), RatingSettings.default())
    for backend, models in MODELS.items():
        rows = rated[rated["environment"] == environments[software[backend]]]
        assert len(rows) == 2 * len(models)  # inference and training per model
        lr = rows[rows["model"] == "Logistic Regression"]
        assert (lr["power_draw_index"].round(9) == 1).all(), "LR is iris's reference in every environment"


def test_label_cli_writes_the_label_of_one_backend(results, tmp_path, capsys):
    out = tmp_path / "lr.pdf"
    status = label_main(["--directory", str(results), "--dataset", "iris", "--task", "inference", "--model", "LR",
                         "--environment", "intelex", "--output", str(out), "--issue-date", "2026-11-29"])
    assert status == 0, capsys.readouterr().err
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "scikit-learn-intelex" in text and "Logistic Regression" in text
    assert label_main(["--directory", str(results), "--dataset", "iris", "--task", "inference", "--model", "LR",
                       "--output", str(tmp_path / "x.pdf")]) == 2  # three environments fit: the user must choose
    assert "environment" in capsys.readouterr().err.lower()


def test_paper_writes_the_method_by_backend_table(results, tmp_path):
    generate(PaperOptions(directory=results, output=tmp_path, dataset="iris",
                          environment=next(e for e in load_results(results)["environment"].unique()
                                           if e.endswith(_software()["sklearn"]))))
    table = pd.read_csv(tmp_path / "table_backends.csv")
    pairs = set(zip(table["model_short"], table["backend"]))
    software = _software()
    assert pairs == {("LR", software["sklearn"]), ("LR", software["sklearnex"]), ("LR", software["torch"]),
                     ("kNN", software["sklearn"]), ("kNN", software["sklearnex"])}
    assert (table["train_energy"] > 0).all() and (table["infer_time"] > 0).all()
    assert table["accuracy"].between(80, 100).all()
    tex = (tmp_path / "table_backends.tex").read_text()
    assert tex.count(r"\\") >= 6 and "PyTorch" in tex and "scikit-learn-intelex" in tex


@needs_browser
def test_elex_shows_the_backends_side_by_side(results, tmp_path):
    server = Server(results, tmp_path / "server.log")
    driver = None
    try:
        server.wait()
        driver = make_driver(tmp_path)
        fig = open_page(driver, server.url)
        shown = {tuple(point[:2]) for trace in fig["traces"] if trace["custom"] for point in trace["custom"]}
        environments = {env for env, _ in shown}
        assert {env.rpartition(" - ")[2] for env in environments} == set(_software().values())
        assert {model for env, model in shown if "PyTorch" in env} == {"Logistic Regression"}
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
