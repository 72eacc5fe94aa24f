"""Decoupled weight decay (``weight_decay``): the step, both paths, the estimators.

After each optimizer step the weight matrices (never the biases) shrink by
``learning_rate * weight_decay`` times themselves, at the learning rate of the
moment.  The oracles: the formula written out after each step of a plain
loop of ``Network.loss_grad`` and the optimizer steps (with
``weight_decay=0``, that loop is the training skann did before the decay
existed); the compiled loop against its own gradient followed by the numpy
step, bit for bit; and the weights of an input that is always zero, which
get no gradient and so follow the decay alone, epoch after epoch of the
schedule.
"""

import math
import pickle
import warnings

import numpy as np
import pytest
from _problems import starting_from, zero_input_data
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils._param_validation import InvalidParameterError

from skann import ANNClassifier, ANNRegressor, _compiled
from skann._base import resolve_auto
from skann._network import Network
from skann._optimizers import STEPS, decay_weights, init_state
from skann._training import (
    Scratch,
    TrainingConfig,
    cosine_learning_rate,
    iter_batches,
    run_epoch,
)

SOLVERS = ["gd", "sgd", "adam"]
PATHS = [False, True] if _compiled.COMPILED else [False]
HYPER = dict(momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def problem(n_samples=230, n_features=6, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.randint(0, 3, size=n_samples)]
    sw = rng.uniform(0.1, 3, size=n_samples).astype(dtype)
    return X, Y, sw


def network(X, Y, seed=0):
    net = Network((X.shape[1], 8, 6, Y.shape[1]), "relu", "softmax", dtype=X.dtype)
    rng = np.random.RandomState(seed)
    net.initialize(rng, Y)
    net.coefs[-1][...] = rng.uniform(-1, 1, size=net.coefs[-1].shape)
    net.params[net.n_coef :] = rng.uniform(-0.5, 0.5, net.n_params - net.n_coef)
    return net


# ------------------------------------------------------------------ the step
@pytest.mark.parametrize("layers", [(3, 4, 2), (40, 50, 3)])  # small, scratch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_decay_shrinks_the_weights_at_the_current_rate_not_the_biases(
    layers, dtype
):
    net = Network(layers, "relu", "softmax", dtype=dtype)
    net.params[:] = np.random.RandomState(0).normal(size=net.n_params)
    before = net.params.copy()
    state = {"learning_rate": 0.05}
    config = TrainingConfig(weight_decay=0.3)
    decay_weights(net.params, net.n_coef, state, config, Scratch())
    W, rate = before[: net.n_coef], dtype(0.05 * 0.3)
    np.testing.assert_array_equal(net.weights, W - W * rate)
    np.testing.assert_array_equal(net.params[net.n_coef :], before[net.n_coef :])
    assert net.params.dtype == dtype
    np.testing.assert_allclose(net.weights, (1 - 0.015) * W, rtol=1e-6)


def reference_epoch(net, X, Y, sw, order, state, config, loss_grad):
    """One epoch written out: for each batch the gradient (``loss_grad``), the
    optimizer step of skann/_optimizers.py, then ``W -= lr * weight_decay * W``
    on the weight matrices."""
    for rows in iter_batches(X.shape[0], config.batch_size, order):
        Xb, Yb = X[rows], Y[rows]
        swb = None if sw is None else sw[rows]
        grad = loss_grad(net, Xb, Yb, swb, config.alpha)
        STEPS[state["solver"]](net.params, grad, state, config)
        if config.weight_decay:
            W = net.weights
            W -= W * (state["learning_rate"] * config.weight_decay)


def numpy_gradient(net, X, Y, sw, alpha):
    return net.loss_grad(X, Y, alpha, sw)[1].copy()


def compiled_gradient(net, X, Y, sw, alpha):
    grad = np.empty_like(net.params)
    _compiled.stepper(net, X.shape[0]).loss_grad(X, Y, sw, net.params, alpha, grad)
    return grad


