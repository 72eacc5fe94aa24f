"""The compiled minibatch loop (skann._loop) against the numpy core.

The numpy core is itself checked against finite differences and MLPClassifier
(test_gradients.py); here the compiled loop must compute the same losses,
gradients and optimizer trajectories, give the same bits run to run, and
leave the numpy path fully working when it is switched off.  Its identity
output (for regression) is held to a numpy reference and finite differences.
"""

import functools
import itertools
import os
import warnings

import numpy as np
import pytest
from _problems import (
    MLP_ACTIVATIONS,
    TARGETS,
    central_differences,
    house_prices,
    make_problem,
    oracle_cases,
)
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier, ANNRegressor, _activations, _compiled
from skann._activations import HIDDEN, OUTPUT_LAYERS, SOLVERS, codes
from skann._network import Network
from skann._optimizers import init_state
from skann._training import DivergenceError, Scratch, TrainingConfig, run_epoch

# CI sets SKANN_REQUIRE_COMPILED=1: there, a silently failed build of the
# optional extension fails this module instead of skipping it.
REQUIRED = os.environ.get("SKANN_REQUIRE_COMPILED") == "1"
_loop = _compiled._loop
pytestmark = pytest.mark.skipif(
    not (_compiled.COMPILED or REQUIRED), reason="skann._loop was not compiled"
)

ACTIVATIONS = MLP_ACTIVATIONS
HYPER = dict(
    momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8
)


def test_the_extension_is_compiled():
    assert _compiled.COMPILED, (
        f"pip install did not build skann._loop ({_compiled.IMPORT_ERROR})"
    )


problem = functools.partial(make_problem, n_features=6)


def network(X, Y, output, activation, hidden, seed=0):
    net = Network((X.shape[1], *hidden, Y.shape[1]), activation, output, dtype=X.dtype)
    rng = np.random.RandomState(seed)
    net.initialize(rng, Y)
    # Random output weights, not initialize()'s zeros: every layer's gradient
    # is then non-zero from the first step, so each is compared.
    net.coefs[-1][...] = rng.uniform(-1, 1, size=net.coefs[-1].shape)
    return net


def make_stepper(net, rows, chunk=_loop.CHUNK if _loop else None):
    return _loop.make_stepper(
        net.layer_sizes,
        _compiled._HIDDEN_CODES[net.activation],
        _compiled._OUTPUT_LAYER_CODES[net.output],
        net.params.dtype,
        rows,
        chunk,
    )


@pytest.mark.parametrize(
    "activation, target, alpha, weighted, hidden",
    oracle_cases(ACTIVATIONS, TARGETS, [(5,), (5, 4, 5)]),
)
def test_loss_and_gradient_match_the_numpy_core(
    activation, target, alpha, weighted, hidden
):
    X, Y, output, sw = problem(target, 9)
    sw = sw if weighted else None
    net = network(X, Y, output, activation, hidden)
    expected_loss, expected_grad = net.loss_grad(X, Y, alpha, sw)
    grad = np.empty_like(net.params)
    loss = make_stepper(net, 9).loss_grad(X, Y, sw, net.params, alpha, grad)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(
    "activation, target, weighted, fortran",
    list(itertools.product(ACTIVATIONS, TARGETS, [False, True], [False, True])),
)
def test_batches_in_chunks_match_the_numpy_core(activation, target, weighted, fortran):
    """A batch larger than the stepper's chunk is computed chunk by chunk (the
    last one shorter), in place or gathered (Fortran order), and its weight
    gradients summed over the chunks: the same loss and gradient as whole."""
    X, Y, output, sw = problem(target, 9)
    sw = sw if weighted else None
    net = network(X, Y, output, activation, (5, 4, 5))
    expected_loss, expected_grad = net.loss_grad(X, Y, 0.3, sw)
    stepper = make_stepper(net, 9, chunk=4)
    assert stepper.chunk == 4
    grad = np.empty_like(net.params)
    X = np.asfortranarray(X) if fortran else X
    loss = stepper.loss_grad(X, Y, sw, net.params, 0.3, grad)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)


