"""The regression outputs' backpropagation against two oracles: central finite
differences in float64, and scikit-learn's MLPRegressor given the same weights
and data.  The training trajectory against MLPRegressor's is tested beside the
classifier's, in test_gradients.py."""

import inspect
import warnings

import _problems as problems
import numpy as np
import pytest
from _problems import LOSSES, MLP_ACTIVATIONS, both_gradients, make_problem
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from skann import ANNRegressor
from skann._network import Network

ACTIVATIONS = MLP_ACTIVATIONS
MLP_HAS_POISSON = "loss" in inspect.signature(MLPRegressor).parameters
MLP_HAS_SAMPLE_WEIGHT = problems.fit_takes_sample_weight(MLPRegressor)


@pytest.mark.parametrize(
    "activation, loss, alpha, weighted, n_outputs, hidden",
    problems.oracle_cases(ACTIVATIONS, LOSSES, [1, 3], [(4,), (4, 3, 4)]),
)
def test_gradient_matches_central_differences(
    activation, loss, alpha, weighted, n_outputs, hidden
):
    X, Y, output, _ = make_problem(loss, n_outputs=n_outputs)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.1, 3, size=X.shape[0]) if weighted else None
    net = Network((X.shape[1], *hidden, n_outputs), activation, output)
    net.initialize(rng)
    net.params[net.n_coef :] = rng.normal(scale=0.1, size=net.n_params - net.n_coef)

    analytic, numeric = both_gradients(net, X, Y, alpha, sample_weight)
    error = problems.relative_error(analytic, numeric)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_check_detects_a_wrong_regression_gradient(loss):
    X, Y, output, _ = make_problem(loss, n_outputs=2)
    net = Network((5, 4, 2), "tanh", output).initialize(np.random.RandomState(0))
    analytic, numeric = both_gradients(net, X, Y, 0.1)
    analytic[3] *= 1.01
    assert problems.relative_error(analytic, numeric) > 1e-6


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
    problems.oracle_cases(ACTIVATIONS, LOSSES, [1, 3], [(4,), (4, 3)]),
)
def test_loss_and_gradient_equal_mlpregressor(
    activation, loss, alpha, weighted, n_outputs, hidden
):
    if weighted and not MLP_HAS_SAMPLE_WEIGHT:
        pytest.skip("this scikit-learn's MLPRegressor has no sample_weight")
    if loss == "poisson" and not MLP_HAS_POISSON:
        pytest.skip("this scikit-learn's MLPRegressor has no Poisson loss")
    X, Y, _, _ = make_problem(loss, n_samples=12, n_outputs=n_outputs)
    y = problems.estimator_y(loss, Y)
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
    mlp_value, mlp_grad = problems.mlp_loss_grad(mlp, X, Y, sample_weight)

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
