"""Bad input gets a clear error, and nothing learned is lost.

Every case runs against a fitted model and asserts that, after the error, the
model is exactly as it was: weights, optimizer state, classes and history.
"""

import copy
import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier
from skann._activations import HIDDEN, names

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(
    60, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
)


def assert_same(a, b, path="state"):
    """Recursive equality of estimator state (arrays compared exactly).

    partial_fit's scratch memory (``_scratch``) is not state: only its
    presence is compared."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {a.keys() ^ b.keys()} differ"
        for key in a:
            if key != "_scratch":
                assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
        assert a.dtype == b.dtype, path
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"


@pytest.fixture
def fitted():
    clf = ANNClassifier(hidden_size=5, max_iter=5, random_state=0).fit(X, y)
    clf.partial_fit(X, y)  # optimizer state has moved on from a fresh one
    return clf


def _fit(clf, *args, **kwargs):
    return clf.fit(*args, **kwargs)


def _partial_fit(clf, *args, **kwargs):
    return clf.partial_fit(*args, **kwargs)


X_nan = X.copy()
X_nan[3, 1] = np.nan
X_inf = X.copy()
X_inf[0, 0] = np.inf
y_nan = y.astype(float)
y_nan[2] = np.nan

BAD_INPUTS = [
    # (id, method, args, kwargs, expected error, message pattern)
    ("X-nan", _fit, (X_nan, y), {}, ValueError, "Input X contains NaN"),
    ("X-inf", _partial_fit, (X_inf, y), {}, ValueError, "Input X contains infinity"),
    ("X-empty", _fit, (X[:0], y[:0]), {}, ValueError, "0 sample"),
    ("X-1d", _fit, (X[:, 0], y), {}, ValueError, "Expected 2D array"),
    (
        "X-strings",
        _fit,
        (X.astype(str).astype(object) + "x", y),
        {},
        ValueError,
        "could not convert",
    ),
    (
        "X-complex",
        _partial_fit,
        (X + 1j, y),
        {},
        ValueError,
        "Complex data not supported",
    ),
    ("y-continuous", _fit, (X, X[:, 0]), {}, ValueError, "Unknown label type"),
    ("y-one-class", _fit, (X, np.zeros(60)), {}, ValueError, "only one class"),
    ("y-nan", _fit, (X, y_nan), {}, ValueError, "Input y contains NaN"),
    ("y-none", _fit, (X, None), {}, ValueError, "requires y"),
    (
        "y-wrong-length",
        _fit,
        (X, y[:-1]),
        {},
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "features-partial_fit",
        _partial_fit,
        (X[:, :3], y),
        {},
        ValueError,
        "X has 3 features, but ANNClassifier is expecting 4",
    ),
    (
        "sample_weight-negative",
        _fit,
        (X, y),
        {"sample_weight": -np.ones(60)},
        ValueError,
        "Negative values",
    ),
    (
        "sample_weight-size",
        _partial_fit,
        (X, y),
        {"sample_weight": np.ones(5)},
        ValueError,
        r"sample_weight.shape == \(5,\), expected \(60,\)",
    ),
    (
        "sample_weight-zero",
        _fit,
        (X, y),
        {"sample_weight": np.zeros(60)},
        ValueError,
        "at least one non-zero",
    ),
    (
        "sample_weight-one-class",
        _fit,
        (X, y),
        {"sample_weight": (y == 1).astype(float)},
        ValueError,
        "Only one class",
    ),
    (
        "unseen-label",
        _partial_fit,
        (X, y + 1),
        {},
        ValueError,
        r"labels \[3\] that are not in",
    ),
    (
        "classes-changed",
        _partial_fit,
        (X, y),
        {"classes": [0, 1, 2, 3]},
        ValueError,
        "differs from the classes",
    ),
    (
        "y-multilabel-for-multiclass",
        _partial_fit,
        (X, np.ones((60, 3), dtype=int)),
        {},
        ValueError,
        "does not have the shape",
    ),
]


@pytest.mark.parametrize(
    "method, args, kwargs, error, match",
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_raises_clearly_and_leaves_the_model_unchanged(
    fitted, method, args, kwargs, error, match
):
    before = copy.deepcopy(vars(fitted))
    with pytest.raises(error, match=match):
        method(fitted, *args, **kwargs)
    assert_same(before, vars(fitted))


INVALID_PARAMS = [
    ("learning_rate", -1.0, "learning_rate"),
    ("learning_rate", "fast", "learning_rate"),
    ("hidden_size", 0, "hidden_size"),
    ("hidden_size", (4, 0), "hidden_size"),
    ("hidden_size", (), "hidden_size"),
    ("hidden_size", ("a",), "hidden_size"),
    ("activation", "softsign", "activation"),
    ("solver", "newton", "solver"),
    ("batch_size", 0, "batch_size"),
    ("max_iter", 0, "max_iter"),
    ("alpha", -0.1, "alpha"),
    ("momentum", 1.5, "momentum"),
    ("beta_1", 1.0, "beta_1"),
    ("class_weight", "uniform", "class_weight"),
    ("validation_fraction", 1.0, "validation_fraction"),
    ("learning_rate_schedule", "exponential", "learning_rate_schedule"),
]


@pytest.mark.parametrize("name, value, match", INVALID_PARAMS)
def test_invalid_parameters_name_the_parameter_and_change_nothing(
    fitted, name, value, match
):
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(**{name: value})
    with pytest.raises(ValueError, match=match):
        fitted.fit(X, y)
    before[name] = value  # the parameter itself is what the user set
    assert_same(before, vars(fitted))


def test_first_partial_fit_needs_classes():
    clf = ANNClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "n_features_in_")


def test_warm_start_with_a_changed_architecture_is_refused(fitted):
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(warm_start=True, hidden_size=7)
    with pytest.raises(ValueError, match="hidden_size"):
        fitted.fit(X, y)
    before.update(warm_start=True, hidden_size=7)
    assert_same(before, vars(fitted))


def test_changed_architecture_is_refused_by_partial_fit(fitted):
    fitted.set_params(activation="tanh")
    with pytest.raises(ValueError, match="activation"):
        fitted.partial_fit(X, y)


DIVERGING = dict(solver="sgd", learning_rate=1e300)  # one step overflows


def test_diverging_fit_raises_and_keeps_the_previous_model(fitted):
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(**DIVERGING)
    with pytest.raises(
        ValueError, match=r"Training diverged.*lower learning_rate.*scale"
    ):
        fitted.fit(X * 1e10, y)
    before.update(DIVERGING)
    assert_same(before, vars(fitted))
    assert np.isfinite(fitted.predict_proba(X)).all()


def test_diverging_partial_fit_rolls_back_weights_and_optimizer_state():
    clf = ANNClassifier(hidden_size=5, solver="sgd", random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.set_params(**DIVERGING)
    before = copy.deepcopy(vars(clf))
    with pytest.raises(ValueError, match="Training diverged"):
        clf.partial_fit(X * 1e10, y)
    assert_same(before, vars(clf))


def test_diverging_fit_from_scratch_leaves_the_estimator_unfitted():
    clf = ANNClassifier(random_state=0, **DIVERGING)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.fit(X * 1e10, y)
    assert not hasattr(clf, "coefs_") and not hasattr(clf, "n_features_in_")


def test_keyboard_interrupt_keeps_the_last_good_weights(monkeypatch):
    import skann._training as training

    real_run_epoch = training.run_epoch
    calls = []

    def interrupted_on_the_fourth_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(training, "run_epoch", interrupted_on_the_fourth_epoch)
    with pytest.warns(UserWarning, match="interrupted after 3 epochs"):
        clf = ANNClassifier(hidden_size=5, max_iter=50, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert np.isfinite(clf._params).all()
    assert clf.predict(X).shape == (60,)


def test_keyboard_interrupt_before_any_epoch_propagates(monkeypatch):
    import skann._training as training

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "run_epoch", interrupt)
    clf = ANNClassifier()
    with pytest.raises(KeyboardInterrupt), pytest.warns(UserWarning):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("activation", names(HIDDEN))
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_extreme_finite_inputs_give_finite_probabilities(activation, target):
    Xs, ys = make_classification(
        80, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=1
    )
    if target == "binary":
        ys = ys % 2
    elif target == "multilabel":
        ys = np.column_stack([ys == 0, ys == 1, ys == 2]).astype(int)
    clf = ANNClassifier(
        hidden_size=(6, 6), activation=activation, max_iter=20, random_state=0
    ).fit(Xs, ys)
    extreme = np.vstack([Xs[:5] * 1e30, -Xs[:5] * 1e30, np.full((1, 4), 1e30)])
    proba = clf.predict_proba(extreme)
    log_proba = clf.predict_log_proba(extreme)
    assert np.isfinite(proba).all() and np.isfinite(log_proba).all()
    assert ((proba > 0) & (proba < 1)).all()
    assert np.isfinite(clf.decision_function(extreme)).all()
    # log_proba is log(proba), and both rank the classes alike even where two
    # probabilities saturate (check_classifiers_train compares their argsorts)
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(np.argsort(log_proba), np.argsort(proba))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_proba_ranks_like_proba_when_probabilities_underflow(dtype):
    # classes 1 and 2 both have probabilities below the smallest float; a
    # log-softmax computed apart from predict_proba told them apart
    from skann import _targets

    Z = np.array([[0.0, -2000.0, -3000.0], [5.0, 4.0, -1e4]], dtype=dtype)
    proba, log_proba = _targets.proba(Z, "softmax"), _targets.log_proba(Z, "softmax")
    np.testing.assert_array_equal(np.argsort(log_proba), np.argsort(proba))
    assert np.isfinite(log_proba).all()


def test_predict_is_thread_safe():
    clf = ANNClassifier(hidden_size=(16, 16), max_iter=5, random_state=0).fit(X, y)
    rng = np.random.RandomState(0)
    batches = [rng.normal(size=(50, 4)) for _ in range(8)]
    expected = [clf.predict_proba(b) for b in batches]
    results = [None] * len(batches)

    def work(i):
        for _ in range(50):
            results[i] = clf.predict_proba(batches[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_convergence_warning_is_not_raised_by_partial_fit():
    import warnings

    clf = ANNClassifier(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.partial_fit(X, y, classes=[0, 1, 2])