def test_an_epoch_in_chunks_follows_the_numpy_trajectory(monkeypatch):
    """Shuffled, weighted batches of 50 rows in chunks of 16: Adam's epoch
    ends where the numpy core's does."""
    X, Y, output, sw = problem("multiclass", 230)
    order = np.random.RandomState(3).permutation(230)
    net = network(X, Y, output, "tanh", (8, 6))
    params = net.params.copy()
    state = init_state("adam", net.params, 0.05)
    loss_np = epoch(net, X, Y, sw, order, 50, state, False, monkeypatch)
    compiled_state = init_state("adam", params, 0.05)
    stepper = make_stepper(net, 50, chunk=16)
    loss_sum, weight_sum, diverged = run(
        stepper, X, Y, sw, order, params, compiled_state, batch_size=50,
        alpha=1e-3, weight_decay=TrainingConfig().weight_decay,
    )  # fmt: skip
    assert compiled_state["t"] == state["t"] == 5 and not diverged
    np.testing.assert_allclose(loss_sum / weight_sum, loss_np, rtol=1e-10)
    np.testing.assert_allclose(params, net.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled_state["m"], state["m"], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("target", TARGETS)
def test_float32_loss_and_gradient_match_the_numpy_core(target):
    X, Y, output, sw = problem(target, 40, dtype=np.float32)
    net = network(X, Y, output, "tanh", (7,))
    expected_loss, expected_grad = net.loss_grad(X, Y, 0.1, sw)
    stepper = _compiled.stepper(net, 40)
    assert stepper.dtype == np.float32
    grad = np.empty_like(net.params)
    loss = stepper.loss_grad(X, Y, sw, net.params, 0.1, grad)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-6)


def run(stepper, X, Y, sw, order, params, state, **config):
    """``stepper.run`` over one epoch of ``state``'s solver, configured as
    the estimators by default (without weight decay) or by ``config``."""
    config = TrainingConfig(**{**HYPER, "weight_decay": 0.0, **config})
    settings = _compiled.settings(config, state["solver"])
    return stepper.run(X, Y, sw, order, params, settings, state)


def epoch(net, X, Y, sw, order, batch_size, state, compiled, monkeypatch):
    monkeypatch.setattr(_compiled, "enabled", compiled)
    with np.errstate(over="ignore"):
        config = TrainingConfig(**HYPER, alpha=1e-3, batch_size=batch_size)
        return run_epoch(net, X, Y, sw, order, state, config, Scratch())


@pytest.mark.parametrize(
    "solver, nesterov, shuffled, weighted, target",
    [
        (solver, nesterov, shuffled, weighted, target)
        for solver, nesterov in [
            ("gd", False),
            ("sgd", True),
            ("sgd", False),
            ("adam", False),
        ]
        for shuffled, weighted, target in itertools.product(
            [False, True], [False, True], TARGETS
        )
    ],
)
def test_epochs_follow_the_numpy_trajectory(
    solver, nesterov, shuffled, weighted, target, monkeypatch
):
    X, Y, output, sw = problem(target, 230)
    sw = sw if weighted else None
    order = np.random.RandomState(3).permutation(230) if shuffled else None
    runs = []
    for compiled in (False, True):
        net = network(X, Y, output, "relu", (8, 6))
        state = init_state(solver, net.params, 0.05)
        config = TrainingConfig(
            **dict(HYPER, nesterovs_momentum=nesterov), alpha=1e-3, batch_size=50
        )
        monkeypatch.setattr(_compiled, "enabled", compiled)
        scratch = Scratch()
        losses = [
            run_epoch(net, X, Y, sw, order, state, config, scratch) for _ in range(3)
        ]
        runs.append((losses, net.params.copy(), state))
    (loss_np, params_np, state_np), (loss_c, params_c, state_c) = runs
    np.testing.assert_allclose(loss_c, loss_np, rtol=1e-10)
    np.testing.assert_allclose(params_c, params_np, rtol=1e-9, atol=1e-12)
    assert state_c.get("t") == state_np.get("t")
    for key in ("m", "v", "velocity"):
        if key in state_np:
            np.testing.assert_allclose(
                state_c[key], state_np[key], rtol=1e-9, atol=1e-15
            )


