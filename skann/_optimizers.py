"""Optimizers over the flat parameter buffer.

The state of every optimizer is a plain ``dict`` of numbers and arrays, so a
fitted estimator pickles (and loads with skops) without any custom class.  Each
``*_step`` function updates ``params`` in place from ``grad`` with a handful of
vectorised expressions over the whole buffer: no loop over layers.
:func:`decay_weights`, the decoupled weight decay, follows the step of any of
them on the weight matrices, the front of the buffer.

A step reads the learning rate, which evolves, from the state and every other
hyper-parameter (momentum, beta_1, ...) from the fit's frozen
:class:`skann._training.TrainingConfig`; it writes its intermediates into the
fit's :class:`skann._training.Scratch`.

This module owns the state's keys.  Besides the solver's own arrays
(``"velocity"``; ``"m"``, ``"v"`` and the step count ``"t"``) and its name
(``"solver"``), a state holds three learning rates, one key each:

- ``"learning_rate_param"``, the *requested* rate: the estimator's
  ``learning_rate`` parameter as it was set, ``"auto"`` or a number;
- ``"learning_rate_init"``, the *initial* rate: the requested one resolved
  (the solver's default for ``"auto"``), which the fit's configuration
  carries and the estimator publishes as ``learning_rate_``;
- ``"learning_rate"``, the *current* rate, which the schedule changes and
  every step reads.

:func:`init_state` makes a state; :func:`resume_or_start` carries one on
from one ``partial_fit`` call to the next, or starts anew.
"""

import copy
import math

import numpy as np
from scipy.optimize import OptimizeResult, minimize


def init_state(solver, params, learning_rate):
    """A fresh optimizer state for ``solver`` over ``params``, at the current
    rate ``learning_rate``."""
    state = {"solver": solver, "learning_rate": float(learning_rate)}
    if solver == "sgd":
        state["velocity"] = np.zeros_like(params)
    elif solver == "adam":
        state["t"] = 0
        state["m"] = np.zeros_like(params)
        state["v"] = np.zeros_like(params)
    return state


def resume_or_start(previous, solver, params, requested, resolve):
    """The optimizer state a fit trains with, and its initial learning rate.

    Parameters
    ----------
    previous : dict or None
        The state the last call left, to carry on (``partial_fit``), or None
        to start anew (``fit``, also with ``warm_start``, as MLPClassifier).
        It is carried on only if it is ``solver``'s, and as a copy, so that
        a failed call leaves it as it was.
    solver : str
        The solver to train with.
    params : ndarray
        The flat parameter buffer the solver's arrays match.
    requested : "auto" or float
        The estimator's ``learning_rate``.
    resolve : callable
        ``resolve() -> float``: the initial rate ``requested`` means now (the
        solver's default on the training data, for ``"auto"``).  Called only
        when the requested rate differs from the one ``previous`` was started
        with (``set_params`` since), or without a state to carry on.

    Returns
    -------
    state : dict
        Its ``"learning_rate_init"`` is the initial rate; the current one,
        ``"learning_rate"``, carries on unless the initial one changed.
        L-BFGS takes no steps of a set size: its state holds no rates.
    """
    if solver == "lbfgs":  # no step size, nothing kept between fits
        return {"solver": "lbfgs", "learning_rate_init": None}
    resumes = previous is not None and previous["solver"] == solver
    # (states saved before "auto" existed hold only the initial rate)
    if resumes and requested == previous.get(
        "learning_rate_param", previous.get("learning_rate_init")
    ):
        initial = previous["learning_rate_init"]
    else:
        initial = float(resolve())
    if resumes:
        state = copy_state(previous)
        if state.get("learning_rate_init") != initial:
            state["learning_rate"] = initial  # a new requested rate starts anew
    else:
        state = init_state(solver, params, initial)
    state["learning_rate_init"] = initial
    state["learning_rate_param"] = requested
    return state


# Parameters: below this, numpy's temporaries cost less than a look-up in the
# fit's scratch object.
_SMALL = 1024


def _buffers(scratch, like, n):
    """``n`` arrays shaped like ``like`` for a step's intermediates: the fit's
    (:class:`skann._training.Scratch`), or fresh ones without a scratch."""
    if scratch is None:
        return tuple(np.empty_like(like) for _ in range(n))
    return scratch.arrays(like, n)


def gd_step(params, grad, state, config, scratch=None):
    """Plain gradient descent, the lesson's update: ``W -= learning_rate * dW``."""
    if params.size < _SMALL:
        params -= state["learning_rate"] * grad
        return
    (scaled,) = _buffers(scratch, params, 1)
    params -= np.multiply(grad, state["learning_rate"], out=scaled)


