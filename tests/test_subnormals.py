"""Training stays out of the subnormal numbers, on which x86 arithmetic is slow.

A float below ``np.finfo(dtype).tiny`` that is not 0 is subnormal.  Two things
took skann's numbers there, epoch after epoch: Adam's L2 penalty, which shrank
a weight without gradient from the data by a fixed fraction per step (the
defaults now decay the weights instead, see test_weight_decay.py), and Adam's
first moment, which decays by ``beta_1`` at every step after a weight's
gradient stops (the compiled loop flushes subnormal results to zero, and
restores the processor's mode on return).  No timing here: the speed is
measured by benchmarks/subnormals.py.
"""

import platform

import numpy as np
import pytest
from _problems import starting_from, zero_input_data

from skann import ANNClassifier, _compiled

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
TINY = np.finfo(np.float32).tiny
X86_64 = platform.machine().lower() in ("x86_64", "amd64")


def subnormal(a):
    return int(((np.abs(a) < TINY) & (a != 0)).sum())


def test_the_decay_keeps_weights_without_gradient_out_of_the_subnormal_range(
    monkeypatch,
):
    """Under Adam, the L2 penalty in the loss (``alpha``, with no decay) takes
    a weight that gets no gradient from the data (out of an input that is
    always zero) into the subnormal numbers; the default decay shrinks it by
    ``learning_rate * weight_decay`` per step instead.  On the numpy path,
    which flushes nothing to zero."""
    monkeypatch.setattr(_compiled, "enabled", False)
    X, y = zero_input_data(1000, dtype=np.float32)
    epochs, batch = 60, 10
    common = dict(hidden_size=16, batch_size=batch, max_iter=epochs, tol=0)
    common["n_iter_no_change"] = np.inf
    penalised = ANNClassifier(alpha=0.1, weight_decay=0.0, **common)
    starting_from(penalised, X, 16)
    assert subnormal(penalised.fit(X, y).coefs_[0][6:]) > 0
    decayed = ANNClassifier(**common)  # the default decay
    start = starting_from(decayed, X, 16)
    assert subnormal(decayed.fit(X, y).coefs_[0][6:]) == 0
    steps = epochs * X.shape[0] // batch
    shrink = (1 - decayed.learning_rate_ * decayed._weight_decay()) ** steps
    np.testing.assert_allclose(decayed.coefs_[0][6:], shrink * start, rtol=1e-3)


def stopped_gradient_data():
    """Float32 rows whose last input is non-zero in the first rows only:
    unshuffled, its weights' gradient stops after the first batches, and
    Adam's first moment of them decays by beta_1 for the rest of the epoch,
    far into the subnormal range (float32's ends near 1e-45)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10_000, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X[:, 4] = 0
    X[:100, 4] = 1
    return X, y


def fit_one_epoch(X, y):
    clf = ANNClassifier(
        hidden_size=8, batch_size=10, shuffle=False, max_iter=1, restore_best=False
    )
    return clf.set_params(random_state=0).fit(X, y)


@pytest.mark.skipif(
    not (_compiled.COMPILED and X86_64), reason="the compiled loop flushes on x86-64"
)
def test_the_compiled_loop_flushes_subnormal_moments_and_restores_the_mode(
    monkeypatch,
):
    X, y = stopped_gradient_data()
    rows = slice(4 * 8, 5 * 8)  # the first layer's weights out of input 4
    monkeypatch.setattr(_compiled, "enabled", False)
    reference = fit_one_epoch(X, y)
    assert subnormal(reference._optimizer_state["m"][rows]) == 8
    monkeypatch.setattr(_compiled, "enabled", True)
    monkeypatch.setattr(_compiled._loop, "FLUSH_SUBNORMALS", False)
    assert subnormal(fit_one_epoch(X, y)._optimizer_state["m"][rows]) == 8
    monkeypatch.setattr(_compiled._loop, "FLUSH_SUBNORMALS", True)
    flushed = fit_one_epoch(X, y)
    assert (flushed._optimizer_state["m"][rows] == 0).all()
    # nothing else changes beyond rounding ...
    np.testing.assert_allclose(flushed._params, reference._params, rtol=1e-4)
    # ... and the calling thread computes with subnormal numbers again
    assert np.float32(1e-38) * np.float32(0.01) != 0
    assert np.float64(1e-300) * np.float64(1e-10) != 0


def test_the_loop_can_flush_where_it_runs_on_x86_64():
    if _compiled.COMPILED:
        assert _compiled._loop.FLUSH_SUBNORMALS == X86_64