@pytest.mark.parametrize("chunk", [100, 32])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", TARGETS)
def test_runs_give_bit_identical_results(dtype, target, chunk):
    X, Y, output, sw = problem(target, 1000, n_features=30, dtype=dtype)
    order = np.random.RandomState(0).permutation(1000)
    results = []
    for _ in range(3):
        net = network(X, Y, output, "relu", (64,))
        state = init_state("adam", net.params, 1e-2)
        stepper = make_stepper(net, 100, chunk)
        out = run(
            stepper, X, Y, sw, order, net.params, state, batch_size=100, alpha=1e-3
        )
        assert state["t"] == 10 and not out[2]
        results.append((out, net.params.copy(), state["m"], state["v"]))
    for other in results[1:]:
        assert other[0] == results[0][0]
        for a, b in zip(other[1:], results[0][1:]):
            np.testing.assert_array_equal(a, b)


def test_partial_fit_does_not_depend_on_what_ran_before():
    """The per-thread scratch space may come from an earlier fit with larger
    batches; the rounding depends only on the network and the batch size."""
    X, y = make_classification(400, 40, random_state=0)

    def streamed():
        clf = ANNClassifier(hidden_size=64, random_state=0)
        for start in range(0, 400, 50):
            clf.partial_fit(X[start : start + 50], y[start : start + 50], [0, 1])
        return clf._params

    first = streamed()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ANNClassifier(hidden_size=64, batch_size=200, max_iter=1).fit(X, y)
    np.testing.assert_array_equal(streamed(), first)


def test_a_non_finite_loss_is_reported(monkeypatch):
    X, Y, output, _ = problem("binary", 100)
    net = network(X, Y, output, "relu", (5,))
    net.params[:] = 1e200
    state = init_state("sgd", net.params, 0.1)
    before = net.params.copy()
    with pytest.raises(DivergenceError, match="training loss became"):
        epoch(net, X, Y, None, None, 20, state, True, monkeypatch)
    np.testing.assert_array_equal(net.params, before)  # that step was not taken


def test_bad_arguments_are_refused():
    X, Y, output, _ = problem("binary", 20)
    net = network(X, Y, output, "relu", (5,))
    stepper = make_stepper(net, 10)
    grad = np.empty_like(net.params)
    gd = init_state("gd", net.params, 0.1)
    with pytest.raises(TypeError, match="float64"):
        stepper.loss_grad(X.astype(np.float32), Y, None, net.params, 0.0, grad)
    with pytest.raises(ValueError, match="does not fit"):
        stepper.loss_grad(X, Y, None, net.params, 0.0, grad)  # 20 rows > 10
    with pytest.raises(ValueError, match="shapes"):
        stepper.loss_grad(X[:5, :3].copy(), Y[:5], None, net.params, 0.0, grad)
    with pytest.raises(TypeError, match="intp"):
        run(stepper, X, Y, None, np.arange(20, dtype=np.int32), net.params, gd)
    bad_order = np.arange(20) + 5
    with pytest.raises(IndexError, match="out of range"):
        run(stepper, X, Y, None, bad_order, net.params, gd, batch_size=10)
    with pytest.raises(ValueError, match="batches out of range"):
        run(stepper, X, Y, None, None, net.params, gd, batch_size=11)
    settings = _compiled.settings(TrainingConfig(batch_size=10), "gd")
    with pytest.raises(ValueError, match="unknown solver"):
        stepper.run(X, Y, None, None, net.params, dict(settings, solver=3), gd)
    with pytest.raises(ValueError, match="No value specified for struct attribute"):
        stepper.run(X, Y, None, None, net.params, {"solver": 0}, gd)
    sgd = init_state("sgd", net.params, 0.1)
    sgd["velocity"] = sgd["velocity"][:-1]
    with pytest.raises(ValueError, match="the optimizer state's 'velocity'"):
        run(stepper, X, Y, None, None, net.params, sgd, batch_size=10)
    adam = init_state("adam", net.params.astype(np.float32), 0.1)
    with pytest.raises(TypeError, match="the optimizer state's 'm'"):
        run(stepper, X, Y, None, None, net.params, adam, batch_size=10)
    sizes = net.layer_sizes
    with pytest.raises(ValueError, match="invalid network"):
        _loop.make_stepper(sizes, len(_loop.Hidden), 0, np.float64, 10)
    with pytest.raises(ValueError, match="invalid network"):
        _loop.make_stepper(sizes, 1, len(_loop.OutputLayer), np.float64, 10)
    with pytest.raises(ValueError, match="invalid network"):
        _loop.make_stepper(sizes, 1, 0, np.float64, 10, chunk=0)
    with pytest.raises(TypeError, match="computes in"):
        _loop.make_stepper(sizes, 1, 0, np.float16, 10)