def sgd_step(params, grad, state, config, scratch=None):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v = momentum * v - lr * g``; then ``params += v`` or, with Nesterov,
    ``params += momentum * v - lr * g``.
    """
    lr, velocity = state["learning_rate"], state["velocity"]
    momentum = config.momentum
    scaled, tmp = _buffers(scratch, params, 2)
    np.multiply(grad, lr, out=scaled)  # lr * g
    velocity *= momentum
    velocity -= scaled
    if config.nesterovs_momentum:  # one update added, rounded as MLPClassifier's
        np.multiply(velocity, momentum, out=tmp)
        params += np.subtract(tmp, scaled, out=tmp)
    else:
        params += velocity


def adam_step(params, grad, state, config, scratch=None):
    """Adam (Kingma & Ba, 2014) with the bias correction folded into the step size.

    Every intermediate goes into two scratch arrays: no allocation per step.
    """
    beta_1, beta_2 = config.beta_1, config.beta_2
    state["t"] += 1
    t, m, v = state["t"], state["m"], state["v"]
    tmp, denom = _buffers(scratch, params, 2)
    m *= beta_1
    m += np.multiply(grad, 1 - beta_1, out=tmp)  # m = b1 m + (1 - b1) g
    v *= beta_2
    np.multiply(grad, grad, out=tmp)
    v += np.multiply(tmp, 1 - beta_2, out=tmp)  # v = b2 v + (1 - b2) g^2
    # A Python float: a numpy float64 scalar here would upcast float32 params
    # to float64 for the update below.
    step = state["learning_rate"] * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    np.sqrt(v, out=denom)
    denom += config.epsilon
    np.multiply(m, step, out=tmp)
    params -= np.divide(tmp, denom, out=tmp)  # params -= lr_t m / (sqrt(v) + eps)


STEPS = {"gd": gd_step, "sgd": sgd_step, "adam": adam_step}


def decay_weights(params, n_weights, state, config, scratch=None):
    """Decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
    Regularization", ICLR 2019), taken after a step: the weight matrices,
    ``params[:n_weights]``, shrink by ``learning_rate * weight_decay``
    (``W -= learning_rate * weight_decay * W``), the biases not at all.

    It follows the learning-rate schedule through ``state["learning_rate"]``.
    Unlike the L2 penalty in the loss, which Adam divides by the gradient's
    running scale, it shrinks every weight by the same small fraction per
    step: a weight that gets no gradient from the data fades at that rate,
    not within a few epochs into the subnormal numbers on which processors
    compute slowly.
    """
    # A Python float (see adam_step): float32 weights stay float32.
    rate = float(state["learning_rate"] * config.weight_decay)
    weights = params[:n_weights]
    if params.size < _SMALL:
        weights -= weights * rate
        return
    (tmp,) = _buffers(scratch, params, 1)
    weights -= np.multiply(weights, rate, out=tmp[:n_weights])


class _Plateau(Exception):
    """Raised by :func:`lbfgs`'s callback to end the run (any scipy version)."""


def lbfgs(loss_grad, params, config, stop=None):
    """Minimise ``loss_grad`` over ``params`` (updated in place) with scipy's L-BFGS-B.

    ``loss_grad(params) -> (loss, grad)``; ``config`` gives ``max_iter``,
    ``max_fun`` and ``tol``.  ``stop(loss) -> bool``, when given, is asked
    after each iteration whether the loss has stopped improving; True ends
    the run there, as a converged one.  Returns scipy's ``OptimizeResult``
    with one more field, ``loss_curve``: the loss after each iteration.
    """
    last = {}

    def fun(x):
        params[...] = x
        loss, grad = loss_grad(params)
        last["loss"] = loss
        # a copy: scipy keeps it, and loss_grad may reuse its buffer
        return loss, np.array(grad, dtype=np.float64)

    curve = []

    def callback(xk):
        # L-BFGS-B's last evaluation is the iterate it accepted, ``xk``.
        curve.append(last["loss"])
        if stop is not None and stop(curve[-1]):
            last["x"] = np.array(xk)
            raise _Plateau

    try:
        result = minimize(
            fun,
            params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxfun": config.max_fun,
                "maxiter": config.max_iter,
                "gtol": config.tol,
            },
        )
    except _Plateau:
        result = OptimizeResult(
            x=last["x"],
            fun=curve[-1],
            nit=len(curve),
            status=0,
            success=True,
            message="the loss stopped improving by tol",
        )
    params[...] = result.x
    result.loss_curve = curve
    return result


def copy_state(state):
    """An independent copy of an optimizer state: its arrays copied with
    ``ndarray.copy``, which skips ``copy.deepcopy``'s generic machinery (its
    memo and type dispatch) on every partial_fit call."""
    return {key: _copy(value) for key, value in state.items()}


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (int, float, str, type(None))):
        return value
    return copy.deepcopy(value)
