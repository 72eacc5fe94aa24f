# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, embedsignature=True
"""skann._loop: the minibatch loop of skann's gradient solvers, compiled.

A numpy minibatch step spends as long in Python and in separate passes over
small arrays (bias, activation, masks, the optimizer's dozen vector
expressions) as in its matrix products.  Here one call runs a block of
batches: each is gathered, pushed forward and back with BLAS (scipy's, by
``cimport`` from :mod:`scipy.linalg.cython_blas`, whose signatures Cython
checks when this module is imported), a chunk of rows at a time for large
batches, and stepped, with the bias and
activation, the output error, the penalty and the optimizer each fused into
one pass over memory.

Everything runs on the calling thread with the GIL released: parallelism
comes from what users already control, BLAS threads (threadpoolctl,
``OMP_NUM_THREADS``) and parallel fits (joblib's ``n_jobs``).

Every function mirrors a numpy expression of skann/_network.py,
_activations.py or _optimizers.py in the same order of operations (compiled
without contraction into fused multiply-adds, see setup.py), so that the
compiled and the numpy paths differ by rounding only: the math library's
exp/log/tanh against numpy's, and sums taken in another order.

Arrays are row-major; BLAS is column-major, so a row-major product
C (m x n) = A (m x k) @ B (k x n) is computed as C^T = B^T @ A^T.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport exp, expf, isfinite, log, log1p, log1pf, logf, pow, sqrt, sqrtf
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm, sgemm

cimport cython
from cython cimport floating

import numpy as np

# The codes of the names in skann/_activations.py; tests check they agree.
cdef enum:
    ACT_IDENTITY = 0
    ACT_RELU = 1
    ACT_TANH = 2
    ACT_LOGISTIC = 3
cdef enum:
    OUT_LOGISTIC = 0
    OUT_SOFTMAX = 1
    OUT_IDENTITY = 2
cdef enum:
    SOLVER_GD = 0
    SOLVER_SGD = 1
    SOLVER_ADAM = 2

ACTIVATIONS = {"identity": ACT_IDENTITY, "relu": ACT_RELU, "tanh": ACT_TANH,
               "logistic": ACT_LOGISTIC}
OUTPUTS = {"logistic": OUT_LOGISTIC, "softmax": OUT_SOFTMAX,
           "identity": OUT_IDENTITY}
SOLVERS = {"gd": SOLVER_GD, "sgd": SOLVER_SGD, "adam": SOLVER_ADAM}

cdef double LN2 = 0.69314718055994530942

# Subnormal numbers (below the dtype's smallest normal float, not 0) slow x86
# arithmetic down many times, and Adam's moments of a weight whose gradient
# has stopped (an input seen only in a few rows, a unit that no longer fires)
# decay into them by beta_1 at every step and stay there.  run() computes its
# epoch with the processor flushing subnormal results and inputs to zero (the
# FTZ and DAZ bits of the MXCSR register, on this thread, set on entry and
# restored on return); numpy, and every other caller on the thread, computes
# as before.  Other processors keep their default: the switch is x86-64's.
cdef extern from *:
    """
    #if defined(__x86_64__) || defined(_M_X64)
    #include <xmmintrin.h>
    static unsigned int skann_flush_subnormals(void) {
        unsigned int saved = _mm_getcsr();
        _mm_setcsr(saved | 0x8040);  /* FTZ (bit 15) and DAZ (bit 6) */
        return saved;
    }
    static void skann_restore_float_mode(unsigned int saved) { _mm_setcsr(saved); }
    #define SKANN_CAN_FLUSH 1
    #else
    static unsigned int skann_flush_subnormals(void) { return 0; }
    static void skann_restore_float_mode(unsigned int saved) { (void)saved; }
    #define SKANN_CAN_FLUSH 0
    #endif
    """
    unsigned int skann_flush_subnormals() noexcept nogil
    void skann_restore_float_mode(unsigned int saved) noexcept nogil
    const bint SKANN_CAN_FLUSH

# Whether run() flushes subnormal numbers to zero (the benchmarks and tests
# switch it off to measure and to compare); False where it cannot.
FLUSH_SUBNORMALS = bool(SKANN_CAN_FLUSH)


ctypedef struct Source:  # a data array of any layout: X, Y (2-d) or sample weights
    const char *base
    Py_ssize_t row_stride, col_stride  # in bytes
    bint direct  # C-contiguous and aligned: rows usable in place

ctypedef struct Net:  # the network's shape and the scratch memory of a step
    int n_layers, activation, output
    int *sizes  # n_layers + 1 layer widths
    Py_ssize_t *coef_at  # offsets of W_k and b_k in params
    Py_ssize_t *bias_at
    Py_ssize_t n_params, rows, chunk  # rows of a batch, of a chunk (at most)
    void **outputs  # per layer, chunk x width
    void **deltas
    void *X  # the gathered chunk
    void *Y
    void *sw
    void *grad

ctypedef struct Batch:  # the batch being computed
    const Source *X
    const Source *Y
    const Py_ssize_t *order  # the epoch's row order, or NULL
    Py_ssize_t n_rows, start, m  # the batch: rows start .. start + m - 1
    bint gather  # copy its X and Y rows into scratch
    const void *Xb  # the batch's rows (gathered or in place)
    const void *Yb
    const void *sw
    double sw_sum, alpha

ctypedef struct Optimizer:  # an optimizer state of skann/_optimizers.py
    int solver
    bint nesterov
    double learning_rate, a, b, c  # momentum | beta_1, beta_2, epsilon
    double weight_decay  # decoupled, of the weight matrices (decay_weights)
    long long t
    void *buf1  # velocity | m
    void *buf2  # v


# ------------------------------------------------------------------ kernels
# Multiply-adds per BLAS call, at most, where cutting pays.  A minibatch
# product is small; BLAS libraries multiply small products without first
# packing them into cache-sized blocks (OpenBLAS takes that path up to
# 100 x 100 x 100), and packing costs about as much as the multiplication at
# these sizes.  Cutting a product into blocks of rows (or, for dW = A.T @ dZ,
# of columns) changes no value: each element of the result is computed alone,
# by the same kernel whatever the cut.  A block thinner than MIN_PIECE rows or
# columns keeps the kernels from their full width: such a product is left
# whole, for BLAS's large kernels (and its threads, where the user allows
# them).
cdef double PIECE = 1e6
cdef int MIN_PIECE = 32
# Rows per chunk of a large batch, by default.  A batch is pushed forward and
# back one chunk of rows at a time, so that each chunk's activations stay in
# cache between the passes over them, and its weight gradients are summed
# over the chunks (dW += A.T @ dZ); a batch of at most CHUNK rows is one
# chunk, computed as a whole.  The chunk is the same whatever the number of
# BLAS threads, so that the results are too.
CHUNK = 256


cdef inline void gemm(char ta, char tb, int m, int n, int k, const floating *A,
                      int lda, const floating *B, int ldb, floating beta,
                      floating *C, int ldc) noexcept nogil:
    cdef floating one = 1
    if floating is double:
        dgemm(&tb, &ta, &n, &m, &k, &one, <double *>B, &ldb, <double *>A, &lda,
              &beta, C, &ldc)
    else:
        sgemm(&tb, &ta, &n, &m, &k, &one, <float *>B, &ldb, <float *>A, &lda,
              &beta, C, &ldc)


cdef void matmul(char ta, char tb, int m, int n, int k, const floating *A, int lda,
                 const floating *B, int ldb, floating beta, floating *C,
                 int ldc) noexcept nogil:
    """C (m x n, rows ldc apart) = op(A) @ op(B) + beta * C, row-major; ta, tb:
    'N' or 'T' as in numpy's A.T; lda, ldb: the row lengths of A and B as
    stored; beta: 0 or 1.  Computed in blocks of rows (or columns) of C of at
    most PIECE multiply-adds each, unless a block would be thinner than
    MIN_PIECE."""
    cdef int pieces, rows, cols, i0
    if m == 0 or n == 0:
        return
    pieces = <int>((<double>m * n * k + PIECE - 1) // PIECE)
    if ta == c'T' and tb == c'N':  # dW = A.T @ dZ: blocks of columns of dZ
        cols = (n + pieces - 1) // pieces
        if cols < MIN_PIECE:
            cols = n
        i0 = 0
        while i0 < n:
            gemm(ta, tb, m, min(cols, n - i0), k, A, lda, B + i0, ldb, beta, C + i0,
                 ldc)
            i0 += cols
        return
    rows = (m + pieces - 1) // pieces
    if rows < MIN_PIECE:
        rows = m
    i0 = 0
    while i0 < m:  # blocks of rows of A
        gemm(ta, tb, min(rows, m - i0), n, k, A + <Py_ssize_t>i0 * lda, lda, B, ldb,
             beta, C + <Py_ssize_t>i0 * ldc, ldc)
        i0 += rows


cdef inline floating exp_(floating x) noexcept nogil:
    if floating is double:
        return exp(x)
    else:
        return expf(x)


cdef inline floating tanh_(floating x) noexcept nogil:
    """tanh(x) as Cephes computes it (within 2 ulp of the exact value): a
    rational (float64) or polynomial (float32) approximation below 0.625, and
    1 - 2 / (exp(2|x|) + 1) above.  The C library's tanh is several times
    slower, enough to make the compiled loop slower than numpy's vectorised
    tanh."""
    cdef floating z = -x if x < 0 else x
    cdef floating y, s, p, q
    cdef floating one_from = 9 if floating is float else 22  # tanh rounds to 1
    if not (z < one_from):
        if x != x:
            return x  # NaN stays NaN
        return 1 if x > 0 else -1
    if z >= <floating>0.625:
        y = 1 - 2 / (exp_(2 * z) + 1)
        return -y if x < 0 else y
    s = x * x
    if floating is float:  # (float constants: the polynomial runs in float)
        return ((((<float>-5.70498872745E-3 * s + <float>2.06390887954E-2) * s
                  - <float>5.37397155531E-2) * s + <float>1.33314422036E-1) * s
                - <float>3.33332819422E-1) * s * x + x
    else:
        p = (-9.64399179425052238628E-1 * s - 9.92877231001918586564E1) * s \
            - 1.61468768441708447952E3
        q = ((s + 1.12811678491632931402E2) * s + 2.23548839060100448583E3) * s \
            + 4.84406305325125486048E3
        return x + x * s * p / q


cdef void bias_activation(floating *Z, const floating *b, Py_ssize_t m, int n,
                          int activation) noexcept nogil:
    """Z = f(Z + b), row by row: the bias and the hidden activation in one pass."""
    cdef Py_ssize_t i
    cdef int j
    cdef floating v
    cdef floating *z
    for i in range(m):
        z = Z + i * n
        if activation == ACT_IDENTITY:
            for j in range(n):
                z[j] = z[j] + b[j]
        elif activation == ACT_RELU:  # np.maximum(z, 0): keeps NaN
            for j in range(n):
                v = z[j] + b[j]
                z[j] = 0 if v < 0 else v
        elif activation == ACT_TANH:
            for j in range(n):
                z[j] = tanh_(z[j] + b[j])
        else:
            for j in range(n):
                z[j] = 1 / (1 + exp_(-(z[j] + b[j])))


cdef void activation_derivative(const floating *A, floating *delta, Py_ssize_t m,
                                int n, int activation, floating *db,
                                bint adds) noexcept nogil:
    """delta *= f'(Z), with f' written through A = f(Z) (_activations.py); and
    db = delta.sum(axis=0) (db += ... when ``adds``, for the chunks after a
    batch's first), row after row as numpy sums it, in the same pass while
    each row is in cache."""
    cdef Py_ssize_t i
    cdef int j
    cdef const floating *a
    cdef floating *d
    for i in range(m):
        a = A + i * n
        d = delta + i * n
        if activation == ACT_RELU:  # multiply by the mask, as numpy: NaN stays NaN
            for j in range(n):
                d[j] *= <floating>(a[j] > 0)
        elif activation == ACT_TANH:
            for j in range(n):
                d[j] = d[j] * (1 - a[j] * a[j])
        elif activation == ACT_LOGISTIC:
            for j in range(n):
                d[j] = d[j] * ((1 - a[j]) * a[j])
        if i == 0 and not adds:
            for j in range(n):
                db[j] = d[j]
        else:
            for j in range(n):
                db[j] += d[j]


cdef inline floating log1pexp(floating z) noexcept nogil:
    """np.logaddexp(0, z), as numpy computes it."""
    if z == 0:
        return <floating>LN2
    if floating is double:
        if z < 0:
            return log1p(exp(z))
        if z > 0:
            return z + log1p(exp(-z))
    else:
        if z < 0:
            return log1pf(expf(z))
        if z > 0:
            return z + log1pf(expf(-z))
    return z  # NaN


cdef double output_error(floating *Z, const floating *Y, const floating *sw,
                         Py_ssize_t m, int n, int output, double sw_sum,
                         double total) noexcept nogil:
    """The output layer (Network.loss_and_output_error): the summed per-sample
    losses of the logits Z (m x n) weighted by sw, and Z turned into the
    scaled output error (A_out - Y) * w_i / sw_sum in place.  Returns
    ``total`` plus the weighted loss sum (to be divided by sw_sum), added
    row after row.

    logistic: sum_k log(1 + e^z_k) - y_k z_k; softmax: -sum_k y_k log_softmax(z)_k;
    identity: 1/2 sum_k (z_k - y_k)^2.  The output error is A_out - Y for all
    three (each loss is its output's matching one)."""
    cdef floating weight = <floating>sw_sum
    cdef floating per_sample, z_max, total_exp, log_sum, shifted, d, scale
    cdef floating *z
    cdef const floating *y
    cdef Py_ssize_t i
    cdef int j
    for i in range(m):
        z = Z + i * n
        y = Y + i * n
        per_sample = 0
        if output == OUT_LOGISTIC:
            for j in range(n):
                per_sample += log1pexp(z[j]) - y[j] * z[j]
                z[j] = 1 / (1 + exp_(-z[j]))
        elif output == OUT_SOFTMAX:  # as scipy's log_softmax and softmax
            z_max = z[0]
            for j in range(1, n):
                if z[j] > z_max or z[j] != z[j]:
                    z_max = z[j]
            if not isfinite(z_max):
                z_max = 0
            total_exp = 0
            for j in range(n):
                total_exp += exp_(z[j] - z_max)
            if floating is double:
                log_sum = log(total_exp)
            else:
                log_sum = logf(total_exp)
            for j in range(n):
                shifted = z[j] - z_max
                per_sample += y[j] * (shifted - log_sum)
                z[j] = exp_(shifted) / total_exp
            per_sample = -per_sample
        else:  # identity: A_out = Z
            for j in range(n):
                d = z[j] - y[j]
                per_sample += d * d
            per_sample = per_sample * <floating>0.5
        # as numpy: dZ /= m, or dZ *= sw / sw_sum
        if sw == NULL:
            for j in range(n):
                z[j] = (z[j] - y[j]) / weight
            total += <double>per_sample
        else:
            scale = sw[i] / weight
            for j in range(n):
                z[j] = (z[j] - y[j]) * scale
            total += <double>per_sample * sw[i]
    return total


cdef int gather(const Source *src, const Batch *bt, int width,
                floating *out) noexcept nogil:
    """Copy the batch's rows (``order[start + i]``, or ``start + i``, of
    ``src``) into ``out``.  Returns -1 on a row index out of range."""
    cdef Py_ssize_t i, r
    cdef int j
    cdef const char *row
    for i in range(bt.m):
        r = bt.start + i if bt.order == NULL else bt.order[bt.start + i]
        if r < 0 or r >= bt.n_rows:
            return -1
        row = src.base + r * src.row_stride
        if src.col_stride == sizeof(floating):
            memcpy(out + i * width, row, width * sizeof(floating))
        else:  # (memcpy: the data may be unaligned)
            for j in range(width):
                memcpy(out + i * width + j, row + j * src.col_stride,
                       sizeof(floating))
    return 0


cdef double rows_pass(Net *s, Batch *bt, floating *params, double loss,
                      bint adds) noexcept nogil:
    """Gather the chunk's rows (in shuffled epochs, or from data not in C
    order), push them forward, turn the logits into the output error and
    backpropagate it to every hidden layer's dZ (deltas), and sum the hidden
    layers' db (into them when ``adds``).  Returns ``loss`` plus the rows'
    weighted loss sum, or 0 with bt.m = -1 on a row index out of range."""
    cdef int L = s.n_layers, n0 = s.sizes[0], n_out = s.sizes[L]
    cdef int m = <int>bt.m, k, n_in, width
    cdef floating *Z
    cdef const floating *A
    cdef const floating *dZ
    if bt.gather:
        if (gather(bt.X, bt, n0, <floating *>s.X) < 0
                or gather(bt.Y, bt, n_out, <floating *>s.Y) < 0):
            bt.m = -1
            return 0
    A = <const floating *>bt.Xb
    for k in range(L):  # forward: f(A_prev @ W + b)
        n_in = s.sizes[k]
        width = s.sizes[k + 1]
        Z = <floating *>s.outputs[k]
        matmul(c'N', c'N', m, width, n_in, A, n_in, params + s.coef_at[k], width,
               0, Z, width)
        bias_activation(Z, params + s.bias_at[k], m, width,
                        s.activation if k < L - 1 else ACT_IDENTITY)
        A = Z
    loss = output_error(<floating *>s.outputs[L - 1], <const floating *>bt.Yb,
                        <const floating *>bt.sw, m, n_out, s.output, bt.sw_sum, loss)
    for k in range(L - 1, 0, -1):  # dZ_prev = (dZ @ W.T) * f'(Z_prev)
        n_in = s.sizes[k]
        width = s.sizes[k + 1]
        dZ = <const floating *>(s.outputs[k] if k == L - 1 else s.deltas[k])
        matmul(c'N', c'T', m, n_in, width, dZ, width, params + s.coef_at[k], width,
               0, <floating *>s.deltas[k - 1], n_in)
        activation_derivative(<const floating *>s.outputs[k - 1],
                              <floating *>s.deltas[k - 1], m, n_in, s.activation,
                              <floating *>s.grad + s.bias_at[k - 1], adds)
    return loss


cdef void columns_pass(Net *s, Batch *bt, floating *grad, bint adds) noexcept nogil:
    """dW = A_prev.T @ dZ of every layer and the output layer's db =
    dZ.sum(axis=0), over the chunk the rows pass left, into ``grad``
    (s.grad); added to the batch's earlier chunks' sums when ``adds``."""
    cdef int L = s.n_layers, m = <int>bt.m, k, n_in, width, j
    cdef const floating *A_prev
    cdef const floating *dZ
    cdef floating *db
    cdef Py_ssize_t i
    for k in range(L):
        n_in = s.sizes[k]
        width = s.sizes[k + 1]
        if k:
            A_prev = <const floating *>s.outputs[k - 1]
        else:
            A_prev = <const floating *>bt.Xb
        dZ = <const floating *>(s.outputs[k] if k == L - 1 else s.deltas[k])
        matmul(c'T', c'N', n_in, width, m, A_prev, n_in, dZ, width, <floating>adds,
               grad + s.coef_at[k], width)
    # the output layer's db (the hidden layers' are summed by the rows pass)
    width = s.sizes[L]
    dZ = <const floating *>s.outputs[L - 1]
    db = grad + s.bias_at[L - 1]
    i = 0
    if not adds:
        for j in range(width):
            db[j] = dZ[j]
        i = 1
    for i in range(i, m):
        for j in range(width):
            db[j] += dZ[i * width + j]


cdef double penalty_pass(Net *s, const floating *params, double decay_) noexcept nogil:
    """The L2 term decay_ * W (decay_ = alpha / sw_sum) added to every dW.
    Returns sum(W ** 2)."""
    cdef floating *grad = <floating *>s.grad
    cdef floating decay = <floating>decay_, w0, w1, w2, w3
    cdef const floating *W
    cdef floating *dW
    cdef double squares = 0
    cdef double l0, l1, l2, l3
    cdef Py_ssize_t i, size
    cdef int k
    for k in range(s.n_layers):
        W = params + s.coef_at[k]
        dW = grad + s.coef_at[k]
        # four sums in turn, written out so that the compiler vectorises them
        size = <Py_ssize_t>s.sizes[k] * s.sizes[k + 1]
        l0 = l1 = l2 = l3 = 0
        i = 0
        while i + 4 <= size:
            w0, w1, w2, w3 = W[i], W[i + 1], W[i + 2], W[i + 3]
            l0 += <double>(w0 * w0)
            l1 += <double>(w1 * w1)
            l2 += <double>(w2 * w2)
            l3 += <double>(w3 * w3)
            dW[i] += w0 * decay
            dW[i + 1] += w1 * decay
            dW[i + 2] += w2 * decay
            dW[i + 3] += w3 * decay
            i += 4
        while i < size:
            w0 = W[i]
            l0 += <double>(w0 * w0)
            dW[i] += w0 * decay
            i += 1
        squares += (l0 + l1) + (l2 + l3)
    return squares


cdef void step_pass(Optimizer *o, floating *params, const floating *grad,
                    Py_ssize_t n, Py_ssize_t n_weights, double step) noexcept nogil:
    """One optimizer step (_optimizers.py), then the decoupled weight decay of
    the first ``n_weights`` parameters, the weight matrices (decay_weights).
    Adam's bias-corrected step size ``step`` is computed once per batch by
    the caller."""
    cdef floating lr = <floating>o.learning_rate, g, scaled, decay
    cdef floating momentum, beta_1, beta_2, epsilon, one_minus_1, one_minus_2, rate
    cdef floating *velocity
    cdef floating *mom
    cdef floating *vel
    cdef Py_ssize_t i
    if o.solver == SOLVER_GD:
        for i in range(n):
            params[i] -= grad[i] * lr
    elif o.solver == SOLVER_SGD:
        momentum = <floating>o.a
        velocity = <floating *>o.buf1
        if o.nesterov:
            for i in range(n):
                scaled = grad[i] * lr
                velocity[i] = velocity[i] * momentum - scaled
                params[i] += velocity[i] * momentum - scaled
        else:
            for i in range(n):
                velocity[i] = velocity[i] * momentum - grad[i] * lr
                params[i] += velocity[i]
    else:  # adam
        beta_1 = <floating>o.a
        beta_2 = <floating>o.b
        epsilon = <floating>o.c
        one_minus_1 = <floating>(1 - o.a)
        one_minus_2 = <floating>(1 - o.b)
        rate = <floating>step
        mom = <floating *>o.buf1
        vel = <floating *>o.buf2
        for i in range(n):
            g = grad[i]
            mom[i] = mom[i] * beta_1 + g * one_minus_1
            vel[i] = vel[i] * beta_2 + (g * g) * one_minus_2
            if floating is double:
                params[i] -= (mom[i] * rate) / (sqrt(vel[i]) + epsilon)
            else:
                params[i] -= (mom[i] * rate) / (sqrtf(vel[i]) + epsilon)
    if o.weight_decay != 0:
        decay = <floating>(o.learning_rate * o.weight_decay)
        for i in range(n_weights):
            params[i] -= params[i] * decay


# -------------------------------------------------------------- the batches
cdef double set_batch(Net *s, Batch *bt, const Source *sw, Py_ssize_t start,
                      Py_ssize_t stop, floating *dtype_tag) noexcept nogil:
    """Point bt at rows [start, stop) of the epoch (in bt.order, if not
    NULL), with its sample weights (copied unless usable in place; the rows
    pass copies X and Y when needed).  Returns the batch's weight, or -1 on a
    row index out of range."""
    cdef Py_ssize_t i, r
    cdef floating *copied
    cdef double total
    bt.start = start
    bt.m = stop - start
    if bt.gather:
        bt.Xb = s.X
        bt.Yb = s.Y
    else:
        bt.Xb = bt.X.base + start * bt.X.row_stride
        bt.Yb = bt.Y.base + start * bt.Y.row_stride
    bt.sw = NULL
    if sw.base == NULL:
        bt.sw_sum = <double>bt.m
        return bt.sw_sum
    if bt.order == NULL and sw.direct:
        bt.sw = sw.base + start * sw.row_stride
    else:
        copied = <floating *>s.sw
        for i in range(start, stop):
            r = i if bt.order == NULL else bt.order[i]
            if r < 0 or r >= bt.n_rows:
                return -1
            memcpy(copied + (i - start), sw.base + r * sw.row_stride, sizeof(floating))
        bt.sw = copied
    total = 0
    for i in range(bt.m):
        total += (<const floating *>bt.sw)[i]
    bt.sw_sum = total
    return total


cdef double loss_grad_(Net *s, Batch *bt, floating *params) noexcept nogil:
    """Loss and gradient (into s.grad) of the batch set by set_batch, one
    chunk of at most s.chunk rows after another.  Returns 0 with bt.m = -1
    on a row index out of range."""
    cdef Batch chunk = bt[0]
    cdef Py_ssize_t done = 0
    cdef double loss = 0
    while done < bt.m:
        chunk.start = bt.start + done
        chunk.m = min(s.chunk, bt.m - done)
        if not bt.gather:
            chunk.Xb = <const char *>bt.Xb + done * bt.X.row_stride
            chunk.Yb = <const char *>bt.Yb + done * bt.Y.row_stride
        if bt.sw != NULL:
            chunk.sw = <const floating *>bt.sw + done
        loss = rows_pass(s, &chunk, params, loss, done > 0)
        if chunk.m < 0:
            bt.m = -1
            return 0
        columns_pass(s, &chunk, <floating *>s.grad, done > 0)
        done += chunk.m
    loss /= bt.sw_sum
    return loss + 0.5 * bt.alpha * penalty_pass(s, params, bt.alpha / bt.sw_sum) / (
        bt.sw_sum)


cdef int run_batches(Net *s, Batch *bt, const Source *sw, Optimizer *o,
                     floating *params, Py_ssize_t batch_size, Py_ssize_t n_batches,
                     double *loss_sum, double *weight_sum) noexcept nogil:
    """Every batch: loss, gradient, step.  Returns 0; 1 after a batch whose
    loss is not finite (its step is not taken, *loss_sum holds that loss); -1
    on a row index out of range."""
    cdef Py_ssize_t b, start, stop
    cdef double weight, loss, step = 0
    for b in range(n_batches):
        start = b * batch_size
        stop = min(start + batch_size, bt.n_rows)
        weight = set_batch(s, bt, sw, start, stop, params)
        if weight < 0:
            return -1
        if weight == 0:
            continue  # nothing to learn from this batch
        loss = loss_grad_(s, bt, params)
        if bt.m < 0:
            return -1
        if not isfinite(loss):
            loss_sum[0] = loss
            return 1
        if o.solver == SOLVER_ADAM:
            o.t += 1
            step = o.learning_rate * sqrt(1 - pow(o.b, <double>o.t)) / (
                1 - pow(o.a, <double>o.t))
        step_pass(o, params, <const floating *>s.grad, s.n_params, s.bias_at[0],
                  step)
        loss_sum[0] += loss * weight
        weight_sum[0] += weight
    return 0


# --------------------------------------------------------------- arguments
cdef Source source_of(const char *base, Py_ssize_t n_rows, Py_ssize_t n_cols,
                      Py_ssize_t row_stride, Py_ssize_t col_stride,
                      Py_ssize_t item):
    cdef Source src
    src.base = base
    src.row_stride = row_stride
    src.col_stride = col_stride
    src.direct = (
        (<size_t>base) % item == 0
        and (n_rows < 2 or row_stride == item * n_cols)
        and (n_cols < 2 or col_stride == item)
    )
    return src


cdef inline Py_ssize_t line(Py_ssize_t nbytes) noexcept nogil:
    """``nbytes`` rounded up to whole cache lines (64 bytes)."""
    return (nbytes + 63) // 64 * 64


cdef class Stepper:
    """Stepper(layer_sizes, activation, output, float32, rows, chunk=CHUNK)

    Scratch memory for batches of up to ``rows`` rows of a network with
    ``layer_sizes``, computed in chunks of up to ``chunk`` rows (see
    :data:`CHUNK`); ``activation``, ``output`` are codes of
    :data:`ACTIVATIONS` and :data:`OUTPUTS`, as in
    :class:`skann._network.Network`.
    """

    cdef Net net
    cdef char *memory
    cdef readonly object dtype
    cdef readonly Py_ssize_t rows, chunk

    def __cinit__(self, layer_sizes, int activation, int output, bint float32,
                  Py_ssize_t rows, Py_ssize_t chunk=CHUNK):
        sizes = [int(v) for v in layer_sizes]
        cdef int L = len(sizes) - 1, k
        cdef Py_ssize_t at = 0, cells = 0, item, width, table
        cdef Net *n
        cdef char *p
        if (L < 1 or rows < 1 or chunk < 1 or not 0 <= activation <= ACT_LOGISTIC
                or not 0 <= output <= OUT_IDENTITY
                or not all(0 < v < 2**31 for v in sizes)):
            raise ValueError("invalid network specification")
        self.dtype = np.dtype(np.float32 if float32 else np.float64)
        self.rows = rows
        item = self.dtype.itemsize
        n = &self.net
        n.n_layers = L
        n.activation = activation
        n.output = output
        n.rows = rows
        n.chunk = self.chunk = chunk = min(rows, chunk)
        # One block: the tables, then the buffers, each from a cache-line
        # boundary (BLAS kernels load aligned rows faster).
        table = 8 * (L + 1) + 8 * 4 * L
        for k in range(L):
            at += <Py_ssize_t>sizes[k] * sizes[k + 1]
        for k in range(L):
            at += sizes[k + 1]
            cells += 2 * line(chunk * sizes[k + 1] * item)  # outputs and deltas
        n.n_params = at
        cells += (line(chunk * sizes[0] * item) + line(chunk * sizes[L] * item)
                  + line(rows * item) + line(at * item))
        self.memory = <char *>PyMem_Malloc(table + 64 + cells)
        if self.memory == NULL:
            raise MemoryError()
        n.sizes = <int *>self.memory
        n.coef_at = <Py_ssize_t *>(self.memory + 8 * (L + 1))
        n.bias_at = n.coef_at + L
        n.outputs = <void **>(n.bias_at + L)
        n.deltas = n.outputs + L
        at = 0
        for k in range(L + 1):
            n.sizes[k] = sizes[k]
        for k in range(L):  # the layout of Network.params: every W_k, then every b_k
            n.coef_at[k] = at
            at += <Py_ssize_t>sizes[k] * sizes[k + 1]
        for k in range(L):
            n.bias_at[k] = at
            at += sizes[k + 1]
        p = self.memory + table
        p += (64 - (<size_t>p) % 64) % 64
        for k in range(L):
            width = sizes[k + 1]
            n.outputs[k] = p
            p += line(chunk * width * item)
            n.deltas[k] = p
            p += line(chunk * width * item)
        n.X = p
        p += line(chunk * sizes[0] * item)
        n.Y = p
        p += line(chunk * sizes[L] * item)
        n.sw = p
        p += line(rows * item)
        n.grad = p

    def __dealloc__(self):
        PyMem_Free(self.memory)

    @property
    def layer_sizes(self):
        return tuple(self.net.sizes[k] for k in range(self.net.n_layers + 1))

    cdef _check(self, X, Y, sample_weight, params, extra):
        """The arrays must be numpy arrays of the stepper's dtype and shapes."""
        cdef Net *n = &self.net
        for name, A, ndim in [("X", X, 2), ("Y", Y, 2), ("sample_weight", sample_weight, 1),
                              ("params", params, 1)] + extra:
            if A is None and name in ("sample_weight", "order", "buf1", "buf2"):
                continue
            if name == "order":
                if not (isinstance(A, np.ndarray) and A.dtype == np.intp and A.ndim == 1):
                    raise TypeError("order: expected a 1-d intp array")
            elif not (isinstance(A, np.ndarray) and A.dtype == self.dtype
                      and A.ndim == ndim):
                raise TypeError(f"{name}: expected a {ndim}-d {self.dtype} array")
        if (X.shape[1] != n.sizes[0] or Y.shape != (X.shape[0], n.sizes[n.n_layers])
                or (sample_weight is not None and sample_weight.shape != X.shape[:1])
                or params.shape[0] != n.n_params):
            raise ValueError("array shapes do not match the network")

    def loss_grad(self, X, Y, sample_weight, params, double alpha, grad):
        """loss_grad(X, Y, sample_weight, params, alpha, grad) -> loss

        :meth:`skann._network.Network.loss_grad` over one batch of at most
        ``rows`` rows, the gradient copied into ``grad``: the computation
        :meth:`run` makes for each batch."""
        self._check(X, Y, sample_weight, params, [("grad", grad, 1)])
        if grad.shape[0] != self.net.n_params or not 1 <= X.shape[0] <= self.rows:
            raise ValueError("grad or the number of rows does not fit")
        if self.dtype == np.float32:
            return _loss_grad[cython.float](&self.net, X, Y, sample_weight,
                                            sample_weight is not None, params, alpha,
                                            grad)
        return _loss_grad[cython.double](&self.net, X, Y, sample_weight,
                                         sample_weight is not None, params, alpha, grad)

    def run(self, X, Y, sample_weight, order, params, double alpha,
            Py_ssize_t batch_size, int solver, double learning_rate,
            double weight_decay, double a, double b, double c, bint nesterov,
            long long t, buf1, buf2):
        """run(X, Y, sample_weight, order, params, alpha, batch_size, solver,
        learning_rate, weight_decay, a, b, c, nesterov, t, buf1, buf2)
        -> (loss_sum, weight_sum, t, diverged)

        One epoch over ``X``: batches of rows
        ``order[i * batch_size:(i + 1) * batch_size]`` (or slices when
        ``order`` is None), one optimizer step each, followed by the
        decoupled ``weight_decay`` of the weight matrices.  ``solver`` is a
        code of :data:`SOLVERS`; ``a, b, c`` are momentum or beta_1, beta_2,
        epsilon; ``buf1, buf2`` the velocity or Adam's m, v (updated in
        place); ``t`` Adam's step count.  ``diverged`` is True when a batch loss was not
        finite: ``loss_sum`` is then that loss, and that batch's step was not
        taken.
        """
        cdef int needs = 2 if solver == SOLVER_ADAM else 1 if solver == SOLVER_SGD else 0
        if not 0 <= solver <= SOLVER_ADAM:
            raise ValueError("unknown solver")
        self._check(X, Y, sample_weight, params,
                    [("order", order, 1), ("buf1", buf1, 1), ("buf2", buf2, 1)])
        for buf in (buf1, buf2)[:needs]:
            if buf is None or buf.shape[0] != self.net.n_params:
                raise ValueError("optimizer buffers must match params")
        if order is not None and order.shape[0] != X.shape[0]:
            raise ValueError("order must have one index per row")
        if not 1 <= batch_size <= self.rows:
            raise ValueError("batches out of range")
        if self.dtype == np.float32:
            return _run[cython.float](
                &self.net, X, Y, sample_weight, sample_weight is not None, order,
                order is not None, params, alpha, batch_size, solver, learning_rate,
                weight_decay, a, b, c, nesterov, t, buf1 if needs > 0 else params,
                buf2 if needs > 1 else params)
        return _run[cython.double](
            &self.net, X, Y, sample_weight, sample_weight is not None, order,
            order is not None, params, alpha, batch_size, solver, learning_rate,
            weight_decay, a, b, c, nesterov, t, buf1 if needs > 0 else params,
            buf2 if needs > 1 else params)


cdef Source source2(const floating[:, :] A):
    return source_of(<const char *>&A[0, 0], A.shape[0], A.shape[1], A.strides[0],
                     A.strides[1], sizeof(floating))


cdef void prepare(Net *s, Batch *bt, Source *X, Source *Y, Source *sw,
                  const floating[:, :] Xv, const floating[:, :] Yv,
                  const floating[:] swv, bint has_sw, double alpha):
    X[0] = source2(Xv)
    Y[0] = source2(Yv)
    memset(sw, 0, sizeof(Source))
    if has_sw:
        sw[0] = source_of(<const char *>&swv[0], swv.shape[0], 1, swv.strides[0], 0,
                          sizeof(floating))
    bt.X = X
    bt.Y = Y
    bt.n_rows = Xv.shape[0]
    bt.alpha = alpha
    bt.order = NULL
    bt.gather = not (X.direct and Y.direct)


cdef double _loss_grad(Net *s, const floating[:, :] X, const floating[:, :] Y,
                       const floating[:] sw, bint has_sw, floating[::1] params,
                       double alpha, floating[::1] grad) except? -1:
    cdef Source Xs, Ys, sws
    cdef Batch bt
    cdef double loss
    prepare(s, &bt, &Xs, &Ys, &sws, X, Y, sw, has_sw, alpha)
    with nogil:
        set_batch(s, &bt, &sws, 0, bt.n_rows, &params[0])
        loss = loss_grad_(s, &bt, &params[0])
        memcpy(&grad[0], s.grad, s.n_params * sizeof(floating))
    return loss


cdef tuple _run(Net *s, const floating[:, :] X, const floating[:, :] Y,
                const floating[:] sw, bint has_sw, const Py_ssize_t[::1] order,
                bint has_order, floating[::1] params, double alpha,
                Py_ssize_t batch_size, int solver, double learning_rate,
                double weight_decay, double a, double b, double c, bint nesterov,
                long long t, floating[::1] buf1, floating[::1] buf2):
    cdef Source Xs, Ys, sws
    cdef Batch bt
    cdef Optimizer o
    cdef double loss_sum = 0, weight_sum = 0
    cdef int status
    cdef bint flush = FLUSH_SUBNORMALS
    cdef unsigned int saved = 0
    cdef Py_ssize_t n_batches = (X.shape[0] + batch_size - 1) // batch_size
    prepare(s, &bt, &Xs, &Ys, &sws, X, Y, sw, has_sw, alpha)
    if has_order:
        bt.order = &order[0]
        bt.gather = True
    o.solver = solver
    o.nesterov = nesterov
    o.learning_rate = learning_rate
    o.weight_decay = weight_decay
    o.a = a
    o.b = b
    o.c = c
    o.t = t
    o.buf1 = &buf1[0]
    o.buf2 = &buf2[0]
    with nogil:
        if flush:
            saved = skann_flush_subnormals()
        status = run_batches(s, &bt, &sws, &o, &params[0], batch_size, n_batches,
                             &loss_sum, &weight_sum)
        if flush:
            skann_restore_float_mode(saved)
    if status < 0:
        raise IndexError("order holds a row index out of range")
    return loss_sum, weight_sum, o.t, status == 1
