"""The compiled minibatch loop (:mod:`skann._kernels`), when it applies.

``pip install`` compiles ``skann/_kernels.c`` when a C compiler is at hand; it
runs whole blocks of minibatch steps (gather, forward, backward, penalty,
optimizer step) in one call, without Python in between.  It takes dense
float32 or float64 arrays of the parameters' dtype, in any layout (rows that
are not C-contiguous and aligned are copied batch by batch); sparse matrices
go through the numpy core, which remains the reference the tests hold the
compiled loop to.
"""

import os

import numpy as np

from ._activations import HIDDEN, OUTPUT_LAYERS, SOLVERS, codes
from ._blas import largest_product

try:
    from ._kernels import Stepper
except ImportError:  # installed without a C compiler: numpy alone
    Stepper = None

COMPILED = Stepper is not None
enabled = COMPILED  # tests switch it off to run the numpy path

# name -> code of what the loop implements (see skann._activations)
_ACTIVATIONS, _OUTPUTS, _SOLVERS = codes(HIDDEN), codes(OUTPUT_LAYERS), codes(SOLVERS)
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
# Multiply-adds of a step's largest product from which each phase of a step
# is cut in two parts (see _kernels.c), that two threads can compute at once.
_TWO_PARTS = 2e5


def parts(layer_sizes, batch_size):
    """How each phase of a step is cut: 1 or 2 parts.  It fixes the rounding,
    so it depends on nothing but the network and the batch size."""
    return 2 if largest_product(batch_size, layer_sizes) >= _TWO_PARTS else 1


_CORES = (
    len(os.sched_getaffinity(0))
    if hasattr(os, "sched_getaffinity")
    else (os.cpu_count() or 1)
)


def _plain(A, dtype):
    return isinstance(A, np.ndarray) and A.dtype == dtype


def applies(net, X, Y, sample_weight):
    """Whether the compiled loop can train ``net`` on these arrays."""
    dtype = net.params.dtype
    return (
        enabled
        and net.activation in _ACTIVATIONS
        and net.output in _OUTPUTS
        and dtype in _FLOATS
        and _plain(X, dtype)
        and _plain(Y, dtype)
        and (sample_weight is None or _plain(sample_weight, dtype))
    )


def stepper(net, rows, scratch=None):
    """A :class:`skann._kernels.Stepper` for ``net`` and batches of up to ``rows``
    rows, kept in the fit's ``scratch`` (:class:`skann._training.Scratch`)."""
    key = (net.layer_sizes, net.activation, net.output, net.params.dtype)
    cached = None if scratch is None else scratch.stepper
    if cached is not None and cached[0] == key and cached[1] >= rows:
        return cached[2]
    made = Stepper(
        net.layer_sizes,
        _ACTIVATIONS[net.activation],
        _OUTPUTS[net.output],
        net.params.dtype == np.float32,
        rows,
    )
    if scratch is not None:
        scratch.stepper = (key, rows, made)
    return made


class Tuner:
    """Chooses, block by block, between computing the two parts of each phase
    on two threads or one after the other, whichever is faster now.

    On a quiet machine two threads win; when another process keeps the second
    core busy, every phase waits for it, and one thread wins.  Both give the
    same results, so the choice only changes the speed.  The mode in use is
    timed on each block of :attr:`BLOCK` batches; the other is tried on a
    short block every ``wait`` blocks (``wait`` doubles after each failed try,
    up to :attr:`MAX_WAIT`) or as soon as the mode in use gets slower than the
    other's last time.
    """

    BLOCK, PROBE, MAX_WAIT = 16, 4, 32
    MARGIN = 1.15  # a mode must be this much faster to displace the other

    def __init__(self, cores=None):
        self.parallel = (_CORES if cores is None else cores) > 1
        self.usable = self.parallel
        self.cost = {True: None, False: None}  # seconds per batch
        self.wait = self.since = 2

    def next_block(self):
        """``(parallel, n_batches, budget)`` for the next block: run it in
        parallel or not, and stop after ``budget`` seconds (0: no limit)."""
        if not self.usable:
            return False, 1 << 30, 0.0
        current, other = self.cost[self.parallel], self.cost[not self.parallel]
        if other is None or self.since >= self.wait or current > self.MARGIN * other:
            # a try of the other mode, cut short once it cannot win
            budget = 0.0 if current is None else self.PROBE * current
            return not self.parallel, self.PROBE + 1, budget
        return self.parallel, self.BLOCK + 1, 4 * self.BLOCK * current

    def record(self, parallel, n_batches, seconds):
        """Note that a block of ``n_batches`` took ``seconds``."""
        per_batch = seconds / n_batches
        if parallel == self.parallel:  # a running average, for the mode in use
            old = self.cost[parallel]
            self.cost[parallel] = per_batch if old is None else (old + per_batch) / 2
            self.since += 1
            return
        self.cost[parallel] = per_batch  # a try of the other mode
        self.since = 0
        current = self.cost[self.parallel]
        if current is None or self.MARGIN * per_batch < current:
            self.parallel = parallel
            self.wait = 2
        else:
            self.wait = min(2 * self.wait, self.MAX_WAIT)


def run_epoch(net, X, Y, sample_weight, order, state, config, scratch):
    """One epoch of ``state["solver"]`` steps (see :func:`skann._training.run_epoch`).

    Returns ``(loss, diverged)``: the epoch loss, the batch losses averaged
    with the batches' weights; or, with ``diverged`` True, the first batch loss
    that was not finite.
    """
    solver, batch_size, alpha = state["solver"], config.batch_size, config.alpha
    if solver == "adam":
        a, b, c = config.beta_1, config.beta_2, config.epsilon
        buf1, buf2 = state["m"], state["v"]
    else:
        a, b, c = config.momentum, 0.0, 0.0
        buf1, buf2 = state.get("velocity"), None
    nesterov = config.nesterovs_momentum
    steps = stepper(net, batch_size, scratch)
    cut = parts(net.layer_sizes, batch_size)
    n_batches = -(-X.shape[0] // batch_size)
    # One call for the whole epoch, unless a second thread may help.
    tuner = None
    if cut > 1 and n_batches > 1:
        tuner = scratch.tuner
        if tuner is None:
            tuner = scratch.tuner = Tuner()
    loss_sum = weight_sum = 0.0
    first = 0
    while first < n_batches:
        parallel, size, budget = (
            tuner.next_block() if tuner is not None else (False, n_batches, 0.0)
        )
        block_loss, block_weight, t, diverged, last, seconds = steps.run(
            X,
            Y,
            sample_weight,
            order,
            net.params,
            alpha,
            batch_size,
            first,
            min(first + size, n_batches),
            _SOLVERS[solver],
            state["learning_rate"],
            a,
            b,
            c,
            nesterov,
            state.get("t", 0),
            buf1,
            buf2,
            cut,
            2 if parallel else 1,
            budget,
        )
        if tuner is not None and tuner.usable and last - first > 1:
            tuner.record(parallel, last - first - 1, seconds)  # (not the first)
        if solver == "adam":
            state["t"] = t
        if diverged:
            return block_loss, True
        loss_sum += block_loss
        weight_sum += block_weight
        first = last
    return (loss_sum / weight_sum if weight_sum else 0.0), False
