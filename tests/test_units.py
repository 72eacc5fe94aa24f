"""Unit tests of the training loop's pure pieces, against hand-computed values."""

import copy
import dataclasses
import inspect
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

import skann._training as training
from skann import ANNClassifier
from skann._callbacks import EpochHooks
from skann._network import Network
from skann._optimizers import STEPS, init_state
from skann._training import (
    GROWTH_LIMIT,
    BestWeights,
    DivergenceError,
    FitContext,
    HeldOut,
    LossGrowth,
    OverflowDivergence,
    Plateau,
    Scratch,
    TrainingConfig,
    check_moments,
    iter_batches,
    on_plateau,
    scheduled_learning_rate,
    train,
)


# ------------------------------------------------------------------ batching
def test_batches_cover_the_rows_in_order_last_one_short():
    batches = list(iter_batches(7, 3))
    assert batches == [slice(0, 3), slice(3, 6), slice(6, 7)]


def test_batches_follow_a_permutation():
    order = np.array([4, 0, 3, 1, 2])
    batches = list(iter_batches(5, 2, order))
    assert [b.tolist() for b in batches] == [[4, 0], [3, 1], [2]]


def test_one_batch_when_the_batch_is_the_whole_set():
    assert list(iter_batches(5, 5)) == [slice(0, 5)]


# ------------------------------------------------------------------- plateau
def test_plateau_counts_epochs_without_improvement_by_tol():
    p = Plateau(tol=0.1, patience=2)
    assert p.update(1.0)  # first value: a best
    assert p.update(0.95) and p.count == 1  # a new best, but not by tol
    assert not p.update(0.97) and p.count == 2
    assert not p.exhausted
    assert not p.update(0.96) and p.count == 3 and p.exhausted
    assert p.update(0.5) and p.count == 0  # better by more than tol: reset


def test_plateau_for_scores_that_rise():
    p = Plateau(tol=0.01, patience=0, higher_is_better=True)
    p.update(0.5)
    assert p.update(0.6) and p.count == 0
    assert not p.update(0.6) and p.exhausted  # equal is no better


def test_plateau_with_infinite_patience_is_never_exhausted():
    p = Plateau(tol=1e9, patience=np.inf)
    for value in range(100):
        p.update(float(value))
    assert p.count == 99 and not p.exhausted


# ----------------------------------------------------------------- schedules
def schedule(name, initial=0.1, power_t=0.5):
    return TrainingConfig(
        learning_rate_schedule=name, learning_rate=initial, power_t=power_t
    )


def test_invscaling_decays_with_samples_seen():
    assert scheduled_learning_rate(schedule("invscaling"), 0.5, 99) == pytest.approx(
        0.1 / 100**0.5
    )


