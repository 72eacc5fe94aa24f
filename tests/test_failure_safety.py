"""Bad input gets a clear error, and nothing learned is lost.

Every case runs against a fitted model and asserts that, after the error, the
model is exactly as it was: weights, optimizer state, classes (target scale)
and history.  The cases common to both estimators run on the classifier and
the regressor.
"""

import copy
import functools
import threading

import numpy as np
import pytest
from _problems import assert_same
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_blobs,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier, ANNRegressor, _compiled
from skann._activations import HIDDEN, names
from skann._training import GROWTH_LIMIT

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(
    60, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
)
y_real = 1000 * (X @ [1.0, -2.0, 0.5, 0.0]) + 5000  # a regression target
# The regressor takes its inputs as given, as the classifier does by default:
# these tests feed inputs far out of scale on purpose, which input_scaling
# would bend back into range.
ESTIMATORS = {
    "classifier": ANNClassifier,
    "regressor": functools.partial(ANNRegressor, input_scaling=None),
}


def _targets(kind):
    return y if kind == "classifier" else y_real


@pytest.fixture(params=list(ESTIMATORS))
def kind(request):
    return request.param


def _fitted(kind):
    model = ESTIMATORS[kind](hidden_size=5, max_iter=5, random_state=0)
    model.fit(X, _targets(kind))
    model.partial_fit(X, _targets(kind))  # the optimizer state has moved on
    return model


@pytest.fixture
def fitted(kind):
    return _fitted(kind)


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

BOTH = ("classifier", "regressor")
CLASSIFIER = ("classifier",)
REGRESSOR = ("regressor",)
t = np.s_  # ``t[...]``: the rows of the estimator's own targets to pass

