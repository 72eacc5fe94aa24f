"""One BLAS thread for small-matrix training.

A minibatch step multiplies small matrices (a batch of 200 rows by layers of
100 units).  OpenBLAS splits such products, and 1-D dots of more than 10,000
elements, over every core; when another process keeps a core busy, waking
the second thread costs up to a scheduler tick, far more than the product
itself (measurements in docs/performance.rst).  With one thread the cost
stays steady.  Large batches and very wide layers (full-batch solvers on
big data) get the threads the user allows (threadpoolctl,
``OMP_NUM_THREADS``); the compiled loop then multiplies each chunk of a
batch with them (see ``skann/_loop.pyx.tp``).
"""

from contextlib import nullcontext
from functools import lru_cache

# Multiply-adds in the largest product of one step, below which one BLAS
# thread is used: below it, one thread wins when the machine is busy and loses
# little on a quiet machine (measured in docs/performance.rst).
SMALL_PRODUCT = 1e8

_controller = None


def _limit_to_one():
    global _controller
    if _controller is None:  # inspecting the loaded libraries is slow: once
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def largest_product(rows, layer_sizes):
    """Multiply-adds of the largest matrix product in one step over ``rows`` rows."""
    return rows * max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


# OpenBLAS's own thresholds (defaults, GEMM_MULTITHREAD_THRESHOLD=4): it runs
# a GEMM of at most 65536 * 4 multiply-adds, and a GEMV of a matrix with
# fewer than 2304 * 4 entries, on one thread by itself.
_OPENBLAS_GEMM_ONE_THREAD = 65536 * 4
_OPENBLAS_GEMV_ONE_THREAD = 2304 * 4


def single_threaded_anyway(rows, layer_sizes, single_row_batch=False):
    """Whether OpenBLAS already runs every product of such a step on one thread.

    Then limiting threads would only add threadpoolctl's cost per call, which
    shows in ``partial_fit`` on a few rows.  Matrix-vector products
    (GEMV) appear for one-unit output layers (matrix ``rows x width``) and
    for one-row batches (the weight matrices)."""
    widest = max(layer_sizes)
    largest_weights = max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    return (
        largest_product(rows, layer_sizes) <= _OPENBLAS_GEMM_ONE_THREAD
        and rows * widest < _OPENBLAS_GEMV_ONE_THREAD
        and not (single_row_batch and largest_weights >= _OPENBLAS_GEMV_ONE_THREAD)
    )


@lru_cache(maxsize=64)  # partial_fit asks the same question on every call
def _one_thread_helps(rows, layer_sizes, single_row_batch):
    if largest_product(rows, layer_sizes) >= SMALL_PRODUCT:
        return False
    return not single_threaded_anyway(rows, layer_sizes, single_row_batch)


def blas_threads_for(rows, layer_sizes, single_row_batch=False):
    """A context manager: one BLAS thread while training ``rows``-row steps of a
    network with ``layer_sizes`` is small-matrix work, else a no-op.  (Dots
    of the loss are cut into one-thread pieces in :mod:`skann._network`.)"""
    if _one_thread_helps(int(rows), tuple(layer_sizes), bool(single_row_batch)):
        return _limit_to_one()
    return nullcontext()
