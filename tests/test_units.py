"""Unit tests of the training loop's pure pieces, against hand-computed values."""

import numpy as np
import pytest

from skann._optimizers import STEPS, init_state
from skann._training import Plateau, iter_batches, scheduled_learning_rate


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
def test_invscaling_decays_with_samples_seen():
    assert scheduled_learning_rate("invscaling", 0.5, 0.1, 99, 0.5) == pytest.approx(
        0.1 / 100**0.5
    )


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate(schedule):
    assert scheduled_learning_rate(schedule, 0.03, 0.1, 99, 0.5) == 0.03


# ---------------------------------------------------------------- optimizers
rng = np.random.RandomState(0)
P0, G, V0, M0, S0 = (rng.normal(size=7) for _ in range(5))
S0 = np.abs(S0)


def step(solver, params, grad, state, **hyper):
    STEPS[solver](params, grad, state, **hyper)


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