BAD_INPUTS = [
    # (id, method, (X, rows of the targets or an array), kwargs, error,
    #  message pattern, estimators)
    ("X-nan", _fit, (X_nan, t[:]), {}, ValueError, "Input X contains NaN", BOTH),
    (
        "X-inf",
        _partial_fit,
        (X_inf, t[:]),
        {},
        ValueError,
        "Input X contains infinity",
        BOTH,
    ),
    ("X-empty", _fit, (X[:0], t[:0]), {}, ValueError, "0 sample", BOTH),
    ("X-1d", _fit, (X[:, 0], t[:]), {}, ValueError, "Expected 2D array", BOTH),
    (
        "X-strings",
        _fit,
        (X.astype(str).astype(object) + "x", t[:]),
        {},
        ValueError,
        "could not convert",
        BOTH,
    ),
    (
        "X-complex",
        _partial_fit,
        (X + 1j, t[:]),
        {},
        ValueError,
        "Complex data not supported",
        BOTH,
    ),
    (
        "y-continuous",
        _fit,
        (X, X[:, 0]),
        {},
        ValueError,
        "Unknown label type",
        CLASSIFIER,
    ),
    (
        "y-one-class",
        _fit,
        (X, np.zeros(60)),
        {},
        ValueError,
        "only one class",
        CLASSIFIER,
    ),
    ("y-nan", _fit, (X, y_nan), {}, ValueError, "Input y contains NaN", BOTH),
    (
        "y-nan-partial_fit",
        _partial_fit,
        (X, y_nan),
        {},
        ValueError,
        "Input y contains NaN",
        REGRESSOR,
    ),
    (
        "y-inf",
        _fit,
        (X, np.where(y == 1, np.inf, 0.0)),
        {},
        ValueError,
        "Input y contains infinity",
        REGRESSOR,
    ),
    (
        "y-strings",
        _fit,
        (X, y.astype(str).astype(object) + "x"),
        {},
        ValueError,
        "could not convert",
        REGRESSOR,
    ),
    (
        "y-complex",
        _partial_fit,
        (X, y + 1j),
        {},
        ValueError,
        "Complex data not supported",
        REGRESSOR,
    ),
    ("y-none", _fit, (X, None), {}, ValueError, "requires y", BOTH),
    (
        "y-wrong-length",
        _fit,
        (X, t[:-1]),
        {},
        ValueError,
        "inconsistent numbers of samples",
        BOTH,
    ),
    (
        "features-partial_fit",
        _partial_fit,
        (X[:, :3], t[:]),
        {},
        ValueError,
        "X has 3 features, but ANN(Classifier|Regressor) is expecting 4",
        BOTH,
    ),
    (
        "sample_weight-negative",
        _fit,
        (X, t[:]),
        {"sample_weight": -np.ones(60)},
        ValueError,
        "Negative values",
        BOTH,
    ),
    (
        "sample_weight-size",
        _partial_fit,
        (X, t[:]),
        {"sample_weight": np.ones(5)},
        ValueError,
        r"sample_weight.shape == \(5,\), expected \(60,\)",
        BOTH,
    ),
    (
        "sample_weight-nan",
        _fit,
        (X, t[:]),
        {"sample_weight": np.full(60, np.nan)},
        ValueError,
        "contains NaN",
        BOTH,
    ),
    (
        "sample_weight-zero",
        _fit,
        (X, t[:]),
        {"sample_weight": np.zeros(60)},
        ValueError,
        "at least one non-zero",
        BOTH,
    ),
    (
        "sample_weight-one-class",
        _fit,
        (X, y),
        {"sample_weight": (y == 1).astype(float)},
        ValueError,
        "Only one class",
        CLASSIFIER,
    ),
    (
        "unseen-label",
        _partial_fit,
        (X, y + 1),
        {},
        ValueError,
        r"labels \[3\] that are not in",
        CLASSIFIER,
    ),
    (
        "classes-changed",
        _partial_fit,
        (X, y),
        {"classes": [0, 1, 2, 3]},
        ValueError,
        "differs from the classes",
        CLASSIFIER,
    ),
    (
        "y-multilabel-for-multiclass",
        _partial_fit,
        (X, np.ones((60, 3), dtype=int)),
        {},
        ValueError,
        "does not have the shape",
        CLASSIFIER,
    ),
    (
        "y-outputs-changed",
        _partial_fit,
        (X, np.ones((60, 3))),
        {},
        ValueError,
        "does not have the shape",
        REGRESSOR,
    ),
    (
        "loss-changed-partial_fit",
        _partial_fit,
        (X, np.abs(y_real)),
        {"loss": "poisson"},
        ValueError,
        "Cannot continue training.*Restore loss",
        REGRESSOR,
    ),
    (
        "poisson-negative-y",
        _fit,
        (X, -np.ones(60)),
        {"loss": "poisson"},
        ValueError,
        "negative which is not allowed for Poisson",
        REGRESSOR,
    ),
]


@pytest.mark.parametrize(
    "kind, method, args, kwargs, error, match",
    [(kind, *case[1:-1]) for case in BAD_INPUTS for kind in case[-1]],
    ids=[f"{kind}-{case[0]}" for case in BAD_INPUTS for kind in case[-1]],
)
def test_bad_input_raises_clearly_and_leaves_the_model_unchanged(
    kind, method, args, kwargs, error, match
):
    fitted = _fitted(kind)
    Xb, rows = args
    yb = _targets(kind)[rows] if isinstance(rows, slice) else rows
    kwargs = dict(kwargs)
    params = {
        k: kwargs.pop(k) for k in list(kwargs) if k not in ("sample_weight", "classes")
    }
    fitted.set_params(**params)
    before = copy.deepcopy(vars(fitted))
    with pytest.raises(error, match=match):
        method(fitted, Xb, yb, **kwargs)
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
    ("validation_fraction", 1.0, "validation_fraction"),
    ("learning_rate_schedule", "exponential", "learning_rate_schedule"),
]
OWN_INVALID_PARAMS = {
    "classifier": [("class_weight", "uniform", "class_weight")],
    "regressor": [
        ("loss", "absolute_error", "loss"),
        ("standardize_target", "yes", "standardize_target"),
    ],
}


