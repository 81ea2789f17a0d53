"""Methods: names, valid search spaces, parameter counts and FLOPs against hand counts, PAPI handling."""

from __future__ import annotations

import pickle
import types
import warnings

import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ParameterSampler

from mlee.runs.complexity import count_flops, count_parameters, measure_flops, model_info, model_size_bytes
from mlee.runs.errors import UnknownNameError
from mlee.runs.methods import make_estimator, method_names, method_search_space, resolve_method_name
from mlee.runs.quality import quality_metrics


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


@pytest.mark.parametrize("given, full", [("Random Forest", "Random Forest"), ("rf", "Random Forest"),
                                         ("XRF", "Extra Random Forest"), ("random_forest", "Random Forest"),
                                         ("knn", "k-Nearest Neighbors"), ("LOGISTIC REGRESSION", "Logistic Regression")])
def test_method_names_resolve(given, full):
    assert resolve_method_name(given) == full


def test_unknown_method_lists_valid_names():
    with pytest.raises(UnknownNameError) as err:
        resolve_method_name("Random Tree")
    assert "Random Forest (RF)" in str(err.value) and "'Random Tree'" in str(err.value)


def test_the_catalog_holds_the_ten_study_methods_and_gradient_boosting():
    assert len(method_names()) == 11
    assert resolve_method_name("HGB") == "Histogram Gradient Boosting"


@pytest.mark.parametrize("method", method_names())
def test_search_space_configurations_fit(method):
    """Sampled configurations of every space fit and predict in the installed scikit-learn."""
    X, y = load_iris(return_X_y=True)
    X = X[::3]
    y = y[::3]
    space = method_search_space(method)
    configs = list(ParameterSampler(space, n_iter=4, random_state=0))
    # every categorical value appears in some config: add one config per listed value
    for key, values in space.items():
        if isinstance(values, list):
            for value in values:
                configs.append({**configs[0], key: value})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for params in configs:
            model = make_estimator(method, params, seed=0).fit(X, y)
            assert model.predict(X[:5]).shape == (5,)
            assert count_parameters(model) > 0 and count_flops(model) > 0


def _fit(method, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_estimator(method, params, seed=0).fit(X, y)


def test_parameter_counts_match_hand_counts(wine):
    X, y = wine
    n, d, c = X.shape[0], X.shape[1], 3

    gnb = _fit("GNB", X, y)
    assert count_parameters(gnb) == c + 2 * c * d  # priors + means + variances

    for method in ("LR", "RR", "SGD"):
        assert count_parameters(_fit(method, X, y)) == c * d + c  # coef_ + intercept_
    binary = y < 1
    assert count_parameters(_fit("LR", X, binary)) == d + 1

    knn = _fit("kNN", X, y, n_neighbors=3)
    assert count_parameters(knn) == n * d + n  # stored rows + labels

    svc = _fit("SVM", X, y, kernel="rbf", C=1.0)
    n_sv = svc.support_vectors_.shape[0]
    assert count_parameters(svc) == n_sv * d + (c - 1) * n_sv + c * (c - 1) // 2

    rf = _fit("RF", X, y, n_estimators=4, max_depth=3)
    nodes = [t.tree_.node_count for t in rf.estimators_]
    assert count_parameters(rf) == 2 * sum(nodes)
    assert all(n_nodes <= 15 for n_nodes in nodes)  # depth 3: at most 15 nodes

    ab = _fit("AB", X, y, n_estimators=5)
    assert count_parameters(ab) == 2 * sum(t.tree_.node_count for t in ab.estimators_) + len(ab.estimators_)

    mlp = _fit("MLP", X, y, hidden_layer_sizes=(7, 5), max_iter=50)
    assert count_parameters(mlp) == (d * 7 + 7) + (7 * 5 + 5) + (5 * c + c)


def test_flops_match_hand_counts(wine):
    X, y = wine
    n, d, c = X.shape[0], X.shape[1], 3
    assert count_flops(_fit("LR", X, y)) == 2 * d * c
    assert count_flops(_fit("GNB", X, y)) == c * (7 * d + 4)
    assert count_flops(_fit("kNN", X, y, n_neighbors=3, weights="uniform")) == 3 * d * n
    assert count_flops(_fit("kNN", X, y, n_neighbors=3, weights="distance")) == 3 * d * n + 3
    mlp = _fit("MLP", X, y, hidden_layer_sizes=(7,), max_iter=50)
    assert count_flops(mlp) == (2 * d * 7 + 7) + (2 * 7 * c + c)
    svc = _fit("SVM", X, y, kernel="linear", C=1.0)
    n_sv = svc.support_vectors_.shape[0]
    assert count_flops(svc) == n_sv * 2 * d + 2 * (c - 1) * n_sv + 3
    rf = _fit("RF", X, y, n_estimators=3, max_depth=2)
    depths = [t.tree_.max_depth for t in rf.estimators_]
    assert count_flops(rf) == sum(depths) + 3 * c + c


def test_model_info_and_size(wine):
    X, y = wine
    model = _fit("RF", X, y, n_estimators=3)
    info = model_info(model)
    assert info["fsize"] == len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) == model_size_bytes(model)
    assert info["hyperparams"]["n_estimators"] == 3 and info["flops_measured"] is None
    assert pickle.loads(pickle.dumps(model)).score(X, y) == model.score(X, y)


def test_quality_metrics_top5_only_with_more_than_five_classes(wine):
    X, y = wine
    model = _fit("LR", X, y)
    metrics = quality_metrics(model, X, y, model.predict(X), "macro")
    assert metrics["top_5_accuracy"] is None and 0.9 < metrics["accuracy"] <= 1.0
    from sklearn.datasets import load_digits

    Xd, yd = load_digits(return_X_y=True)
    for method, source in (("LR", "predict_proba"), ("RR", "decision_function")):
        m = _fit(method, Xd[:600] / 16, yd[:600])
        q = quality_metrics(m, Xd[600:900] / 16, yd[600:900], m.predict(Xd[600:900] / 16), "micro")
        assert q["top_5_scores"] == source
        assert q["accuracy"] <= q["top_5_accuracy"] <= 1.0
        assert q["f1"] == pytest.approx(q["accuracy"])  # micro averaging equals accuracy
    with pytest.raises(ValueError, match="average"):
        quality_metrics(model, X, y, y, "samples")


class _FakePapiHigh:
    def __init__(self, count=None, fail_start=False):
        self.count, self.fail_start, self.started = count, fail_start, None

    def start_counters(self, events):
        if self.fail_start:
            raise RuntimeError("PAPI_ENOEVNT: event does not exist")
        self.started = events

    def stop_counters(self):
        return [self.count]


def test_measured_flops_with_a_usable_papi():
    high = _FakePapiHigh(count=5000)
    papi = types.SimpleNamespace(papi_high=high, events=types.SimpleNamespace(PAPI_FP_OPS=0x80000066))
    calls = []
    assert measure_flops(lambda: calls.append(1), 10, papi=papi) == 500.0
    assert calls == [1] and high.started == [0x80000066]


def test_measured_flops_are_none_when_papi_is_missing_or_unusable(monkeypatch):
    broken = types.SimpleNamespace(papi_high=_FakePapiHigh(fail_start=True), events=types.SimpleNamespace(PAPI_FP_OPS=1))
    assert measure_flops(lambda: None, 10, papi=broken) is None
    import sys

    monkeypatch.setitem(sys.modules, "pypapi", None)  # import fails like an absent package
    assert measure_flops(lambda: None, 10) is None
