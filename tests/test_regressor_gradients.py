"""The regression outputs' backpropagation against two oracles: central finite
differences in float64, and scikit-learn's MLPRegressor given the same weights
and data."""

import inspect
import itertools
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from test_gradients import mlp_loss_grad, numerical_gradient

from skann import ANNRegressor
from skann._network import Network

ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]
LOSSES = {"squared_error": "identity", "poisson": "exp"}
MLP_HAS_POISSON = "loss" in inspect.signature(MLPRegressor).parameters
MLP_HAS_SAMPLE_WEIGHT = (
    "sample_weight" in inspect.signature(MLPRegressor.fit).parameters
)


def make_problem(loss, n_outputs, n_samples=7, n_features=5, seed=0):
    """Random inputs and real targets (counts, with zeros, for Poisson)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if loss == "poisson":
        Y = rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)
        Y[0, 0] = 0.0  # 0 log 0 is part of the loss
    else:
        Y = rng.normal(size=(n_samples, n_outputs))
    return X, Y


@pytest.mark.parametrize(
    "activation, loss, alpha, weighted, n_outputs, hidden",
    list(
        itertools.product(
            ACTIVATIONS, LOSSES, [0.0, 0.3], [False, True], [1, 3], [(4,), (4, 3, 4)]
        )
    ),
)
def test_gradient_matches_central_differences(
    activation, loss, alpha, weighted, n_outputs, hidden
):
    X, Y = make_problem(loss, n_outputs)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.1, 3, size=X.shape[0]) if weighted else None
    net = Network((X.shape[1], *hidden, n_outputs), activation, LOSSES[loss])
    net.initialize(rng)
    net.params[net.n_coef :] = rng.normal(scale=0.1, size=net.n_params - net.n_coef)

    value, analytic = net.loss_grad(X, Y, alpha, sample_weight)
    numeric = numerical_gradient(net, X, Y, alpha, sample_weight)

    assert np.isfinite(value)
    error = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_check_detects_a_wrong_regression_gradient(loss):
    X, Y = make_problem(loss, 2)
    net = Network((5, 4, 2), "tanh", LOSSES[loss]).initialize(np.random.RandomState(0))
    _, analytic = net.loss_grad(X, Y, 0.1)
    numeric = numerical_gradient(net, X, Y, 0.1, None)
    analytic[3] *= 1.01
    error = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
    assert error > 1e-6


def test_losses_by_hand():
    # One sample, two outputs, no hidden layer: the formulas of the docs.
    X, Y = np.array([[1.0]]), np.array([[2.0, 0.0]])
    for output, a, expected in [
        ("identity", np.array([0.5, -1.0]), 0.5 * (1.5**2 + 1.0**2)),
        (
            "exp",
            np.exp([0.5, -1.0]),
            2 * np.log(2 / np.exp(0.5)) - 2 + np.exp(0.5) + np.exp(-1.0),
        ),
    ]:
        net = Network((1, 2), "relu", output)
        net.coefs[0][...] = [[0.5, -1.0]]
        value, grad = net.loss_grad(X, Y)
        assert value == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(grad[:2], a - Y[0], rtol=1e-12)  # dW = x (a - y)


@pytest.mark.parametrize(
    "activation, loss, alpha, weighted, n_outputs, hidden",
    list(
        itertools.product(
            ACTIVATIONS, LOSSES, [0.0, 0.3], [False, True], [1, 3], [(4,), (4, 3)]
        )
    ),
)
def test_loss_and_gradient_equal_mlpregressor(
    activation, loss, alpha, weighted, n_outputs, hidden
):
    if weighted and not MLP_HAS_SAMPLE_WEIGHT:
        pytest.skip("this scikit-learn's MLPRegressor has no sample_weight")
    if loss == "poisson" and not MLP_HAS_POISSON:
        pytest.skip("this scikit-learn's MLPRegressor has no Poisson loss")
    X, Y = make_problem(loss, n_outputs, n_samples=12)
    y = Y.ravel() if n_outputs == 1 else Y
    sample_weight = np.random.RandomState(2).uniform(0.1, 3, 12) if weighted else None
    params = dict(activation=activation, alpha=alpha, max_iter=1, random_state=0)
    extra = {"loss": loss} if MLP_HAS_POISSON else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ann = ANNRegressor(hidden_size=hidden, loss=loss, **params).fit(X, y)
        mlp = MLPRegressor(hidden_layer_sizes=hidden, **extra, **params).fit(X, y)
    mlp.coefs_ = [W.copy() for W in ann.coefs_]
    mlp.intercepts_ = [b.copy() for b in ann.intercepts_]
    assert mlp.out_activation_ == ann.out_activation_

    value, grad = ann._network().loss_grad(X, Y, alpha, sample_weight)
    mlp_value, mlp_grad = mlp_loss_grad(mlp, X, Y, sample_weight)

    # MLPRegressor's squared loss is averaged over the outputs, its gradient
    # is that of the sum (docs/coming_from_mlpclassifier.rst): skann's loss is
    # the sum, consistent with the gradient both share.
    penalty = ann._network().penalty(
        alpha, 12 if sample_weight is None else sample_weight.sum()
    )
    if loss == "squared_error":
        np.testing.assert_allclose(
            value - penalty, n_outputs * (mlp_value - penalty), rtol=1e-10
        )
    else:
        np.testing.assert_allclose(value, mlp_value, rtol=1e-10)
    np.testing.assert_allclose(grad, mlp_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "solver, extra",
    [
        ("sgd", dict(momentum=0.9, nesterovs_momentum=True)),
        ("adam", dict(beta_1=0.8, beta_2=0.99)),
    ],
)
def test_training_trajectory_equals_mlpregressor(solver, extra):
    # Same starting weights, no shuffling, no target scaling: every step agrees.
    X, Y = make_problem("squared_error", 1, n_samples=40, seed=3)
    y = Y.ravel()
    common = dict(
        solver=solver,
        alpha=0.01,
        batch_size=8,
        shuffle=False,
        tol=0,
        n_iter_no_change=100,
        random_state=0,
        **extra,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ann = ANNRegressor(
            hidden_size=(6, 5),
            learning_rate=0.05,
            max_iter=1,
            standardize_target=False,
            weight_decay=0.0,  # MLPRegressor decays no weights
            **common,
        ).fit(X, y)
        mlp = MLPRegressor(
            hidden_layer_sizes=(6, 5), learning_rate_init=0.05, max_iter=1, **common
        ).fit(X, y)
        mlp.coefs_ = [W.copy() for W in ann.coefs_]
        mlp.intercepts_ = [b.copy() for b in ann.intercepts_]
        ann.set_params(warm_start=True, max_iter=6).fit(X, y)
        mlp.set_params(warm_start=True, max_iter=6).fit(X, y)

    for ours, theirs in zip(ann.coefs_ + ann.intercepts_, mlp.coefs_ + mlp.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ann.loss_curve_[-6:], mlp.loss_curve_[-6:], rtol=1e-9)
