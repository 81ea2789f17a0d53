"""A user's own estimators through the whole chain: a class from a temporary module (without predict_proba and
without a size formula) and a Pipeline from a factory, run by ``evaluate_sklearn.py --model module:Name`` with
their parameters beside a catalog method, merged, rated relative to it and labelled. What the runner needs is
checked before any run: a missing piece exits 2 naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlee.rating import RatingSettings, rate
from mlee.results import aggregate_runs, load_results

ROOT = Path(__file__).resolve().parents[1]

MODULE = textwrap.dedent('''
    """Estimators of a user's own, outside mlee."""
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler


    class NearestMean(ClassifierMixin, BaseEstimator):
        """Predicts the class whose mean is nearest, after shrinking each mean towards the overall mean."""

        def __init__(self, shrink=0.0):
            self.shrink = shrink

        def fit(self, X, y):
            X = np.asarray(X, dtype=float)
            self.classes_ = np.unique(y)
            centre = X.mean(axis=0)
            self.means_ = np.array([(1 - self.shrink) * X[y == c].mean(axis=0) + self.shrink * centre
                                    for c in self.classes_])
            return self

        def predict(self, X):
            distances = ((np.asarray(X, dtype=float)[:, None, :] - self.means_[None]) ** 2).sum(axis=2)
            return self.classes_[distances.argmin(axis=1)]


    def scaled_logistic(C=1.0):
        return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(C=C, max_iter=500))])


    class NoPredict(BaseEstimator):
        def fit(self, X, y):
            return self
