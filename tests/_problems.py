"""What the test modules share: their problems, their oracles, their checks.

- :func:`every_configuration`: an estimator at every solver, activation and
  size a user can pick, for scikit-learn's checks;
- :func:`make_problem`: small random problems with their targets coded as the
  network's outputs, for the numpy core, the compiled loop and the estimators;
  :func:`house_prices`: a regression on the scale of prices.
- :func:`central_differences` and :func:`numerical_gradient`: the gradient
  oracle; :func:`mlp_loss_grad`: MLPClassifier's or MLPRegressor's own loss
  and gradients for given weights.
- :func:`assert_same` (a fitted model left exactly as it was) and
  :func:`capture_validation_split` (the rows fit held out).
"""

import inspect
import itertools
from typing import NamedTuple

import numpy as np
import sklearn.model_selection
from sklearn.datasets import make_classification

import skann._classifier
from skann._network import Network

#: The classifier's kinds of target and the regressor's losses, each with the
#: output layer of the network that learns it.
OUTPUT_LAYER = {
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel": "logistic",
    "squared_error": "identity",
    "poisson": "exp",
}
TARGETS = ("binary", "multiclass", "multilabel")
LOSSES = ("squared_error", "poisson")
MLP_ACTIVATIONS = ("relu", "tanh", "logistic", "identity")  # MLP's own
#: What users pick by name: the solvers and the hidden activations, checked
#: at two sizes (one hidden layer of 5, two of (4, 3)).
SOLVERS = ("gd", "sgd", "adam", "lbfgs")
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
HIDDEN_SIZES = (5, (4, 3))


def every_configuration(estimator_class, **params):
    """``estimator_class(**params)`` at every solver x activation x hidden
    size of :data:`SOLVERS`, :data:`ACTIVATIONS` and :data:`HIDDEN_SIZES`."""
    return [
        estimator_class(
            solver=solver, activation=activation, hidden_size=hidden_size, **params
        )
        for solver, activation, hidden_size in itertools.product(
            SOLVERS, ACTIVATIONS, HIDDEN_SIZES
        )
    ]


def oracle_cases(activations, targets, *more):
    """The cases of the gradient oracles: every activation x target x
    ``alpha`` (0 and 0.3) x weighted (no, yes) x each list of ``more``."""
    return list(
        itertools.product(activations, targets, (0.0, 0.3), (False, True), *more)
    )


def fit_takes_sample_weight(cls):
    """Whether this scikit-learn's ``cls.fit`` takes ``sample_weight``."""
    return "sample_weight" in inspect.signature(cls.fit).parameters


class Problem(NamedTuple):
    """What :func:`make_problem` returns; unpacks as a 4-tuple."""

    X: np.ndarray
    Y: np.ndarray  # one column per output of the network
    output: str  # the network's output layer
    sample_weight: np.ndarray


def make_problem(
    target, n_samples=7, n_features=5, n_outputs=3, seed=0, dtype=np.float64
):
    """A small random problem: normal inputs, targets and positive weights.

    Parameters
    ----------
    target : {"binary", "multiclass", "multilabel", "squared_error", "poisson"}
        The kind of target (see :data:`OUTPUT_LAYER`). Classification targets
        are coded 0/1 as the network's outputs: one column for "binary", one
        per class (one-hot) or per label otherwise. Regression targets are
        normal, or counts (with zeros) for "poisson".
    n_samples, n_features : int
        The shape of ``X``.
    n_outputs : int
        The number of classes, labels or regression outputs ("binary": one).
    seed : int
        Seeds the one random stream that draws ``X``, then ``Y``, then the
        weights: a larger ``n_outputs`` or another target leaves ``X`` as it is.
    dtype : numpy dtype
        Of ``X``, ``Y`` and the weights.

    Returns
    -------
    Problem
        ``(X, Y, output, sample_weight)``.
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if target == "binary":
        Y = rng.randint(0, 2, size=(n_samples, 1))
    elif target == "multiclass":
        Y = np.eye(n_outputs)[rng.randint(0, n_outputs, size=n_samples)]
    elif target == "multilabel":
        Y = rng.randint(0, 2, size=(n_samples, n_outputs))
    elif target == "poisson":
        Y = rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)
        Y[0, 0] = 0.0  # 0 log 0 is part of the loss
    else:
        assert target == "squared_error", target
        Y = rng.normal(size=(n_samples, n_outputs))
    sample_weight = rng.uniform(0.1, 3, size=n_samples)
    return Problem(
        X.astype(dtype),
        Y.astype(dtype),
        OUTPUT_LAYER[target],
        sample_weight.astype(dtype),
    )


def estimator_y(target, Y):
    """The problem's targets ``Y`` as an estimator takes them: class labels,
    a label indicator matrix, or real values (1-d where there is one output)."""
    if target == "multilabel":
        return Y.astype(int)
    if target in TARGETS:
        return Y.ravel().astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)
    return Y.ravel() if Y.shape[1] == 1 else Y


def house_prices(n=400, seed=0):
    """House prices that depend on a few features, one pair of them through
    an interaction, with noise: targets far from zero mean and unit scale."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = 250_000 + 60_000 * X[:, 0] + 30_000 * np.tanh(X[:, 1] * X[:, 2])
    return X, y + rng.normal(scale=5_000, size=n)