@pytest.mark.parametrize("name", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate(name):
    assert scheduled_learning_rate(schedule(name), 0.03, 99) == 0.03


def test_adaptive_divides_the_rate_by_five_on_a_plateau_and_resets_patience():
    plateau, state = Plateau(tol=0.1, patience=0, count=1), {"learning_rate": 0.1}
    assert not on_plateau(plateau, state, schedule("adaptive"))
    assert state["learning_rate"] == pytest.approx(0.02) and plateau.count == 0


def test_adaptive_converges_once_the_rate_is_tiny():
    plateau, state = Plateau(tol=0.1, patience=0, count=1), {"learning_rate": 1e-6}
    assert on_plateau(plateau, state, schedule("adaptive"))
    assert state["learning_rate"] == 1e-6 and plateau.count == 1


@pytest.mark.parametrize("name", ["constant", "invscaling"])
def test_other_schedules_converge_on_a_plateau(name):
    state = {"learning_rate": 0.1}
    assert on_plateau(Plateau(tol=0.1, patience=0, count=1), state, schedule(name))
    assert state["learning_rate"] == 0.1


# ------------------------------------------------------------- divergence
def _fresh_network(n_classes=3):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    Y = np.eye(n_classes)[np.arange(30) % n_classes]
    net = Network((4, 5, n_classes), "relu", "softmax").initialize(rng, Y)
    return net, X, Y


def test_loss_growth_knows_a_fresh_networks_starting_loss():
    # Output weights at zero: the network's loss before the first step is
    # known without the inputs; for one batch, exactly the first epoch's loss.
    net, X, Y = _fresh_network()
    growth = LossGrowth(net, Y, None, alpha=0.5, n_batches=1)
    assert growth.start == pytest.approx(net.loss_grad(X, Y, 0.5)[0], rel=1e-12)
    # balanced classes: the prior is chance (log 3), plus the penalty
    assert growth.scale == growth.start > np.log(3)
    growth.check(GROWTH_LIMIT * growth.scale)  # up to the limit: training
    with pytest.raises(DivergenceError, match="grew from .* to "):
        growth.check(GROWTH_LIMIT * growth.scale * 1.01)
    with pytest.raises(DivergenceError, match="loss became nan"):
        growth.check(float("nan"))


def test_loss_growth_of_a_continuing_network_waits_for_its_first_epoch():
    net, X, Y = _fresh_network()
    net.coefs[-1][...] = 1.0  # trained: its starting loss is not known
    growth = LossGrowth(net, Y, None, alpha=0.0, n_batches=1)
    assert growth.scale is None
    growth.check(1e9)  # the first epoch sets the scale, unjudged
    assert growth.start == growth.scale == 1e9
    growth.check(1e12)
    with pytest.raises(DivergenceError):
        growth.check(1e14)
    # a tiny first loss: the scale is chance's, log 3
    growth = LossGrowth(net, Y, None, alpha=0.0, n_batches=1)
    growth.check(1e-6)
    assert growth.scale == pytest.approx(np.log(3))


def test_overflowing_adam_moments_are_reported():
    state = init_state("adam", np.zeros(3), 0.001)
    check_moments(state)
    state["v"][1] = np.inf
    with pytest.raises(OverflowDivergence, match="steps became zero"):
        check_moments(state)
    check_moments(init_state("sgd", np.zeros(3), 0.1))  # no moments


# ---------------------------------------------------------- best-weights keeper
def test_best_weights_are_kept_in_one_copy_and_restored():
    net = Network((2, 2, 1), "relu", "logistic")
    keeper = BestWeights()
    assert keeper.restore(net) is None  # nothing kept: nothing changes
    assert (net.params == 0).all()
    net.params[...] = 1.0
    keeper.keep(net, 1)
    kept = keeper.params
    net.params[...] = 2.0
    keeper.keep(net, 4)
    assert keeper.params is kept  # the same buffer, refilled
    net.params[...] = 3.0
    assert keeper.restore(net) == 4  # the epoch of the weights put back
    assert (net.params == 2.0).all()


# ------------------------------------------------------------------ progress
def test_progress_prints_one_line_per_epoch(capsys):
    estimator = SimpleNamespace(verbose=1, n_iter_=5)
    # a partial_fit call that continues after 5 epochs
    context = FitContext(incremental=True, fitted=True, continuing=True, epoch=5)
    hooks = EpochHooks(estimator, None, context)
    history = training.History(n_iter=2, loss_curve=[0.7, 0.5])
    history.validation_scores = [0.5, 0.75]
    assert not hooks.epoch_end(history, 0.25)
    assert capsys.readouterr().out == (
        "Iteration 7, loss = 0.50000000, validation score = 0.750000, 0.250 s\n"
    )


# ---------------------------------------------------------------- the loop
def scripted(monkeypatch, losses):
    """Make every epoch of train() return the next of ``losses`` and set every
    weight to the epoch's number."""
    epochs = iter(enumerate(losses, 1))

    def run_epoch(net, *args):
        number, loss = next(epochs)
        net.params[...] = number
        return loss

    monkeypatch.setattr(training, "run_epoch", run_epoch)
    return Network((2, 2, 1), "relu", "logistic"), np.zeros((10, 2)), np.zeros((10, 1))


def fit(net, X, Y, config, hooks=None, **context):
    state = {"learning_rate": config.learning_rate}
    history = train(net, X, Y, None, state, config, FitContext(**context), hooks)
    return history, state


# tol=0.1, patience 2: epochs 2-4 do not improve by tol, so the 4th exhausts it
LOSSES = [1.0, 0.95, 0.97, 0.96, 0.94, 0.93, 0.92]


def test_train_stops_when_the_loss_plateaus(monkeypatch):
    net, X, Y = scripted(monkeypatch, LOSSES)
    config = TrainingConfig(tol=0.1, n_iter_no_change=2, max_iter=7, shuffle=False)
    history, state = fit(net, X, Y, config)
    assert history.converged and history.n_iter == 4
    assert history.loss_curve == LOSSES[:4] and history.t == 40
    assert state["learning_rate"] == 0.001


def test_train_divides_the_rate_on_each_plateau_with_adaptive(monkeypatch):
    net, X, Y = scripted(monkeypatch, LOSSES)
    config = TrainingConfig(
        tol=0.1,
        n_iter_no_change=2,
        max_iter=7,
        learning_rate=0.1,
        learning_rate_schedule="adaptive",
    )
    history, state = fit(net, X, Y, config, rng=np.random.RandomState(0))
    # plateaus after epochs 4 and 7: 0.1 / 5 / 5
    assert not history.converged and history.n_iter == 7
    assert state["learning_rate"] == pytest.approx(0.004)


def test_train_restores_the_best_epoch_with_early_stopping(monkeypatch):
    net, X, Y = scripted(monkeypatch, [9.0] * 6)
    scores = iter([0.5, 0.8, 0.7, 0.6, 0.9, 0.9])
    config = TrainingConfig(tol=0.0, n_iter_no_change=1, max_iter=6)
    held_out = HeldOut(None, None, None, lambda net, X, y, sw: next(scores))
    history, _ = fit(net, X, Y, config, held_out=held_out)
    assert history.converged and history.n_iter == 4
    assert history.validation_scores == [0.5, 0.8, 0.7, 0.6]
    assert (net.params == 2).all()  # the weights of the best epoch, the 2nd


def test_train_stops_when_a_hook_asks(monkeypatch):
    net, X, Y = scripted(monkeypatch, LOSSES)
    calls = []

    class Hooks:
        def epoch_begin(self):
            calls.append("begin")

        def epoch_end(self, history, seconds):
            calls.append("end")
            return history.n_iter == 2

    history, _ = fit(net, X, Y, TrainingConfig(max_iter=7), hooks=Hooks())
    assert history.n_iter == 2 and not history.converged
    assert calls == ["begin", "end"] * 2


# ------------------------------------------------------------ configuration
def test_the_configuration_defaults_are_the_estimator_defaults():
    defaults = {
        name: p.default
        for name, p in inspect.signature(ANNClassifier).parameters.items()
    }
    fields = [f for f in dataclasses.fields(TrainingConfig)]
    assert all(f.name in defaults for f in fields)
    for f in fields:
        # "auto", resolved by the fit
        if f.name not in ("batch_size", "learning_rate", "alpha", "weight_decay"):
            assert f.default == defaults[f.name], f.name
    assert defaults["alpha"] == defaults["weight_decay"] == "auto"
    clf = ANNClassifier()  # as "auto" with adam:
    assert TrainingConfig.alpha == clf._alpha()
    assert TrainingConfig.weight_decay == clf._weight_decay()


def test_the_configuration_is_frozen_and_read_from_the_estimator():
    clf = ANNClassifier(momentum=0.5, learning_rate_schedule="adaptive")
    config = TrainingConfig.from_estimator(clf, batch_size=32, max_iter=1)
    assert config.momentum == 0.5 and config.learning_rate_schedule == "adaptive"
    assert config.batch_size == 32 and config.max_iter == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.momentum = 0.9


def test_a_context_made_at_once_equals_one_built_field_by_field():
    scratch = Scratch()
    given = dict(incremental=True, fitted=True, epoch=3, scratch=scratch)
    made = FitContext.make(**given)
    assert vars(made) == vars(FitContext(**given))
    assert isinstance(FitContext.make().scratch, Scratch)
    rng = np.random.RandomState(0)
    targets = {"classes_": [0, 1]}
    completed = made.completed(targets=targets, rng=rng)
    assert vars(completed) == vars(FitContext(**given, targets=targets, rng=rng))
    assert made.targets is None and made.rng is None  # a new context
    with pytest.raises(dataclasses.FrozenInstanceError):
        completed.epoch = 4
    with pytest.raises(TypeError, match="no such field"):
        made.completed(bogus=1)


# ------------------------------------------------------------------- scratch
def test_scratch_reuses_a_workspace_that_fits_and_replaces_one_that_does_not():
    scratch = Scratch()
    net = Network((3, 4, 2), "relu", "softmax")
    ws = scratch.workspace(net, 10)
    assert ws.rows == 10 and scratch.workspace(net, 7) is ws
    larger = scratch.workspace(net, 11)
    assert larger is not ws and larger.rows == 11
    wider = Network((3, 5, 2), "relu", "softmax")
    assert scratch.workspace(wider, 5).key == (wider.layer_sizes, 1, np.float64)
    # the same widths packing two members: its gradient's off-block zeros
    # must not come from a workspace of one member
    packed = Network((3, 4, 2), "relu", "softmax", members=2)
    assert scratch.workspace(packed, 5).key == (packed.layer_sizes, 2, np.float64)
    single = Network((3, 5, 2), "relu", "softmax", dtype=np.float32)
    assert scratch.workspace(single, 5).dtype == np.float32


def test_scratch_arrays_follow_the_parameters_shape_and_dtype():
    scratch = Scratch()
    a, b = scratch.arrays(np.zeros(5), 2)
    assert scratch.arrays(np.ones(5), 1)[0] is a and b.shape == (5,)
    (c,) = scratch.arrays(np.zeros(5, np.float32), 1)
    assert c is not a and c.dtype == np.float32


def test_a_copy_of_a_scratch_is_empty():
    scratch = Scratch()
    scratch.arrays(np.zeros(5), 2)
    scratch.stepper = object()  # the compiled stepper does not pickle
    for copied in (copy.deepcopy(scratch), pickle.loads(pickle.dumps(scratch))):
        assert copied._arrays == () and copied.stepper is None


# ---------------------------------------------------------------- optimizers
rng = np.random.RandomState(0)
P0, G, V0, M0, S0 = (rng.normal(size=7) for _ in range(5))
S0 = np.abs(S0)


def step(solver, params, grad, state, **hyper):
    STEPS[solver](params, grad, state, TrainingConfig(**hyper))


def test_gd_step():
    params, state = P0.copy(), init_state("gd", P0, 0.1)
    step("gd", params, G, state)
    np.testing.assert_allclose(params, P0 - 0.1 * G, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_step_with_momentum(nesterov):
    params, state = P0.copy(), init_state("sgd", P0, 0.1)
    state["velocity"][...] = V0
    step("sgd", params, G, state, momentum=0.8, nesterovs_momentum=nesterov)
    velocity = 0.8 * V0 - 0.1 * G
    update = 0.8 * velocity - 0.1 * G if nesterov else velocity
    np.testing.assert_allclose(state["velocity"], velocity, rtol=1e-15)
    np.testing.assert_allclose(params, P0 + update, rtol=1e-14)


def test_adam_step_with_bias_correction():
    params, state = P0.copy(), init_state("adam", P0, 0.01)
    state["m"][...], state["v"][...], state["t"] = M0, S0, 4
    b1, b2, eps = 0.9, 0.99, 1e-8
    step("adam", params, G, state, beta_1=b1, beta_2=b2, epsilon=eps)
    m = b1 * M0 + (1 - b1) * G
    v = b2 * S0 + (1 - b2) * G**2
    m_hat, v_hat = m / (1 - b1**5), v / (1 - b2**5)
    expected = P0 - 0.01 * m_hat / (np.sqrt(v_hat) + eps * np.sqrt(1 - b2**5) ** -1)
    # skann folds the bias correction into the step size (Kingma & Ba, sec. 2):
    # lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); params -= lr_t m / (sqrt(v) + eps)
    lr_t = 0.01 * np.sqrt(1 - b2**5) / (1 - b1**5)
    np.testing.assert_allclose(params, P0 - lr_t * m / (np.sqrt(v) + eps), rtol=1e-14)
    np.testing.assert_allclose(params, expected, rtol=1e-14)
    assert state["t"] == 5
    np.testing.assert_allclose(state["m"], m, rtol=1e-15)
    np.testing.assert_allclose(state["v"], v, rtol=1e-15)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_steps_keep_float32(solver):
    params = P0.astype(np.float32)
    state = init_state(solver, params, 0.1)
    step(solver, params, G.astype(np.float32), state)
    assert params.dtype == np.float32
    assert all(
        a.dtype == np.float32 for a in state.values() if isinstance(a, np.ndarray)
    )


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("size", [7, 3000])  # small steps skip the scratch
def test_steps_write_the_same_with_or_without_a_scratch(solver, size):
    g = np.random.RandomState(1).normal(size=size)
    results = []
    for scratch in (None, Scratch(), Scratch()):
        params = np.linspace(-1, 1, size)
        state = init_state(solver, params, 0.1)
        for _ in range(3):
            STEPS[solver](params, g, state, TrainingConfig(), scratch)
        results.append(params)
    for params in results[1:]:
        np.testing.assert_array_equal(params, results[0])


def test_a_configuration_read_from_an_estimator_equals_one_built_field_by_field():
    clf = ANNClassifier(beta_2=0.95, shuffle=False, solver="sgd")
    config = TrainingConfig.from_estimator(clf, batch_size=7, max_iter=3)
    params = clf.get_params()
    expected = TrainingConfig(
        **{f.name: params[f.name] for f in dataclasses.fields(TrainingConfig)}
        | {"batch_size": 7, "max_iter": 3}
    )
    assert config == expected and repr(config) == repr(expected)
    assert hash(config) == hash(expected)
    with pytest.raises(TypeError, match="no such field"):
        TrainingConfig.from_estimator(clf, bogus=1)


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    "y",
    [
        np.array([3, 1, 3, 2]),
        np.array([3, 1, 3, 2], dtype=np.uint8),
        np.array([True, False, True]),
        np.array([1.0, 0.0, 1.0]),
        np.array(["b", "a", "b"]),
        np.array(["b", "a", "b"], dtype=object),
        np.array([[1, 0, 1], [0, 1, 1]]),
    ],
)
def test_labels_of_are_unique_labels(y):
    from sklearn.utils.multiclass import unique_labels

    from skann._validation import labels_of

    expected = unique_labels(y)
    got = labels_of(y)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype


def test_merged_rows_make_weighted_and_repeated_rows_the_same():
    from skann._training import merged_rows

    rng = np.random.RandomState(0)
    X = rng.standard_normal((12, 3))
    Y = rng.randint(0, 2, size=(12, 1)).astype(float)
    counts = rng.randint(0, 4, size=12)
    weighted = merged_rows(X, Y, counts.astype(float))
    repeated = merged_rows(np.repeat(X, counts, 0), np.repeat(Y, counts, 0), None)
    for a, b in zip(weighted, repeated):
        np.testing.assert_array_equal(a, b)
    assert weighted[0].shape[0] == np.count_nonzero(counts)  # weight 0: left out
    # distinct rows of weight 1 stay unweighted, only sorted
    X_sorted, Y_sorted, sw = merged_rows(X, Y, None)
    assert sw is None
    np.testing.assert_array_equal(np.sort(X_sorted[:, 0]), np.sort(X[:, 0]))
