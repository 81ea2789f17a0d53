"""``mlee.notebook.rate_estimator``: one call measures an estimator and a reference on ``X, y``, rates the
estimator relative to the reference and gives values, intervals, letters and its label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris, load_wine
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mlee.notebook import rate_estimator
from mlee.runs.user_model import UserModelError


class MajorityClass(ClassifierMixin, BaseEstimator):
    """Predicts the most frequent training class; no predict_proba."""

    def fit(self, X, y):
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.majority_)


def test_a_pipeline_is_rated_relative_to_the_reference_with_intervals_letters_and_a_label(tmp_path):
    frame = load_iris(as_frame=True).frame
    frame["colour"] = np.random.default_rng(1).choice(["red", "blue"], size=len(frame))
    X, y = frame.drop(columns="target"), frame["target"].to_numpy()
    result = rate_estimator(make_pipeline(StandardScaler(), LinearSVC()), X, y, name="scaled SVC", repeats=2,
                            monitor="estimate", output_dir=tmp_path / "out", dataset_name="Flowers")
    assert result.model == "scaled SVC" and result.reference == "Logistic Regression"
    assert result.dataset.startswith("data:") and set(result.compound) == {"inference", "training"}
    assert all(letter in "ABCDE" for letter in result.compound.values())
    assert result.summaries["inference"].n_runs == 2
    accuracy = result.values["inference"]["top1_val"]
    assert 0.6 < accuracy <= 1
    low, high = result.intervals["inference"]["power_draw"]
    assert low <= result.values["inference"]["power_draw"] <= high
    assert result.letters["inference"]["top1_val"] in tuple("ABCDE")
    reference = result.table[(result.table["model"] == "Logistic Regression") & (result.table["task"] == "inference")]
    assert reference["top1_val_index"].round(9).tolist() == [1.0]  # the indices are relative to the reference
    assert not result.table["reference_fallback"].any()
    pdf = result.label(tmp_path / "scaled_svc.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "scaled SVC" in text and "Flowers" in text
    assert result.label(tmp_path / "training.svg", task="training").read_text().startswith("<?xml")
    assert "scaled SVC on data:" in str(result) and "compound" in str(result)


def test_what_an_estimator_cannot_give_is_unrated_with_the_reason(tmp_path):
    X, y = load_wine(return_X_y=True)
    result = rate_estimator(MajorityClass(), X, y, reference=GaussianNB(), monitor="estimate",
                            output_dir=tmp_path / "out")
    assert result.model.startswith("test_notebook_api:MajorityClass@")
    assert result.reference.startswith("sklearn.naive_bayes:GaussianNB@")
    assert result.letters["inference"]["ece"] is None and result.values["inference"]["ece"] is None
    assert result.letters["inference"]["parameters"] is None
    assert any("no predict_proba" in note for note in result.notes)
    assert any("no parameter or FLOP formula" in note for note in result.notes)
    assert result.values["inference"]["top1_val"] < 0.5  # the majority class of three


def test_the_same_data_is_one_dataset_and_an_estimator_without_predict_is_refused(tmp_path):
    X, y = load_iris(return_X_y=True)
    first = rate_estimator(GaussianNB(), X, y, monitor="estimate", robustness=False, output_dir=tmp_path / "a")
    again = rate_estimator(GaussianNB(), pd.DataFrame(X), list(y), monitor="estimate", robustness=False,
                           output_dir=tmp_path / "b")
    assert first.dataset == again.dataset
    other = rate_estimator(GaussianNB(), X[:, :3], y, monitor="estimate", robustness=False,
                           output_dir=tmp_path / "c")
    assert other.dataset != first.dataset

    class NoPredict(BaseEstimator):
        def fit(self, X, y):
            return self

    with pytest.raises(UserModelError, match="without predict"):
        rate_estimator(NoPredict(), X, y, monitor="estimate", output_dir=tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_a_regressor_is_rated_relative_to_the_linear_reference(tmp_path):
    from sklearn.datasets import load_diabetes
    from sklearn.tree import DecisionTreeRegressor

    X, y = load_diabetes(return_X_y=True)
    result = rate_estimator(DecisionTreeRegressor(max_depth=3), X, y, task="regression", monitor="estimate",
                            robustness=False, output_dir=tmp_path / "out")
    assert result.reference == "Ridge Regression"
    assert 0 < result.values["inference"]["r2_val"] < 1
    assert result.letters["inference"]["r2_val"] in tuple("ABCDE")
    assert result.values["inference"].get("top1_val") is None
    assert result.label(tmp_path / "tree.svg").is_file()