''')


@pytest.fixture()
def user_module(tmp_path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "my_models.py").write_text(MODULE)
    return folder


def _run(module_dir: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(module_dir)])})


def _evaluate(module_dir: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return _run(module_dir, str(ROOT / "evaluate_sklearn.py"), "--dataset", "iris", "--hyperparameters", "default",
                "--monitor", "estimate", "--no-progress", "--output-dir", str(out), *args)


def _configs(out: Path) -> dict[str, dict]:
    return {json.loads((p / "config.json").read_text())["model"]: json.loads((p / "config.json").read_text())
            for p in out.glob("infer_*")}


def test_a_user_class_and_a_pipeline_run_merge_rate_and_label(tmp_path, user_module):
    logs, results, labels = tmp_path / "logs", tmp_path / "results", tmp_path / "labels"
    for model, params in (("my_models:NearestMean", ["--param", "shrink=0.25"]),
                          ("my_models:scaled_logistic", ["--param", "C=0.5"])):
        done = _evaluate(user_module, logs, "--model", model, *params, "--repeats", "2")
        assert done.returncode == 0, done.stderr[-3000:]
    done = _evaluate(user_module, logs, "--model", "Logistic Regression", "--repeats", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    configs = _configs(logs)
    nearest = next(m for m in configs if m.startswith("my_models:NearestMean@src-"))
    pipeline = next(m for m in configs if m.startswith("my_models:scaled_logistic@src-"))
    assert configs[nearest]["spec"]["hyperparameters"] == {"shrink": 0.25}
    assert configs[pipeline]["spec"]["hyperparameters"] == {"C": 0.5}
    assert len({c["identity"] for c in configs.values()}) == 3

    results_of = {m: json.loads(next(p for p in logs.glob("infer_*")
                                     if json.loads((p / "config.json").read_text())["model"] == m)
                                .joinpath("results.json").read_text()) for m in (nearest, pipeline)}
    robustness = results_of[nearest]["robustness"]
    assert robustness["metrics"]["ece"] is None and robustness["metrics"]["brier"] is None
    assert "no predict_proba" in robustness["calibration"]["not_available"]
    assert results_of[nearest]["model"]["params"] is None
    assert "NearestMean" in results_of[nearest]["model"]["counters_not_available"]
    assert results_of[pipeline]["model"]["params"] > 0  # the final step, a logistic regression, is counted
    assert results_of[pipeline]["robustness"]["metrics"]["ece"] is not None

    done = _run(user_module, "merge_results.py", "--directory", str(logs), "--output-agglog-dir", str(results),
                "--quiet")
    assert done.returncode == 0, done.stderr[-3000:]
    rated = rate(aggregate_runs(load_results(results)), RatingSettings.default())
    assert set(rated["model"]) == {nearest, pipeline, "Logistic Regression"}
    assert not rated["reference_fallback"].any()  # iris's reference, Logistic Regression, ran beside them
    assert rated["compound_rating"].notna().all()

    done = _run(user_module, "-m", "mlee.label_generator", "--directory", str(results), "--all", "--output",
                str(labels), "--issue-date", "2026-12-07")
    assert done.returncode == 0, done.stderr[-3000:]
    texts = [" ".join(page.extract_text() for page in PdfReader(path).pages) for path in labels.glob("*.pdf")]
    assert len(texts) == 6  # 3 models x (inference, training)
    assert sum("NearestMean" in text for text in texts) == 2
    assert sum("scaled_logistic" in text for text in texts) == 2


def test_what_the_runner_needs_is_checked_before_any_run(tmp_path, user_module):
    cases = {
        "my_models:NoPredict": "without predict",
        "my_models:Missing": "has no 'Missing'",
        "not_a_module_here:Model": "does not import",
        "my_models": None,  # no ':' -> an unknown catalog name
    }
    for model, words in cases.items():
        done = _evaluate(user_module, tmp_path / "logs", "--model", model)
        assert done.returncode == 2, (model, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
        assert (words or "Unknown method") in done.stderr, (model, done.stderr)
    done = _evaluate(user_module, tmp_path / "logs", "--model", "my_models:NearestMean", "--param", "shrinkage=1")
    assert done.returncode == 2 and "no parameter(s) shrinkage" in done.stderr, done.stderr[-2000:]
    done = _evaluate(user_module, tmp_path / "logs", "--model", "Random Forest", "--param", "n_estimators=5")
    assert done.returncode == 2 and "--param and --params" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "logs").exists()


def test_the_parameters_file_and_the_estimator_version_make_the_identity(tmp_path, user_module):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"shrink": 0.5}))
    first = _evaluate(user_module, tmp_path / "a", "--model", "my_models:NearestMean", "--params", str(params))
    again = _evaluate(user_module, tmp_path / "b", "--model", "my_models:NearestMean", "--param", "shrink=0.5")
    other = _evaluate(user_module, tmp_path / "c", "--model", "my_models:NearestMean", "--param", "shrink=0.1")
    (user_module / "my_models.py").write_text(MODULE + "\n# edited\n")
    edited = _evaluate(user_module, tmp_path / "d", "--model", "my_models:NearestMean", "--params", str(params))
    for done in (first, again, other, edited):
        assert done.returncode == 0, done.stderr[-2000:]
    (a,), (b,), (c,), (d,) = (list(_configs(tmp_path / n).values()) for n in "abcd")
    assert a["identity"] == b["identity"]
    assert a["identity"] != c["identity"]
    assert a["identity"] != d["identity"] and a["model"] != d["model"]  # the edited module is another version


def test_a_methods_file_adds_and_replaces_methods_and_names_their_estimator(tmp_path, user_module):
    table = tmp_path / "my_methods.json"
    table.write_text(json.dumps({
        "_doc": "my own methods",
        "Nearest Mean": {"short": "NM", "estimator": "my_models.NearestMean", "params": {"shrink": 0.1}},
        "Random Forest": {"short": "RF", "estimator": "sklearn.ensemble.ExtraTreesClassifier",
                          "params": {"n_estimators": 7}},
    }))
    done = _evaluate(user_module, tmp_path / "own", "--model", "NM", "RF", "--methods", str(table))
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = _evaluate(user_module, tmp_path / "shipped", "--model", "RF")
    assert shipped.returncode == 0, shipped.stderr[-3000:]
    own, (shipped_rf,) = _configs(tmp_path / "own"), _configs(tmp_path / "shipped").values()
    assert set(own) == {"Nearest Mean", "Random Forest"}
    assert own["Random Forest"]["spec"]["estimator"].startswith("sklearn.ensemble.ExtraTreesClassifier@")
    assert own["Random Forest"]["spec"]["hyperparameters"] == {"n_estimators": 7}
    assert own["Nearest Mean"]["spec"]["estimator"].startswith("my_models.NearestMean@src-")
    assert "estimator" not in shipped_rf["spec"] or shipped_rf["spec"]["estimator"] is None
    assert own["Random Forest"]["identity"] != shipped_rf["identity"]
    infer = next(p for p in (tmp_path / "own").glob("infer_*")
                 if json.loads((p / "config.json").read_text())["model"] == "Random Forest")
    assert json.loads((infer / "results.json").read_text())["model"]["hyperparams"]["n_estimators"] == 7

    bad = {"no estimator": {"Mine": {"short": "M"}}, "not importable": {"Mine": {"short": "M", "estimator": "nope.X"}},
           "no predict": {"Mine": {"short": "M", "estimator": "my_models.NoPredict"}}}
    words = {"no estimator": "needs 'estimator'", "not importable": "does not import", "no predict": "without predict"}
    for case, content in bad.items():
        table.write_text(json.dumps(content))
        done = _evaluate(user_module, tmp_path / "bad", "--model", "Mine", "--methods", str(table))
        assert done.returncode == 2 and words[case] in done.stderr, (case, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