def trajectories(solver, weight_decay, dtype, compiled, monkeypatch, epochs=3):
    """(run_epoch's parameters and optimizer state, the reference's) after
    ``epochs`` shuffled, weighted epochs."""
    X, Y, sw = problem(dtype=dtype)
    order = np.random.RandomState(3).permutation(X.shape[0])
    config = TrainingConfig(
        **HYPER, alpha=1e-3, weight_decay=weight_decay, batch_size=50
    )
    gradient = compiled_gradient if compiled else numpy_gradient
    monkeypatch.setattr(_compiled, "enabled", compiled)
    runs = []
    for epoch in (run_epoch, None):
        net = network(X, Y)
        state = init_state(solver, net.params, 0.05)
        scratch = Scratch()
        for _ in range(epochs):
            if epoch is None:
                reference_epoch(net, X, Y, sw, order, state, config, gradient)
            else:
                epoch(net, X, Y, sw, order, state, config, scratch)
        runs.append((net.params, state))
    return runs


@pytest.mark.parametrize("compiled", PATHS, ids=["numpy", "compiled"][: len(PATHS)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
@pytest.mark.parametrize("solver", SOLVERS)
def test_an_epoch_is_each_step_followed_by_the_decay_bit_for_bit(
    solver, weight_decay, dtype, compiled, monkeypatch
):
    """With ``weight_decay=0`` the reference is the training of skann before
    the decay existed: the same bits.  The compiled loop's epoch equals its
    own gradient followed by the numpy step and decay, so its decay rounds
    as numpy's does."""
    (params, state), (expected, expected_state) = trajectories(
        solver, weight_decay, dtype, compiled, monkeypatch
    )
    np.testing.assert_array_equal(params, expected)
    for key in ("m", "v", "velocity", "t"):
        if key in expected_state:
            np.testing.assert_array_equal(state[key], expected_state[key])


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_decay_changes_what_is_learned(
    solver, monkeypatch
):
    runs = {}
    for weight_decay in (0.0, 0.3):
        (params, _), _ = trajectories(
            solver, weight_decay, np.float64, False, monkeypatch
        )
        runs[weight_decay] = params
    net = network(*problem()[:2])  # for the layout
    n = net.n_coef
    decayed, free = runs[0.3], runs[0.0]
    assert np.linalg.norm(decayed[:n]) < 0.95 * np.linalg.norm(free[:n])


# ------------------------------------------- the estimators, on both paths
def epoch_rates(schedule, initial, epochs, n_samples):
    """The learning rate of each epoch under ``schedule``."""
    if schedule == "cosine":
        return [cosine_learning_rate(initial, e, epochs) for e in range(epochs)]
    if schedule == "invscaling":
        return [initial] + [
            initial / (e * n_samples + 1) ** 0.5 for e in range(1, epochs)
        ]
    return [initial] * epochs


@pytest.mark.parametrize("compiled", PATHS, ids=["numpy", "compiled"][: len(PATHS)])
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "cosine"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_weights_without_gradient_follow_the_decay_and_its_schedule(
    solver, schedule, compiled, monkeypatch
):
    monkeypatch.setattr(_compiled, "enabled", compiled)
    X, y = zero_input_data()
    epochs, batch, lr, wd = 12, 50, 0.05, 0.5
    clf = ANNClassifier(
        hidden_size=10,
        solver=solver,
        learning_rate=lr,
        alpha=0.0,  # no penalty: no gradient at all
        weight_decay=wd,
        learning_rate_schedule=schedule,
        batch_size=batch,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=np.inf,
    )
    start = starting_from(clf, X, 10)
    clf.fit(X, y)
    steps = 1 if solver == "gd" else math.ceil(X.shape[0] / batch)
    rates = epoch_rates(schedule, lr, epochs, X.shape[0])
    shrink = np.prod([(1 - rate * wd) ** steps for rate in rates])
    np.testing.assert_allclose(clf.coefs_[0][6:], shrink * start, rtol=1e-12)
    assert 0 < shrink < 0.99  # the decay shows


@pytest.mark.skipif(not _compiled.COMPILED, reason="skann._loop was not compiled")
@pytest.mark.parametrize("Estimator", [ANNClassifier, ANNRegressor])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-8), (np.float32, 2e-3)])
def test_the_numpy_path_alone_fits_the_same_decayed_model(
    Estimator, dtype, rtol, monkeypatch
):
    X, y = make_classification(300, 8, n_classes=3, n_informative=4, random_state=0)
    X = X.astype(dtype)
    models = []
    for compiled in (False, True):
        monkeypatch.setattr(_compiled, "enabled", compiled)
        model = Estimator(
            hidden_size=16,
            weight_decay=2.0,
            learning_rate=0.01,
            learning_rate_schedule="cosine",
            max_iter=5,
            random_state=0,
        ).fit(X, y)
        model.partial_fit(X[:10], y[:10])
        models.append(model)
    np.testing.assert_allclose(
        models[1]._params, models[0]._params, rtol=rtol, atol=rtol * 1e-3
    )