def test_any_layout_gives_the_same_bits_and_sparse_takes_the_numpy_path(
    monkeypatch,
):
    """Fortran-ordered, strided and unaligned arrays (as Dask delivers them)
    train through the compiled loop to the very same model as C-ordered data;
    sparse matrices train through the numpy core, to the same model up to
    rounding."""
    import scipy.sparse as sp

    X, y = make_classification(400, 8, random_state=0)
    calls = []
    real = _compiled.run_epoch
    monkeypatch.setattr(
        _compiled, "run_epoch", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    raw = np.empty(X.size * 8 + 3, np.uint8)[3:]  # float64 at an odd address
    unaligned = np.frombuffer(raw.data, dtype=np.float64).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    strided = np.repeat(X, 2, axis=1)[:, ::2]
    kwargs = dict(hidden_size=10, max_iter=4, epoch_cv=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = ANNClassifier(**kwargs).fit(X, y)
        for other in (np.asfortranarray(X), strided, unaligned):
            model = ANNClassifier(**kwargs).fit(other, y)
            np.testing.assert_array_equal(model._params, reference._params)
        assert len(calls) == 4 * 4
        model = ANNClassifier(**kwargs).fit(sp.csr_matrix(X), y)
    assert len(calls) == 4 * 4
    np.testing.assert_allclose(model._params, reference._params, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_the_numpy_path_alone_fits_the_same_model(solver, monkeypatch):
    X, y = make_classification(500, 10, n_classes=3, n_informative=4, random_state=0)
    models = []
    for compiled in (False, True):
        monkeypatch.setattr(_compiled, "enabled", compiled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = ANNClassifier(
                hidden_size=16, solver=solver, max_iter=5, random_state=0
            ).fit(X, y)
        clf.partial_fit(X[:10], y[:10])
        models.append(clf)
    np.testing.assert_allclose(
        models[1]._params, models[0]._params, rtol=1e-8, atol=1e-12
    )
    assert models[0].loss_curve_ == pytest.approx(models[1].loss_curve_, rel=1e-10)


def test_the_loop_numbers_the_names_as_the_table():
    """skann/_loop.pxd declares the loop's codes (C needs them at compile
    time) as enums: each row of skann._activations' tables that the loop
    implements has its position as its code there, under its own name."""
    for enum, prefix, table in [
        (_loop.Hidden, "HIDDEN_", HIDDEN),
        (_loop.OutputLayer, "OUTPUT_", OUTPUT_LAYERS),
        (_loop.Solver, "SOLVER_", SOLVERS),
    ]:
        named = {code.name.removeprefix(prefix).lower(): code for code in enum}
        assert all(code.name.startswith(prefix) for code in enum)
        assert named == codes(table)
    X, Y, output, _ = problem("binary", 10)
    net = network(X, Y, output, "relu", (5,))
    assert _compiled.applies(net, X, Y, None)
    net.activation = "gelu"  # a name the loop does not know: the numpy core
    assert not _compiled.applies(net, X, Y, None)


# ------------------------------------------------------------ identity output
def regression(n_samples, n_outputs):
    """Real targets away from zero mean and unit scale."""
    X, Y, _, sw = problem("squared_error", n_samples, n_outputs=n_outputs)
    return X, Y * 3 + 1, sw


def identity_network(X, Y, activation, hidden):
    """A numpy Network whose output layer is the identity with squared error,
    its weights random (the estimators start it at zero)."""
    net = Network((X.shape[1], *hidden, Y.shape[1]), activation, "identity")
    net.initialize(np.random.RandomState(0))
    W_out = net.coefs[-1]
    W_out[...] = np.random.RandomState(1).uniform(-0.5, 0.5, W_out.shape)
    return net


@pytest.mark.parametrize(
    "activation, n_outputs, alpha, weighted",
    list(itertools.product(ACTIVATIONS, [1, 3], [0.0, 0.3], [False, True])),
)
def test_identity_output_matches_numpy_and_finite_differences(
    activation, n_outputs, alpha, weighted
):
    X, Y, sw = regression(11, n_outputs)
    sw = sw if weighted else None
    net = identity_network(X, Y, activation, (5, 4))
    expected_loss, expected_grad = net.loss_grad(X, Y, alpha, sw)
    grad = np.empty_like(net.params)
    stepper = make_stepper(net, 11)
    loss = stepper.loss_grad(X, Y, sw, net.params, alpha, grad)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)
    # the loss by its definition, and its gradient by central differences
    A = X
    for k, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        A = A @ W + b
        if k < len(net.coefs) - 1:
            _activations.FORWARD[activation](A)  # in place
    per_sample = 0.5 * ((A - Y) ** 2).sum(axis=1)
    penalty = 0.5 * alpha * (net.weights**2).sum()
    w = np.ones(11) if sw is None else sw
    assert loss == pytest.approx((per_sample @ w + penalty) / w.sum(), rel=1e-12)
    params, scratch = net.params.copy(), np.empty_like(grad)
    numeric = central_differences(
        lambda: stepper.loss_grad(X, Y, sw, params, alpha, scratch), params
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_identity_output_epochs_follow_the_numpy_trajectory(solver, monkeypatch):
    X, Y, sw = regression(230, 2)
    order = np.random.RandomState(3).permutation(230)
    config = TrainingConfig(**HYPER, alpha=1e-3, batch_size=50)
    runs = []
    for compiled in (False, True):
        net = identity_network(X, Y, "tanh", (8,))
        state = init_state(solver, net.params, 0.01)
        monkeypatch.setattr(_compiled, "enabled", compiled)
        assert _compiled.applies(net, X, Y, sw) == compiled
        scratch = Scratch()
        losses = [
            run_epoch(net, X, Y, sw, order, state, config, scratch) for _ in range(3)
        ]
        assert (scratch.stepper is not None) == compiled  # the loop it meant
        runs.append((losses, net.params.copy()))
    assert runs[1][0][2] < runs[1][0][0]  # it learns
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-10)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 5 epochs
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-8), (np.float32, 2e-3)])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_the_numpy_path_alone_fits_the_same_regressor(dtype, rtol, solver, monkeypatch):
    X, y = house_prices(300)
    X = X.astype(dtype)
    sw = np.random.RandomState(1).uniform(0.2, 2, size=300)
    models = []
    for compiled in (False, True):
        monkeypatch.setattr(_compiled, "enabled", compiled)
        reg = ANNRegressor(
            hidden_size=16,
            solver=solver,
            learning_rate=0.01,
            max_iter=5,
            random_state=0,
        ).fit(X, y, sample_weight=sw)
        reg.partial_fit(X[:10], y[:10])
        models.append(reg)
    np.testing.assert_allclose(
        models[1]._params, models[0]._params, rtol=rtol, atol=rtol * 1e-3
    )
    assert models[0].loss_curve_ == pytest.approx(models[1].loss_curve_, rel=rtol)