@pytest.mark.parametrize(
    "kind, name, value, match",
    [(kind, *case) for kind in ESTIMATORS for case in INVALID_PARAMS]
    + [(kind, *case) for kind, cases in OWN_INVALID_PARAMS.items() for case in cases],
)
def test_invalid_parameters_name_the_parameter_and_change_nothing(
    kind, name, value, match
):
    fitted = _fitted(kind)
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(**{name: value})
    with pytest.raises(ValueError, match=match):
        fitted.fit(X, _targets(kind))
    before[name] = value  # the parameter itself is what the user set
    assert_same(before, vars(fitted))


def test_first_partial_fit_needs_classes():
    clf = ANNClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "n_features_in_")


def test_warm_start_with_a_changed_architecture_is_refused(kind, fitted):
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(warm_start=True, hidden_size=7)
    with pytest.raises(ValueError, match="hidden_size"):
        fitted.fit(X, _targets(kind))
    before.update(warm_start=True, hidden_size=7)
    assert_same(before, vars(fitted))


def test_changed_architecture_is_refused_by_partial_fit(kind, fitted):
    fitted.set_params(activation="tanh")
    with pytest.raises(ValueError, match="activation"):
        fitted.partial_fit(X, _targets(kind))


DIVERGING = dict(solver="sgd", learning_rate=1e300)  # one step overflows


def _outputs(model):
    return (
        model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
    )


@pytest.mark.parametrize(
    "kind, loss",
    [("classifier", None), ("regressor", "squared_error"), ("regressor", "poisson")],
)
def test_diverging_fit_raises_and_keeps_the_previous_model(kind, fitted, loss):
    target = _targets(kind) if loss != "poisson" else np.abs(y_real)
    diverging = DIVERGING if loss is None else {**DIVERGING, "loss": loss}
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(**diverging)
    with pytest.raises(
        ValueError, match=r"Training diverged.*lower learning_rate.*scale"
    ):
        fitted.fit(X * 1e10, target)
    before.update(diverging)
    assert_same(before, vars(fitted))
    assert np.isfinite(_outputs(fitted)).all()


def test_diverging_partial_fit_rolls_back_weights_and_optimizer_state(kind):
    model = ESTIMATORS[kind](hidden_size=5, solver="sgd", random_state=0)
    extra = {"classes": [0, 1, 2]} if kind == "classifier" else {}
    model.partial_fit(X, _targets(kind), **extra)
    model.set_params(**DIVERGING)
    before = copy.deepcopy(vars(model))
    with pytest.raises(ValueError, match="Training diverged"):
        model.partial_fit(X * 1e10, _targets(kind))
    assert_same(before, vars(model))


def test_diverging_fit_from_scratch_leaves_the_estimator_unfitted(kind):
    model = ESTIMATORS[kind](random_state=0, **DIVERGING)
    with pytest.raises(ValueError, match="Training diverged"):
        model.fit(X * 1e10, _targets(kind))
    assert not hasattr(model, "coefs_") and not hasattr(model, "n_features_in_")


# Both training paths: the compiled loop (where it was built) and numpy.
PATHS = [
    pytest.param(
        True,
        id="compiled",
        marks=pytest.mark.skipif(
            not _compiled.COMPILED, reason="skann._loop was not compiled"
        ),
    ),
    pytest.param(False, id="numpy"),
]


def _blobs():
    """scikit-learn's estimator checks' unscaled blobs (features up to ~9)."""
    X, y = make_blobs(n_samples=21, random_state=0)
    return X - X.min(), y


# Steps far too large for unscaled inputs: the loss climbs by orders of
# magnitude yet stays finite (before this was caught, each fit returned a
# useless model without a word).
GROWING = {
    "digits, gd": lambda: (
        ANNClassifier(solver="gd", learning_rate=50),
        *load_digits(return_X_y=True),
    ),
    "breast cancer, sgd": lambda: (
        ANNClassifier(solver="sgd", learning_rate=50),
        *load_breast_cancer(return_X_y=True),
    ),
    "blobs, regressor, gd": lambda: (
        ANNRegressor(solver="gd", learning_rate=0.01, input_scaling=None),
        *_blobs(),
    ),
}


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("case", list(GROWING))
def test_a_loss_growing_without_bound_is_a_divergence(case, compiled, monkeypatch):
    monkeypatch.setattr(_compiled, "enabled", compiled)
    model, X_raw, target = GROWING[case]()
    model.set_params(random_state=0)
    fitted = clone(model).set_params(max_iter=1, learning_rate=1e-6)
    fitted.fit(X_raw, target)
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(max_iter=200, learning_rate=model.learning_rate)
    with pytest.raises(
        ValueError,
        match=r"Training diverged: the training loss grew from .* to .*\. The "
        r"model was left as it was before this call\. Try a lower learning_rate",
    ):
        fitted.fit(X_raw, target)
    before.update(max_iter=200, learning_rate=model.learning_rate)
    assert_same(before, vars(fitted))