# ------------------------------------------------------------------- oracles
def central_differences(loss, params, eps=1e-6):
    """The gradient of ``loss()`` with respect to ``params`` by central
    differences: each entry of ``params`` is moved by ``+-eps`` in place, and
    put back."""
    grad = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + eps
        plus = loss()
        params[i] = saved - eps
        minus = loss()
        params[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def numerical_gradient(net, X, Y, alpha, sample_weight, eps=1e-6):
    """The gradient of a Network's training loss by central differences."""
    return central_differences(
        lambda: net.loss_grad(X, Y, alpha, sample_weight)[0], net.params, eps
    )


def both_gradients(net, X, Y, alpha=0.0, sample_weight=None):
    """A Network's gradient by backpropagation and by central differences,
    once its loss is asserted finite."""
    loss, analytic = net.loss_grad(X, Y, alpha, sample_weight)
    assert np.isfinite(loss)
    return analytic, numerical_gradient(net, X, Y, alpha, sample_weight)


def relative_error(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)


def gradient_error_on(Z, Y, output, alpha=0.1, seed=1):
    """Backpropagation against central differences for a small tanh network
    trained on the inputs ``Z`` (as an input encoding hands them to it): the
    relative error."""
    rng = np.random.RandomState(seed)
    net = Network((Z.shape[1], 4, Y.shape[1]), "tanh", output).initialize(rng)
    return relative_error(*both_gradients(net, Z, Y, alpha))


def onnx_run(model, X, **options):
    """``model`` exported by skann.onnx and run by onnxruntime on ``X``: the
    outputs (skipped where either is not installed)."""
    import pytest

    pytest.importorskip("skl2onnx")
    rt = pytest.importorskip("onnxruntime")
    from skl2onnx import to_onnx

    import skann.onnx  # noqa: F401  (registers the converters)

    onx = to_onnx(model, X[:1], **options)
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_onnx_predicts_as(model, X):
    """The exported ``model`` predicts on ``X`` as ``model`` does: labels and
    probabilities for a classifier, values for a regressor."""
    rtol = 1e-12 if X.dtype == np.float64 else 1e-5
    if hasattr(model, "predict_proba"):
        labels, proba = onnx_run(model, X, options={"zipmap": False})
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=rtol)
        np.testing.assert_array_equal(labels, model.predict(X))
    else:
        (predicted,) = onnx_run(model, X)
        expected = model.predict(X)
        # rounding errors scale with the predictions' size, so one near 0
        # gets the others' absolute tolerance
        atol = rtol * np.abs(expected).max()
        np.testing.assert_allclose(predicted.ravel(), expected, rtol=rtol, atol=atol)


def mlp_loss_grad(mlp, X, Y, sample_weight):
    """An MLPClassifier's or MLPRegressor's own loss and gradients, packed
    like skann's flat buffer."""
    n = len(mlp.coefs_) + 1
    activations = [X] + [None] * (n - 1)
    deltas = [None] * (n - 1)
    coef_grads = [np.empty_like(W) for W in mlp.coefs_]
    intercept_grads = [np.empty_like(b) for b in mlp.intercepts_]
    weighted = "sample_weight" in inspect.signature(type(mlp).fit).parameters
    args = (X, Y) + ((sample_weight,) if weighted else ())
    loss, coef_grads, intercept_grads = mlp._backprop(
        *args, activations, deltas, coef_grads, intercept_grads
    )
    packed = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    return loss, packed


# -------------------------------------------------------------------- checks
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


def capture_validation_split(monkeypatch):
    """Record the held-out part of train_test_split calls made by fit."""
    captured = {}

    def spy(*arrays, **kwargs):
        parts = sklearn.model_selection.train_test_split(*arrays, **kwargs)
        captured["X_val"], captured["y_val"] = parts[1], parts[5]
        captured["stratify"] = kwargs.get("stratify")
        return parts

    monkeypatch.setattr(skann._classifier, "train_test_split", spy)
    return captured


def zero_input_data(n_samples=300, zeros=2, dtype=np.float64):
    """A classification set with ``zeros`` inputs that are always zero (the
    last ones): the weights out of them get no gradient and follow the decay
    alone."""
    X, y = make_classification(n_samples, 6, n_informative=4, random_state=0)
    X = np.hstack([X, np.zeros((n_samples, zeros))]).astype(dtype)
    return X, y


def starting_from(clf, X, hidden, seed=0):
    """``clf`` set to start its (warm) fit from random weights, returned
    with them: the first layer's rows of the always-zero inputs."""
    rng = np.random.RandomState(seed)
    sizes = (X.shape[1], hidden, 1)
    shapes = zip(sizes, sizes[1:])
    clf.coefs_ = [rng.uniform(-0.5, 0.5, s).astype(X.dtype) for s in shapes]
    clf.intercepts_ = [np.zeros(n, X.dtype) for n in sizes[1:]]
    clf.set_params(warm_start=True)
    return clf.coefs_[0][6:].copy()