# ------------------------------------------------------------- the parameter
@pytest.mark.parametrize("Estimator", [ANNClassifier, ANNRegressor])
def test_auto_is_a_decay_for_adam_only(Estimator):
    assert Estimator().weight_decay == "auto"
    assert Estimator()._weight_decay() > 0
    assert Estimator()._alpha() == 0  # adam: the decay, not the penalty
    for solver in ("gd", "sgd", "lbfgs"):
        assert Estimator(solver=solver)._weight_decay() == 0
    assert Estimator(weight_decay=0.3)._weight_decay() == 0.3
    # the same decay per step for every activation, whatever its "auto" step
    per_step = [
        Estimator(activation=activation)._weight_decay()
        * resolve_auto("adam", "learning_rate", "auto", None, activation)
        for activation in ("relu", "tanh", "identity", "logistic")
    ]
    assert per_step == pytest.approx([per_step[0]] * 4)
    logistic = Estimator(activation="logistic")
    assert logistic._weight_decay() < Estimator()._weight_decay()


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_auto_gives_the_same_bits_as_no_decay_for_plain_gradient_steps(solver):
    X, y = zero_input_data()
    fits = [
        ANNClassifier(solver=solver, weight_decay=wd, max_iter=5, random_state=0)
        .fit(X, y)
        ._params
        for wd in ("auto", 0.0)
    ]
    np.testing.assert_array_equal(*fits)


@pytest.mark.parametrize("Estimator", [ANNClassifier, ANNRegressor])
def test_lbfgs_refuses_a_decay_and_keeps_a_fitted_model(Estimator):
    X, y = zero_input_data()
    model = Estimator(solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    Estimator(solver="lbfgs", weight_decay=0.0, max_iter=5).fit(X, y)
    before = model._params.copy(), dict(model.__dict__)
    model.set_params(weight_decay=0.1)
    with pytest.raises(ValueError, match="weight_decay=0.1 does not apply to"):
        model.fit(X, y)
    np.testing.assert_array_equal(model._params, before[0])
    assert model.__dict__.keys() == before[1].keys()


@pytest.mark.parametrize("bad", [-0.1, "always", None])
def test_a_bad_weight_decay_is_refused(bad):
    X, y = zero_input_data()
    with pytest.raises(InvalidParameterError, match="weight_decay"):
        ANNClassifier(weight_decay=bad).fit(X, y)


@pytest.mark.parametrize("Estimator", [ANNClassifier, ANNRegressor])
def test_a_model_pickled_before_weight_decay_existed_loads_and_predicts(Estimator):
    X, y = zero_input_data()
    model = Estimator(hidden_size=5, max_iter=3, random_state=0).fit(X, y)
    expected = model.predict(X)
    del model.weight_decay  # what an earlier skann pickled
    old = pickle.dumps(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no version warning: the same release
        loaded = pickle.loads(old)
    np.testing.assert_array_equal(loaded.predict(X), expected)
    assert loaded.get_params()["weight_decay"] == "auto"
    clone(loaded).fit(X, y)
    loaded.partial_fit(X, y)  # its optimizer state carries on
    assert loaded.n_iter_ == 4
