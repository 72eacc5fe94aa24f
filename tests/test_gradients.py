"""Backpropagation against two oracles: central finite differences in float64, and
scikit-learn's MLPClassifier given the same weights and data; and the training
trajectories of both estimators against MLPClassifier's and MLPRegressor's."""

import warnings

import numpy as np
import pytest
from _problems import (
    MLP_ACTIVATIONS,
    TARGETS,
    both_gradients,
    estimator_y,
    fit_takes_sample_weight,
    make_problem,
    mlp_loss_grad,
    oracle_cases,
    relative_error,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skann import ANNClassifier, ANNRegressor
from skann._activations import HIDDEN, names
from skann._network import Network

ACTIVATIONS = list(names(HIDDEN))  # every row of the table


@pytest.mark.parametrize(
    "activation, target, alpha, weighted, hidden",
    oracle_cases(ACTIVATIONS, TARGETS, [(4,), (4, 3, 4)]),
)
def test_gradient_matches_central_differences(
    activation, target, alpha, weighted, hidden
):
    X, Y, output, _ = make_problem(target)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.1, 3, size=X.shape[0]) if weighted else None
    net = Network((X.shape[1], *hidden, Y.shape[1]), activation, output)
    net.initialize(rng)
    # initialize() starts the output layer at zero, where every hidden layer's
    # gradient is zero too: random output weights and biases test them all.
    net.coefs[-1][...] = rng.uniform(-1, 1, size=net.coefs[-1].shape)
    net.params[net.n_coef :] = rng.normal(scale=0.1, size=net.n_params - net.n_coef)

    analytic, numeric = both_gradients(net, X, Y, alpha, sample_weight)
    error = relative_error(analytic, numeric)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


def test_gradient_check_detects_a_wrong_gradient():
    # The finite-difference oracle is sharp enough to catch a 1% error.
    X, Y, output, _ = make_problem("multiclass")
    rng = np.random.RandomState(0)
    net = Network((5, 4, 3), "tanh", output).initialize(rng)
    net.coefs[-1][...] = rng.uniform(-1, 1, size=net.coefs[-1].shape)
    analytic, numeric = both_gradients(net, X, Y, 0.1)
    analytic[3] *= 1.01
    assert relative_error(analytic, numeric) > 1e-6


MLP_HAS_SAMPLE_WEIGHT = fit_takes_sample_weight(MLPClassifier)


@pytest.mark.parametrize(
    "activation, target, alpha, weighted, hidden",
    oracle_cases(MLP_ACTIVATIONS, TARGETS, [(4,), (4, 3)]),
)
def test_loss_and_gradient_equal_mlpclassifier(
    activation, target, alpha, weighted, hidden
):
    if weighted and not MLP_HAS_SAMPLE_WEIGHT:
        pytest.skip("this scikit-learn's MLPClassifier has no sample_weight")
    X, Y, _, _ = make_problem(target, n_samples=12)
    y = estimator_y(target, Y)
    sample_weight = np.random.RandomState(2).uniform(0.1, 3, 12) if weighted else None
    params = dict(activation=activation, alpha=alpha, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ann = ANNClassifier(hidden_size=hidden, **params).fit(X, y)
        mlp = MLPClassifier(hidden_layer_sizes=hidden, **params).fit(X, y)
    mlp.coefs_ = [W.copy() for W in ann.coefs_]
    mlp.intercepts_ = [b.copy() for b in ann.intercepts_]
    assert mlp.out_activation_ == ann.out_activation_

    loss, grad = ann._network().loss_grad(X, Y, alpha, sample_weight)
    mlp_loss, mlp_grad = mlp_loss_grad(mlp, X, Y, sample_weight)

    np.testing.assert_allclose(loss, mlp_loss, rtol=1e-10)
    np.testing.assert_allclose(grad, mlp_grad, rtol=1e-9, atol=1e-12)


# Each estimator, its scikit-learn counterpart, the problem both learn, and
# what makes the two train the same network (no target or input scaling).
PAIRS = {
    "classifier": (ANNClassifier, MLPClassifier, "multiclass", 3, {}),
    "regressor": (
        ANNRegressor,
        MLPRegressor,
        "squared_error",
        1,
        dict(standardize_target=False, input_scaling=None),
    ),
}


@pytest.mark.parametrize(
    "solver, extra",
    [
        ("sgd", dict(momentum=0.9, nesterovs_momentum=True)),
        ("sgd", dict(momentum=0.5, nesterovs_momentum=False)),
        ("adam", dict(beta_1=0.8, beta_2=0.99)),
    ],
)
@pytest.mark.parametrize("pair", PAIRS)
def test_training_trajectory_equals_mlp(pair, solver, extra):
    # Same starting weights, no shuffling: every optimizer step must agree.
    ANN, MLP, target, n_outputs, own = PAIRS[pair]
    X, Y, _, _ = make_problem(target, n_samples=40, n_outputs=n_outputs, seed=3)
    y = estimator_y(target, Y)
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
        ann = ANN(  # MLPClassifier and MLPRegressor decay no weights
            hidden_size=(6, 5), learning_rate=0.05, max_iter=1, weight_decay=0.0,
            **own, **common,
        ).fit(X, y)  # fmt: skip
        mlp = MLP(
            hidden_layer_sizes=(6, 5), learning_rate_init=0.05, max_iter=1, **common
        ).fit(X, y)
        mlp.coefs_ = [W.copy() for W in ann.coefs_]
        mlp.intercepts_ = [b.copy() for b in ann.intercepts_]
        ann.set_params(warm_start=True, max_iter=6).fit(X, y)
        mlp.set_params(warm_start=True, max_iter=6).fit(X, y)

    for ours, theirs in zip(ann.coefs_ + ann.intercepts_, mlp.coefs_ + mlp.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ann.loss_curve_[-6:], mlp.loss_curve_[-6:], rtol=1e-9)


@pytest.mark.parametrize("target", TARGETS)
def test_loss_of_given_logits_is_the_training_loss(target):
    # Network.loss scores held-out logits (restore_best, calibrate) with the
    # training loss's own formula, and leaves the logits as they were.
    X, Y, output, _ = make_problem(target)
    rng = np.random.RandomState(0)
    net = Network((X.shape[1], 4, Y.shape[1]), "tanh", output).initialize(rng)
    net.coefs[-1][...] = rng.normal(size=net.coefs[-1].shape)
    sample_weight = rng.uniform(0.1, 3, size=X.shape[0])
    Z = net.logits(X)
    before = Z.copy()
    expected, _ = net.loss_grad(X, Y, 0.0, sample_weight)
    assert net.loss(Z, Y, sample_weight) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_array_equal(Z, before)
