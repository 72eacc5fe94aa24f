"""The compiled minibatch loop (:mod:`skann._loop`), when it applies.

``pip install`` generates ``skann/_loop.pyx`` from its template
(``skann/_loop.pyx.tp``) and compiles it with Cython when a C compiler is
at hand; it runs a whole epoch of minibatch steps (gather, forward, backward,
penalty, optimizer step, weight decay) in one call, on the calling thread,
without Python in between.  It takes dense float32 or float64 arrays of the
parameters' dtype, in any layout (rows that are not C-contiguous and aligned
are copied batch by batch); sparse matrices go through the numpy core, which
remains the reference the tests hold the compiled loop to.  Without the compiled module
skann runs on the numpy core alone, with the same results up to rounding
(:func:`skann.show_versions` says which one runs).
"""

import importlib

import numpy as np

from ._activations import HIDDEN, OUTPUT_LAYERS, SOLVERS, codes

try:  # (import_module: its error names the missing module plainly)
    _loop = importlib.import_module("._loop", __package__)
except ImportError as error:  # installed without a C compiler: numpy alone
    _loop = None
    IMPORT_ERROR = f"{type(error).__name__}: {error}"
else:
    IMPORT_ERROR = None

COMPILED = _loop is not None
enabled = COMPILED  # tests switch it off to run the numpy path
# Rows per chunk of a batch (see skann._loop.CHUNK); benchmarks/scale.py's
# --chunk sets it to measure other sizes.
chunk_rows = _loop.CHUNK if COMPILED else None

# name -> code of what the loop implements, from skann._activations' tables
# (the tests check that the loop's enums, in skann/_loop.pxd, agree)
_HIDDEN_CODES = codes(HIDDEN)
_OUTPUT_LAYER_CODES = codes(OUTPUT_LAYERS)
_SOLVER_CODES = codes(SOLVERS)
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _plain(A, dtype):
    return isinstance(A, np.ndarray) and A.dtype == dtype


def applies(net, X, Y, sample_weight):
    """Whether the compiled loop can train ``net`` on these arrays."""
    dtype = net.params.dtype
    return (
        enabled
        and net.activation in _HIDDEN_CODES
        and net.output in _OUTPUT_LAYER_CODES
        and dtype in _FLOATS
        and _plain(X, dtype)
        and _plain(Y, dtype)
        and (sample_weight is None or _plain(sample_weight, dtype))
    )


def stepper(net, rows, scratch=None):
    """A :class:`skann._loop.Stepper` (the loop's scratch memory) for ``net``
    and batches of up to ``rows`` rows, kept in the fit's ``scratch``
    (:class:`skann._training.Scratch`), so that ``partial_fit`` calls one
    after another do not allocate it anew."""
    key = (
        net.layer_sizes,
        net.members,
        net.activation,
        net.output,
        net.params.dtype,
        chunk_rows,
    )
    cached = None if scratch is None else scratch.stepper
    if cached is not None and cached[0] == key and cached[1].rows >= rows:
        return cached[1]
    made = _loop.make_stepper(
        net.layer_sizes,
        _HIDDEN_CODES[net.activation],
        _OUTPUT_LAYER_CODES[net.output],
        net.params.dtype,
        rows,
        chunk_rows,
        net.members,
    )
    if scratch is not None:
        scratch.stepper = (key, made)
    return made


def settings(config, solver, members=1):
    """The compiled loop's configuration of ``solver``'s epochs under
    ``config`` (:class:`skann._training.TrainingConfig`): a dict of the
    fields of its struct ``Settings``.  The penalty of a network of
    ``members`` members is the mean of theirs (as
    :meth:`skann._network.Network.penalty` computes it)."""
    return {
        "solver": _SOLVER_CODES[solver],
        "batch_size": config.batch_size,
        "alpha": config.alpha / members,
        "weight_decay": config.weight_decay,
        "momentum": config.momentum,
        "nesterov": config.nesterovs_momentum,
        "beta_1": config.beta_1,
        "beta_2": config.beta_2,
        "epsilon": config.epsilon,
    }


def run_epoch(net, X, Y, sample_weight, order, state, config, scratch):
    """One epoch of ``state["solver"]`` steps on the compiled loop.

    Parameters
    ----------
    net, X, Y, sample_weight, order, state, config, scratch
        As :func:`skann._training.run_epoch` takes them: the network, the
        training rows, their targets and weights, the epoch's row order (or
        None), the optimizer state, the :class:`~skann._training.TrainingConfig`
        and the fit's :class:`~skann._training.Scratch`.

    Returns
    -------
    loss : float
        The epoch loss, the batch losses averaged with the batches' weights;
        or, when ``diverged``, the first batch loss that was not finite (that
        batch's step is not taken).
    diverged : bool
        Whether a batch loss was not finite.

    The loop updates ``net.params`` and ``state`` in place.
    """
    loss_sum, weight_sum, diverged = stepper(net, config.batch_size, scratch).run(
        X,
        Y,
        sample_weight,
        order,
        net.params,
        settings(config, state["solver"], net.members),
        state,
    )
    if diverged:
        return loss_sum, True
    return (loss_sum / weight_sum if weight_sum else 0.0), False