@pytest.mark.parametrize("compiled", PATHS)
def test_inputs_that_overflow_adam_raise_and_say_to_scale_them(
    kind, fitted, compiled, monkeypatch
):
    # Adam's running mean of squared gradients overflows to inf, its steps
    # become zero, and the network would keep predicting the prior.
    monkeypatch.setattr(_compiled, "enabled", compiled)
    before = copy.deepcopy(vars(fitted))
    fitted.set_params(solver="adam")
    with pytest.raises(
        ValueError,
        match=r"Adam's running mean of squared gradients overflowed.*left as it "
        r"was.*input data may contain very large values and need to be scaled",
    ):
        fitted.fit(X * 1e300, _targets(kind))
    before.update(solver="adam")
    assert_same(before, vars(fitted))


@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
def test_inputs_that_overflow_raise_with_every_solver(kind, solver):
    # gd and sgd: their "auto" step, divided by the overflowing squares,
    # would be zero; L-BFGS finds no step that keeps its loss finite.
    model = ESTIMATORS[kind](hidden_size=5, solver=solver, random_state=0)
    with pytest.raises(ValueError, match=r"[Ss]cale"):
        model.fit(X * 1e300, _targets(kind))
    assert not hasattr(model, "coefs_")


def test_rows_far_worse_than_chance_are_no_divergence(kind):
    # Rows far from the training data, which the model gets wrong by
    # thousands of nats (classifier) or whose targets sit at the mean, where
    # chance costs nothing (regressor): a continuing fit starts from a loss
    # that only its first epoch measures, so that epoch sets the scale and
    # is not judged.
    model = ESTIMATORS[kind](hidden_size=16, random_state=0)
    model.fit(X, _targets(kind))
    far = X[:3] * 1e5
    if kind == "classifier":
        target, chance = 2 - y[:3], np.log(3)
    else:
        target, chance = np.full(3, model.target_mean_[0]), 0.0
    for _ in range(3):
        model.partial_fit(far, target)
    assert model.loss_curve_[-3] > GROWTH_LIMIT * chance  # as far as it says


def test_a_jump_from_a_converged_model_to_below_chance_is_no_divergence(kind):
    # Adam's first steps from an L-BFGS optimum multiply its tiny loss many
    # times over, but stay below chance: that is learning, not divergence.
    model = ESTIMATORS[kind](hidden_size=16, solver="lbfgs", alpha=0.0)
    model.set_params(random_state=0, max_iter=1000).fit(X, _targets(kind))
    n_lbfgs = len(model.loss_curve_)
    model.set_params(solver="adam", warm_start=True, learning_rate=1.0)
    model.set_params(max_iter=50).fit(X, _targets(kind))
    adam = model.loss_curve_[n_lbfgs:]
    assert max(adam) > GROWTH_LIMIT * adam[0]  # as far as it says


def test_keyboard_interrupt_keeps_the_last_good_weights(kind, monkeypatch):
    import skann._training as training

    real_run_epoch = training.run_epoch
    calls = []

    def interrupted_on_the_fourth_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(training, "run_epoch", interrupted_on_the_fourth_epoch)
    model = ESTIMATORS[kind](hidden_size=5, max_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 3 epochs") as record:
        model.fit(X, _targets(kind))
    assert record[0].filename == __file__  # the line that called fit
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    assert np.isfinite(model._params).all()
    assert model.predict(X).shape == (60,)


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
