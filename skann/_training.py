"""The epoch loop of the gradient solvers ("gd", "sgd", "adam").

One function per concern: :func:`iter_batches` cuts an epoch into minibatches,
:func:`run_epoch` takes one optimizer step per batch, :class:`Plateau` counts
epochs without improvement, :func:`scheduled_learning_rate` applies the
learning-rate schedule, and :func:`train` strings them together.  Nothing here
knows about scikit-learn.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import _compiled
from ._optimizers import STEPS


class DivergenceError(ValueError):
    """Training produced a non-finite loss or blown-up weights."""


def weight_bound(dtype):
    """``max_float ** (1/4)`` (1e77 in float64, 4e9 in float32): weights beyond
    it mean a diverged run, whose logits overflow on ordinary inputs."""
    return float(np.finfo(dtype).max) ** 0.25


def check_weights(params):
    """Raise :class:`DivergenceError` unless every weight is finite and below
    :func:`weight_bound` in magnitude (NaN fails the comparison too)."""
    bound = weight_bound(params.dtype)
    if not (params.max(initial=0) < bound and -params.min(initial=0) < bound):
        raise DivergenceError(
            f"the weights became non-finite or larger than {bound:.0e}"
        )


def iter_batches(n_samples, batch_size, order=None):
    """Yield the rows of each minibatch: slices in order, or slices of the
    index array ``order`` (a permutation of the rows)."""
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        yield slice(start, stop) if order is None else order[start:stop]


def run_epoch(net, X, Y, sample_weight, order, batch_size, alpha, state, hyper):
    """One pass over the minibatches (rows in order, or as ``order`` lists
    them), one optimizer step per batch; returns the epoch loss, the batch
    losses averaged with the batches' (weighted) sizes.

    Dense float arrays go through the compiled loop of :mod:`skann._compiled`,
    which does per batch what the numpy loop below does.  Every batch is
    gathered into, and computed in, arrays allocated once per network
    (:meth:`Network.workspace`): no allocation per batch and no copy of ``X``
    beyond one batch.
    """
    if _compiled.applies(net, X, Y, sample_weight):
        loss, diverged = _compiled.run_epoch(
            net, X, Y, sample_weight, order, batch_size, alpha, state, hyper
        )
        if diverged:
            raise DivergenceError(f"the training loss became {loss}")
        return loss
    step = STEPS[state["solver"]]
    total_loss = total_weight = 0.0
    ws = None
    for rows in iter_batches(X.shape[0], batch_size, order):
        if isinstance(rows, slice):  # views, no copy
            if rows.start == 0 and rows.stop == Y.shape[0]:  # full batch
                Xb, Yb, sw = X, Y, sample_weight
            else:
                Xb, Yb = X[rows], Y[rows]
                sw = None if sample_weight is None else sample_weight[rows]
            m = Yb.shape[0]
        else:
            m = rows.shape[0]
        if ws is None:  # the first batch is the largest
            ws = net.workspace(m)
        if not isinstance(rows, slice):
            Xb, Yb = ws.gather("X", X, rows), ws.gather("Y", Y, rows)
            sw = None if sample_weight is None else ws.gather("sw", sample_weight, rows)
        weight = float(m if sw is None else sw.sum())
        if weight == 0:  # every sample of the batch has weight 0: nothing to learn
            continue
        loss, grad = net.loss_grad(Xb, Yb, alpha, sw, workspace=ws)
        if not math.isfinite(loss):
            raise DivergenceError(f"the training loss became {loss}")
        step(net.params, grad, state, **hyper)
        total_loss += loss * weight
        total_weight += weight
    return total_loss / total_weight if total_weight else 0.0


@dataclass
class Plateau:
    """Counts the epochs in a row whose value did not improve on the best by ``tol``."""

    tol: float
    patience: int
    higher_is_better: bool = False
    best: float = None
    count: int = 0

    def update(self, value):
        """Record ``value``; return True when it is a new best."""
        sign = 1.0 if self.higher_is_better else -1.0
        if self.best is None:
            self.best = value
            self.count = 0
            return True
        if sign * (value - self.best) < self.tol:
            self.count += 1
        else:
            self.count = 0
        if sign * (value - self.best) > 0:
            self.best = value
            return True
        return False

    @property
    def exhausted(self):
        return self.count > self.patience


def scheduled_learning_rate(schedule, learning_rate, initial, t, power_t):
    """The learning rate after an epoch: ``"invscaling"`` decays it with the
    number of samples seen ``t``; the others keep it (``"adaptive"`` divides it
    on a plateau, in :func:`train`)."""
    if schedule == "invscaling":
        return initial / (t + 1) ** power_t
    return learning_rate


@dataclass
class History:
    """What happened during :func:`train`."""

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    converged: bool = False
    interrupted: bool = False


def train(
    net,
    X,
    Y,
    sample_weight,
    state,
    *,
    alpha,
    batch_size,
    max_iter,
    shuffle,
    rng,
    plateau,
    schedule="constant",
    initial_learning_rate=None,
    power_t=0.5,
    t=0,
    score=None,
    on_epoch_begin=None,
    on_epoch=None,
    step_params=None,
):
    """Train ``net`` in place for up to ``max_iter`` epochs.

    Parameters
    ----------
    net : Network
    X, Y, sample_weight : training data, 0/1 coded targets, weights or None.
    state : dict
        Optimizer state from :func:`skann._optimizers.init_state`, updated in place.
    plateau : Plateau
        Watches the training loss, or the validation score when ``score`` is given.
    score : callable, optional
        ``score(net) -> float`` on held-out data (early stopping): the best
        weights are restored at the end.
    on_epoch_begin : callable, optional
        ``on_epoch_begin()`` before each epoch.
    on_epoch : callable, optional
        ``on_epoch(history, seconds) -> bool`` after each epoch; True stops.
    step_params : dict
        Hyper-parameters of the optimizer step (momentum, beta_1, ...).

    Returns
    -------
    History
    """
    step_params = step_params or {}
    initial = (
        state["learning_rate"]
        if initial_learning_rate is None
        else initial_learning_rate
    )
    n_samples = X.shape[0]
    epoch_rng = rng if shuffle and batch_size < n_samples else None
    history = History()
    best_params = None
    # Overflow is detected below (a non-finite loss or weights) and reported
    # as a DivergenceError, so numpy's own floating-point warnings are noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(max_iter):
            started = time.perf_counter()
            try:
                if on_epoch_begin is not None:
                    on_epoch_begin()
                order = None if epoch_rng is None else epoch_rng.permutation(n_samples)
                loss = run_epoch(
                    net,
                    X,
                    Y,
                    sample_weight,
                    order,
                    batch_size,
                    alpha,
                    state,
                    step_params,
                )
            except KeyboardInterrupt:
                history.interrupted = True
                break
            history.n_iter += 1
            history.t += n_samples
            history.loss_curve.append(loss)
            if score is None:
                plateau.update(loss)
            else:
                history.validation_scores.append(score(net))
                if plateau.update(history.validation_scores[-1]):
                    best_params = net.params.copy()
            state["learning_rate"] = scheduled_learning_rate(
                schedule, state["learning_rate"], initial, t + history.t, power_t
            )
            stop = on_epoch is not None and on_epoch(
                history, time.perf_counter() - started
            )
            if plateau.exhausted:
                if schedule == "adaptive" and state["learning_rate"] > 1e-6:
                    state["learning_rate"] /= 5
                    plateau.count = 0
                else:
                    history.converged = True
                    stop = True
            if stop:
                break
    if best_params is not None:
        net.params[...] = best_params
    # Non-finite weights already show as a non-finite loss in the next batch;
    # this also catches weights that grew huge but stayed finite.
    check_weights(net.params)
    return history
