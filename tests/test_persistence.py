"""Saving and loading: skops (untrusted sources) and joblib (trusted sources).

A fitted ANNClassifier holds only arrays, numbers, strings, tuples, lists and
dicts (its optimizer state included), so skops loads it when the user trusts
one type: the estimator itself.
"""

import copy
import functools

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier
from skann._optimizers import init_state

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: What a user passes to ``skops.io.load(path, trusted=...)``.
SKANN_TYPE = "skann._classifier.ANNClassifier"
TARGETS = ["binary", "multiclass", "multilabel"]
SOLVERS = ["gd", "sgd", "adam", "lbfgs"]


@functools.lru_cache
def _dataset(target):
    if target == "multilabel":
        X, Y = make_multilabel_classification(
            n_samples=120, n_features=4, n_classes=3, random_state=0
        )
        return X.astype(np.float64), Y
    X, y = make_classification(
        n_samples=120,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=2 if target == "binary" else 3,
        random_state=0,
    )
    if target == "binary":
        return X, np.array(["spam", "ham"])[y]  # string labels
    return X, y


def _data(target, part=0):
    """Half ``part`` (0 or 1) of a small dataset: fit on one, continue on the other."""
    X, y = _dataset(target)
    return X[part::2].copy(), y[part::2].copy()


def _fit(target, solver, **params):
    X, y = _data(target)
    defaults = dict(hidden_size=(5, 4), solver=solver, max_iter=8, random_state=0)
    if solver in ("gd", "sgd"):
        defaults["learning_rate"] = 0.05
    clf = ANNClassifier(**{**defaults, **params})
    return clf.fit(X, y), X, y


def _skops_round_trip(model, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    return sio.load(path, trusted=[SKANN_TYPE]), untrusted


def _assert_same_state(a, b):
    """Fitted state of two ANNClassifiers is identical, arrays bit for bit."""
    np.testing.assert_array_equal(a._params, b._params)
    assert a._params.dtype == b._params.dtype
    assert a._layer_sizes == b._layer_sizes
    assert a._activation == b._activation
    assert a.out_activation_ == b.out_activation_
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.loss_curve_ == b.loss_curve_
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    assert a._optimizer_state.keys() == b._optimizer_state.keys()
    for key, value in a._optimizer_state.items():
        np.testing.assert_array_equal(b._optimizer_state[key], value)
    if a._class_counts is None:
        assert b._class_counts is None
    else:
        np.testing.assert_array_equal(a._class_counts, b._class_counts)
    # coefs_ / intercepts_ are rebuilt as views into the loaded buffer.
    for view in [*b.coefs_, *b.intercepts_]:
        assert np.shares_memory(view, b._params)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("target", TARGETS)
def test_skops_round_trip_trusts_only_the_estimator(target, solver, tmp_path):
    clf, X, _ = _fit(target, solver, class_weight="balanced")
    loaded, untrusted = _skops_round_trip(clf, tmp_path)
    assert untrusted == [SKANN_TYPE]
    assert loaded is not clf
    _assert_same_state(clf, loaded)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


@pytest.mark.parametrize("target", TARGETS)
def test_skops_pipeline_with_scaler(target, tmp_path):
    X, y = _data(target)
    pipe = make_pipeline(
        StandardScaler(), ANNClassifier(hidden_size=5, max_iter=8, random_state=0)
    ).fit(X * 10 + 3, y)
    loaded, untrusted = _skops_round_trip(pipe, tmp_path)
    assert untrusted == [SKANN_TYPE]  # Pipeline and StandardScaler are trusted
    _assert_same_state(pipe[-1], loaded[-1])
    np.testing.assert_array_equal(
        loaded.predict_proba(X * 10 + 3), pipe.predict_proba(X * 10 + 3)
    )


def test_skops_refuses_to_load_without_trusting_skann(tmp_path):
    clf, _, _ = _fit("multiclass", "adam")
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    with pytest.raises(UntrustedTypesFoundException, match="ANNClassifier"):
        sio.load(path)  # nothing trusted beyond skops' defaults


def test_skops_early_stopping_float32_model(tmp_path):
    X, y = _data("multiclass")
    clf = ANNClassifier(
        hidden_size=5, early_stopping=True, max_iter=8, random_state=0
    ).fit(X.astype(np.float32), y)
    loaded, untrusted = _skops_round_trip(clf, tmp_path)
    assert untrusted == [SKANN_TYPE]
    assert loaded._params.dtype == np.float32
    assert loaded.validation_scores_ == clf.validation_scores_
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def _next_batch(target):
    return _data(target, part=1)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("store", ["skops", "joblib"])
def test_partial_fit_after_loading_continues(store, target, solver, tmp_path):
    clf, _, y = _fit(target, solver, class_weight="balanced")
    if store == "skops":
        loaded, _ = _skops_round_trip(clf, tmp_path)
    else:
        joblib.dump(clf, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    X2, y2 = _next_batch(target)
    for model in (clf, loaded):
        model.partial_fit(X2, y2)
        model.partial_fit(X2[::-1], y2[::-1])
    _assert_same_state(clf, loaded)

    if solver == "gd":
        return  # gradient descent keeps no memory between steps
    # The optimizer state matters: restarting it gives other weights, so the
    # equality above shows the loaded state was used.
    fresh, _, _ = _fit(target, solver, class_weight="balanced")
    fresh._optimizer_state = init_state(solver, fresh._params, fresh.learning_rate_)
    fresh.partial_fit(X2, y2)
    fresh.partial_fit(X2[::-1], y2[::-1])
    assert not np.allclose(fresh._params, loaded._params)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("target", TARGETS)
def test_joblib_round_trip(target, solver, tmp_path):
    clf, X, _ = _fit(target, solver, class_weight="balanced")
    path = tmp_path / "model.joblib"
    joblib.dump(make_pipeline(StandardScaler(), clf), path)
    loaded = joblib.load(path)
    _assert_same_state(clf, loaded[-1])
    np.testing.assert_array_equal(loaded[-1].predict_proba(X), clf.predict_proba(X))


def test_pickled_state_does_not_duplicate_the_weights():
    # coefs_ / intercepts_ are views: only the flat buffer is stored.
    clf, _, _ = _fit("multiclass", "adam")
    state = clf.__getstate__()
    assert "coefs_" not in state and "intercepts_" not in state
    assert hasattr(copy.deepcopy(clf), "coefs_")


# A contrast measured with skops: scikit-learn's MLPClassifier is on skops'
# default trusted list, but its stochastic solvers keep their state in
# optimizer objects, which the user must trust by their private class names.
@pytest.mark.parametrize(
    "solver, optimizer",
    [
        ("adam", "sklearn.neural_network._stochastic_optimizers.AdamOptimizer"),
        ("sgd", "sklearn.neural_network._stochastic_optimizers.SGDOptimizer"),
    ],
)
def test_mlp_needs_its_private_optimizer_class_trusted(solver, optimizer, tmp_path):
    X, y = _data("multiclass")
    mlp = MLPClassifier(
        hidden_layer_sizes=5, solver=solver, max_iter=5, random_state=0
    ).fit(X, y)
    path = tmp_path / "mlp.skops"
    sio.dump(mlp, path)
    assert sio.get_untrusted_types(file=path) == [optimizer]
    with pytest.raises(UntrustedTypesFoundException, match="Optimizer"):
        sio.load(path)

    clf, _, _ = _fit("multiclass", solver)
    _, untrusted = _skops_round_trip(clf, tmp_path)
    assert untrusted == [SKANN_TYPE]  # the state is plain arrays in a dict
    assert set(clf._optimizer_state) > {"solver", "learning_rate"}
