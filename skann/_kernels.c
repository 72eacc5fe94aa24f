/* skann._kernels: the minibatch loop of skann's gradient solvers, compiled.
 *
 * A numpy minibatch step spends as long in Python and in separate passes
 * over small arrays (bias, activation, masks, the optimizer's dozen vector
 * expressions) as in its five matrix products.  Here one call runs a block of
 * batches: each is gathered, pushed forward and back with BLAS (scipy's,
 * through scipy.linalg.cython_blas) and stepped, with the bias and activation,
 * the output error, the penalty and the optimizer each fused into one pass.
 * The GIL is released meanwhile.
 *
 * A step runs in three phases: rows (forward pass, output error, deltas: each
 * row on its own), units (each layer's dW and db column by column, with the
 * L2 term), parameters (the optimizer step).  Each phase is cut into
 * ``parts`` fixed parts (1 or 2, chosen from the network and the batch size),
 * which a helper thread may claim alongside the caller.  The parts, and the
 * order in which their sums are added, never change: one thread or two give
 * the same bits.  skann._compiled.Tuner decides, block by block, whether the
 * helper is worth waking.
 *
 * The numpy path (skann/_network.py) stays the reference: tests check that
 * both give the same losses, gradients and trajectories.  This module is
 * optional; skann falls back to numpy when it was not compiled.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { ACT_IDENTITY, ACT_RELU, ACT_TANH, ACT_LOGISTIC };
enum { OUT_LOGISTIC, OUT_SOFTMAX };
enum { SOLVER_GD, SOLVER_SGD, SOLVER_ADAM };
enum { PHASE_ROWS, PHASE_COLUMNS, PHASE_STEP, PHASE_EXIT };
/* A hint to the CPU, in spin loops, that this thread is waiting. */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif
/* The elementwise loops, compiled twice where GCC can: for AVX2 and for the
 * baseline, picked at load time by the CPU.  Wider vectors do not change any
 * result: every loop is elementwise or sums in a fixed order. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif
#ifndef M_LN2
#define M_LN2 0.69314718055994530942
#endif

typedef void gemm_d_t(char *, char *, int *, int *, int *, double *, double *, int *,
                      double *, int *, double *, double *, int *);
typedef void gemm_s_t(char *, char *, int *, int *, int *, float *, float *, int *,
                      float *, int *, float *, float *, int *);
static gemm_d_t *dgemm_ptr = NULL;
static gemm_s_t *sgemm_ptr = NULL;

typedef struct {  /* an optimizer state of skann/_optimizers.py */
    int solver, nesterov;
    double learning_rate, a, b, c;  /* momentum | beta_1, beta_2, epsilon */
    long long t;
    void *buf1, *buf2;              /* velocity | m, v */
} Optimizer;

typedef struct {  /* a data array of any layout: X, Y (2-d) or sample weights */
    const char *base;
    Py_ssize_t row_stride, col_stride;  /* in bytes */
    int direct;  /* C-contiguous and aligned: rows usable in place */
} Source;

typedef struct {  /* the batch being computed */
    const Source *X, *Y;            /* the whole data */
    const Py_ssize_t *order;        /* the epoch's row order, or NULL */
    Py_ssize_t n_rows, start, m;    /* the batch: rows start .. start + m - 1 */
    int gather;                     /* copy its X and Y rows into scratch */
    const void *Xb, *Yb, *sw;       /* the batch's rows (gathered or in place) */
    void *params;
    double sw_sum, alpha;
} Batch;

/* The helper thread, that takes parts of each phase while the caller takes
 * the others: whoever comes first claims the next part, so a helper that is
 * asleep or off the CPU costs no waiting.  It spins briefly between phases,
 * then sleeps. */
typedef struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_long posted;            /* phases handed out */
    atomic_int next_part, done;    /* of the current phase */
    atomic_int caller_cpu;         /* where the caller runs, or -1 */
    int started;
    pid_t pid;                     /* of the process that started it */
} Helper;

typedef struct {
    PyObject_HEAD
    int n_layers, activation, output, is_float;
    int parts;                     /* 1 or 2: how each phase is cut */
    int *sizes;                    /* n_layers + 1 layer widths */
    Py_ssize_t *coef_at, *bias_at; /* offsets of W_k and b_k in params */
    Py_ssize_t n_coef, n_params, rows;
    void **outputs, **deltas;      /* per layer, rows x width */
    void *X, *Y, *sw, *grad;       /* gathered batch, gradient */
    char *memory;
    /* the phase being run, shared with the helper */
    int phase, index_error;
    Batch batch;
    Optimizer optimizer;
    double adam_step, part_sums[2];
    Helper helper;
} Stepper;

/* Part ``p`` of ``parts`` of n items: [cut(n, p, parts), cut(n, p + 1, parts)). */
static Py_ssize_t cut(Py_ssize_t n, int p, int parts) { return n * p / parts; }

#define REAL double
#define SUFFIX _d
#define GEMM dgemm_ptr
#define EXP exp
#define LOG log
#define LOG1P log1p
#define SQRT sqrt
#define IS_FLOAT 0
#define TANH_ONE 22  /* tanh(x) rounds to 1 from here */
#include "_kernels_impl.h"
#undef REAL
#undef SUFFIX
#undef GEMM
#undef EXP
#undef LOG
#undef LOG1P
#undef SQRT
#undef IS_FLOAT
#undef TANH_ONE

#define REAL float
#define SUFFIX _s
#define GEMM sgemm_ptr
#define EXP expf
#define LOG logf
#define LOG1P log1pf
#define SQRT sqrtf
#define IS_FLOAT 1
#define TANH_ONE 9
#include "_kernels_impl.h"

/* ------------------------------------------------------------------ BLAS */
static int load_blas(void)
{
    if (dgemm_ptr != NULL) return 0;
    PyObject *module = PyImport_ImportModule("scipy.linalg.cython_blas");
    if (module == NULL) return -1;
    PyObject *capi = PyObject_GetAttrString(module, "__pyx_capi__");
    Py_DECREF(module);
    if (capi == NULL) return -1;
    PyObject *d = PyDict_GetItemString(capi, "dgemm");
    PyObject *s = PyDict_GetItemString(capi, "sgemm");
    if (d == NULL || s == NULL) {
        Py_DECREF(capi);
        PyErr_SetString(PyExc_ImportError, "scipy.linalg.cython_blas lacks ?gemm");
        return -1;
    }
    void *dp = PyCapsule_GetPointer(d, PyCapsule_GetName(d));
    void *sp = PyCapsule_GetPointer(s, PyCapsule_GetName(s));
    Py_DECREF(capi);
    if (dp == NULL || sp == NULL) return -1;
    dgemm_ptr = (gemm_d_t *)dp;
    sgemm_ptr = (gemm_s_t *)sp;
    return 0;
}

/* --------------------------------------------------------------- buffers */
/* A buffer of the stepper's dtype with ``ndim`` dimensions: C-contiguous,
 * and writable if asked; or, for ``data``, of any layout and alignment.
 * Returns 0 or -1 with an exception. */
static int get_array(Stepper *s, PyObject *obj, Py_buffer *view, int ndim,
                     int writable, int data, const char *name)
{
    int flags = (data ? PyBUF_STRIDES : PyBUF_C_CONTIGUOUS) | PyBUF_FORMAT |
                (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    char want = s->is_float ? 'f' : 'd';
    const char *fmt = view->format;
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') fmt++;
    if (fmt[0] != want || fmt[1] != '\0' || view->ndim != ndim) {
        PyErr_Format(PyExc_TypeError, "%s: expected a %s%d-d %s array", name,
                     data ? "" : "C-contiguous ", ndim,
                     s->is_float ? "float32" : "float64");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The Source of a data buffer from get_array(..., data=1, ...). */
static Source source_of(const Py_buffer *view)
{
    Source src;
    Py_ssize_t item = view->itemsize;
    src.base = view->buf;
    src.row_stride = view->strides[0];
    src.col_stride = view->ndim > 1 ? view->strides[1] : 0;
    src.direct = (uintptr_t)view->buf % item == 0 && src.row_stride % item == 0 &&
                 (view->ndim == 1 ? src.row_stride == item
                                  : src.col_stride == item &&
                                        src.row_stride == item * view->shape[1]);
    return src;
}

static int get_index(PyObject *obj, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *fmt = view->format;
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') fmt++;
    if (view->ndim != 1 || view->itemsize != sizeof(Py_ssize_t) ||
        (fmt[0] != 'l' && fmt[0] != 'q' && fmt[0] != 'n') || fmt[1] != '\0') {
        PyErr_SetString(PyExc_TypeError, "order: expected a 1-d intp array");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The call's arrays: X (n x n_features), Y (n x n_outputs), sw (n,) or None
 * and params; views[0..3] hold them until release(). */
typedef struct {
    Source X, Y, sw;  /* sw.base NULL: no sample weights */
    void *params;
    Py_ssize_t n_rows;
} Data;

static void release(Py_buffer *views, int n)
{
    for (int i = 0; i < n; i++)
        if (views[i].obj) PyBuffer_Release(&views[i]);
}

static int get_data(Stepper *s, PyObject *X, PyObject *Y, PyObject *sw,
                    PyObject *params, Py_buffer views[4], Data *d)
{
    memset(views, 0, 4 * sizeof(Py_buffer));
    if (get_array(s, X, &views[0], 2, 0, 1, "X") < 0) return -1;
    if (get_array(s, Y, &views[1], 2, 0, 1, "Y") < 0) goto fail;
    if (sw != Py_None && get_array(s, sw, &views[2], 1, 0, 1, "sample_weight") < 0)
        goto fail;
    if (get_array(s, params, &views[3], 1, 1, 0, "params") < 0) goto fail;
    Py_ssize_t n = views[0].shape[0];
    if (views[0].shape[1] != s->sizes[0] || views[1].shape[0] != n ||
        views[1].shape[1] != s->sizes[s->n_layers] ||
        (sw != Py_None && views[2].shape[0] != n) || views[3].shape[0] != s->n_params) {
        PyErr_SetString(PyExc_ValueError, "array shapes do not match the network");
        goto fail;
    }
    d->X = source_of(&views[0]);
    d->Y = source_of(&views[1]);
    if (sw == Py_None)
        memset(&d->sw, 0, sizeof(Source));
    else
        d->sw = source_of(&views[2]);
    d->params = views[3].buf;
    d->n_rows = n;
    return 0;
fail:
    release(views, 4);
    return -1;
}

/* ---------------------------------------------------------------- phases */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Spin for up to ``seconds`` while ``*value == unchanged``; returns whether
 * it changed.  Waiting phases are short: spinning avoids a sleep and wake-up
 * (tens of microseconds) at every phase. */
static int spin_while(atomic_long *value, long unchanged, double seconds)
{
    double until = now() + seconds;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load(value) != unchanged) return 1;
            CPU_RELAX();
        }
        if (now() > until) return atomic_load(value) != unchanged;
    }
}

static void do_part(Stepper *s, int p)
{
    if (s->is_float)
        do_part_s(s, p);
    else
        do_part_d(s, p);
}

/* Claim and compute parts of the current phase until none is left. */
static void take_parts(Stepper *s)
{
    Helper *h = &s->helper;
    for (;;) {
        int p = atomic_fetch_add(&h->next_part, 1);
        if (p >= s->parts) return;
        do_part(s, p);
        atomic_fetch_add(&h->done, 1);
    }
}

/* The CPU this thread runs on, or -1 where that cannot be known. */
static int current_cpu(void)
{
#ifdef __linux__
    return sched_getcpu();
#else
    return -1;
#endif
}

static void *helper_main(void *arg)
{
    Stepper *s = arg;
    Helper *h = &s->helper;
    long seen = 0;
    int crowded = 0;
    for (;;) {
        /* Spin briefly for the next phase, unless the helper shares the
         * caller's CPU: then it would only slow the caller down. */
        if (crowded || !spin_while(&h->posted, seen, 2e-4)) {
            pthread_mutex_lock(&h->lock);
            while (atomic_load(&h->posted) == seen) pthread_cond_wait(&h->wake, &h->lock);
            pthread_mutex_unlock(&h->lock);
        }
        seen = atomic_load(&h->posted);
        if (s->phase == PHASE_EXIT) break;
        int cpu = current_cpu();
        crowded = cpu >= 0 && cpu == atomic_load(&h->caller_cpu);
        if (!crowded) take_parts(s);  /* (when crowded, the caller takes them) */
    }
    return NULL;
}

static int start_helper(Stepper *s)
{
    Helper *h = &s->helper;
    if (h->started && h->pid == getpid()) return 0;
    /* (after a fork, the child has the memory but not the thread: start anew) */
    atomic_store(&h->posted, 0);
    atomic_store(&h->next_part, s->parts);
    atomic_store(&h->caller_cpu, -1);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    if (pthread_create(&h->thread, NULL, helper_main, s) != 0) return -1;
    h->started = 1;
    h->pid = getpid();
    return 0;
}

/* Hand ``phase`` out: its parts become claimable and the helper is woken. */
static void post(Stepper *s, int phase)
{
    Helper *h = &s->helper;
    atomic_store(&h->done, 0);
    s->phase = phase;
    atomic_store(&h->next_part, phase == PHASE_EXIT ? s->parts : 0);
    pthread_mutex_lock(&h->lock);
    atomic_fetch_add(&h->posted, 1);
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

static void stop_helper(Stepper *s)
{
    if (!s->helper.started || s->helper.pid != getpid()) return;
    post(s, PHASE_EXIT);
    pthread_join(s->helper.thread, NULL);
    pthread_mutex_destroy(&s->helper.lock);
    pthread_cond_destroy(&s->helper.wake);
    s->helper.started = 0;
}

/* Run every part of ``phase``: shared with the helper thread, or one after
 * the other.  Each part computes the same thing whoever runs it, and the
 * parts' sums are added in a fixed order: the results do not depend on the
 * number of threads. */
static void run_phase(Stepper *s, int phase, int threads)
{
    if (threads < 2 || s->parts < 2) {
        s->phase = phase;
        for (int p = 0; p < s->parts; p++) do_part(s, p);
        return;
    }
    Helper *h = &s->helper;
    atomic_store(&h->caller_cpu, current_cpu());
    post(s, phase);
    take_parts(s);
    for (int spin = 0; atomic_load(&h->done) != s->parts; spin++)  /* the helper */
        if (spin < 4096)                                             /* finishes one */
            CPU_RELAX();
        else
            sched_yield();
}

static double sum_weights(Stepper *s, const void *sw, Py_ssize_t m)
{
    double total = 0;
    for (Py_ssize_t i = 0; i < m; i++)
        total += s->is_float ? ((const float *)sw)[i] : ((const double *)sw)[i];
    return total;
}

/* Point s->batch at rows [start, stop) of the epoch (in ``order``, if not
 * NULL), with its sample weights (copied unless usable in place; the row
 * parts copy X and Y when needed).  Returns the batch's weight. */
static double set_batch(Stepper *s, const Data *d, const Py_ssize_t *order,
                        Py_ssize_t start, Py_ssize_t stop)
{
    Batch *bt = &s->batch;
    bt->X = &d->X;
    bt->Y = &d->Y;
    bt->n_rows = d->n_rows;
    bt->start = start;
    bt->m = stop - start;
    bt->params = d->params;
    bt->order = order;
    bt->gather = order != NULL || !d->X.direct || !d->Y.direct;
    bt->Xb = bt->gather ? s->X : d->X.base + start * d->X.row_stride;
    bt->Yb = bt->gather ? s->Y : d->Y.base + start * d->Y.row_stride;
    bt->sw = NULL;
    if (d->sw.base != NULL) {
        if (order == NULL && d->sw.direct) {
            bt->sw = d->sw.base + start * d->sw.row_stride;
        } else {
            size_t item = s->is_float ? sizeof(float) : sizeof(double);
            for (Py_ssize_t i = start; i < stop; i++) {
                Py_ssize_t r = order == NULL ? i : order[i];
                if (r < 0 || r >= d->n_rows) {
                    s->index_error = 1;
                    return 0;
                }
                memcpy((char *)s->sw + (i - start) * item,
                       d->sw.base + r * d->sw.row_stride, item);
            }
            bt->sw = s->sw;
        }
    }
    bt->sw_sum = bt->sw == NULL ? (double)bt->m : sum_weights(s, bt->sw, bt->m);
    return bt->sw_sum;
}

/* Loss and gradient (into s->grad) of the batch set by set_batch. */
static double loss_grad(Stepper *s, int threads)
{
    Batch *bt = &s->batch;
    run_phase(s, PHASE_ROWS, threads);
    double loss = (s->part_sums[0] + (s->parts > 1 ? s->part_sums[1] : 0)) / bt->sw_sum;
    run_phase(s, PHASE_COLUMNS, threads);
    double squares = s->part_sums[0] + (s->parts > 1 ? s->part_sums[1] : 0);
    return loss + 0.5 * bt->alpha * squares / bt->sw_sum;
}

/* Batches [first, *last): loss, gradient, step.  The first batch may wait
 * for the helper thread to wake up; *seconds times the others, and ``budget``
 * seconds (if positive) after the first, *last becomes the first batch not
 * run.  Returns 0; 1 after a batch whose loss is not finite (its step is not
 * taken, *loss_sum holds that loss); -1 on an out-of-range row index. */
static int run_batches(Stepper *s, const Data *d, const Py_ssize_t *order,
                       Py_ssize_t batch_size, Py_ssize_t first, Py_ssize_t *last,
                       int threads, double budget, double *seconds, double *loss_sum,
                       double *weight_sum)
{
    Optimizer *o = &s->optimizer;
    double started = 0;
    for (Py_ssize_t b = first; b < *last; b++) {
        if (b == first + 1) started = now();
        if (budget > 0 && b > first + 1 && now() - started > budget) {
            *last = b;  /* out of time: stop early */
            break;
        }
        Py_ssize_t start = b * batch_size, stop = start + batch_size;
        if (stop > d->n_rows) stop = d->n_rows;
        double weight = set_batch(s, d, order, start, stop);
        if (s->index_error) return -1;
        if (weight == 0) continue;  /* nothing to learn from this batch */
        double loss = loss_grad(s, threads);
        if (s->index_error) return -1;
        if (!isfinite(loss)) {
            *loss_sum = loss;
            return 1;
        }
        if (o->solver == SOLVER_ADAM) {
            o->t += 1;
            s->adam_step = o->learning_rate * sqrt(1 - pow(o->b, (double)o->t)) /
                           (1 - pow(o->a, (double)o->t));
        }
        run_phase(s, PHASE_STEP, threads);
        *loss_sum += loss * weight;
        *weight_sum += weight;
    }
    *seconds = started ? now() - started : 0;
    return 0;
}

PyDoc_STRVAR(loss_grad_doc,
"loss_grad(X, Y, sample_weight, params, alpha, grad, parts=1) -> loss\n\n"
"Network.loss_grad over one batch of at most ``rows`` rows, the gradient\n"
"copied into ``grad``: the computation ``run`` makes for each batch.");

static PyObject *Stepper_loss_grad(Stepper *s, PyObject *args)
{
    PyObject *X, *Y, *sw, *params, *grad_obj;
    double alpha;
    int parts = 1;
    if (!PyArg_ParseTuple(args, "OOOOdO|i", &X, &Y, &sw, &params, &alpha, &grad_obj,
                          &parts))
        return NULL;
    if (parts < 1 || parts > 2) {
        PyErr_SetString(PyExc_ValueError, "parts must be 1 or 2");
        return NULL;
    }
    Py_buffer views[5];
    Data d;
    if (get_data(s, X, Y, sw, params, views, &d) < 0) return NULL;
    if (get_array(s, grad_obj, &views[4], 1, 1, 0, "grad") < 0) {
        release(views, 4);
        return NULL;
    }
    if (views[4].shape[0] != s->n_params || d.n_rows > s->rows || d.n_rows < 1) {
        release(views, 5);
        PyErr_SetString(PyExc_ValueError, "grad or the number of rows does not fit");
        return NULL;
    }
    double loss;
    Py_BEGIN_ALLOW_THREADS
    s->parts = parts;
    s->index_error = 0;
    set_batch(s, &d, NULL, 0, d.n_rows);
    s->batch.alpha = alpha;
    loss = loss_grad(s, 1);
    memcpy(views[4].buf, s->grad, views[4].len);
    Py_END_ALLOW_THREADS
    release(views, 5);
    return PyFloat_FromDouble(loss);
}

PyDoc_STRVAR(run_doc,
"run(X, Y, sample_weight, order, params, alpha, batch_size, first, last,\n"
"    solver, learning_rate, a, b, c, nesterov, t, buf1, buf2, parts, threads,\n"
"    budget)\n"
"-> (loss_sum, weight_sum, t, diverged, last, seconds)\n\n"
"Batches ``first`` to ``last - 1`` of an epoch over ``X`` (rows\n"
"``order[i * batch_size:(i + 1) * batch_size]``, or slices when ``order`` is\n"
"None), one optimizer step each.  ``solver`` 0/1/2 is gd/sgd/adam; ``a, b, c``\n"
"are momentum or beta_1, beta_2, epsilon; ``buf1, buf2`` the velocity or\n"
"Adam's m, v (updated in place); ``t`` Adam's step count.  ``parts`` (1 or\n"
"2) is how each phase of a step is cut, which fixes the rounding;\n"
"``threads=2`` lets a helper thread take parts, with the same results as 1.\n"
"``seconds`` times the batches after the first (which may wait for the\n"
"helper thread to wake up); past ``budget`` of them (if positive), it stops\n"
"early: ``last`` is then the first batch not run.\n"
"``diverged`` is True when a batch loss was not finite: ``loss_sum`` is then\n"
"that loss.");

static PyObject *Stepper_run(Stepper *s, PyObject *args)
{
    PyObject *X, *Y, *sw, *order, *params, *buf1, *buf2;
    Data d;
    Optimizer o = {0};
    Py_ssize_t first, last, batch_size;
    double alpha;
    int parts, threads;
    double budget;
    if (!PyArg_ParseTuple(args, "OOOOOdnnniddddpLOOiid", &X, &Y, &sw, &order, &params,
                          &alpha, &batch_size, &first, &last, &o.solver,
                          &o.learning_rate, &o.a, &o.b, &o.c, &o.nesterov, &o.t,
                          &buf1, &buf2, &parts, &threads, &budget))
        return NULL;
    if (o.solver < SOLVER_GD || o.solver > SOLVER_ADAM || parts < 1 || parts > 2) {
        PyErr_SetString(PyExc_ValueError, "unknown solver, or parts not 1 or 2");
        return NULL;
    }
    Py_buffer views[7];
    const Py_ssize_t *rows = NULL;
    if (get_data(s, X, Y, sw, params, views, &d) < 0) return NULL;
    memset(views + 4, 0, 3 * sizeof(Py_buffer));
    if (order != Py_None) {
        if (get_index(order, &views[4]) < 0) goto fail;
        if (views[4].shape[0] != d.n_rows) {
            PyErr_SetString(PyExc_ValueError, "order must have one index per row");
            goto fail;
        }
        rows = views[4].buf;
    }
    int needs = o.solver == SOLVER_ADAM ? 2 : o.solver == SOLVER_SGD ? 1 : 0;
    if (needs >= 1) {
        if (get_array(s, buf1, &views[5], 1, 1, 0, "buf1") < 0) goto fail;
        o.buf1 = views[5].buf;
    }
    if (needs >= 2) {
        if (get_array(s, buf2, &views[6], 1, 1, 0, "buf2") < 0) goto fail;
        o.buf2 = views[6].buf;
    }
    for (int i = 5; i < 5 + needs; i++)
        if (views[i].shape[0] != s->n_params) {
            PyErr_SetString(PyExc_ValueError, "optimizer buffers must match params");
            goto fail;
        }
    if (batch_size < 1 || batch_size > s->rows || first < 0 || last < first ||
        (last > first && (last - 1) * batch_size >= d.n_rows)) {
        PyErr_SetString(PyExc_ValueError, "batches out of range");
        goto fail;
    }
    if (threads > 1 && parts > 1 && start_helper(s) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "could not start a helper thread");
        goto fail;
    }
    double loss_sum = 0, weight_sum = 0, seconds = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    s->parts = parts;
    s->optimizer = o;
    s->batch.alpha = alpha;
    s->index_error = 0;
    status = run_batches(s, &d, rows, batch_size, first, &last, threads, budget,
                         &seconds, &loss_sum, &weight_sum);
    Py_END_ALLOW_THREADS
    release(views, 7);
    if (status < 0) {
        PyErr_SetString(PyExc_IndexError, "order holds a row index out of range");
        return NULL;
    }
    return Py_BuildValue("ddLOnd", loss_sum, weight_sum, s->optimizer.t,
                         status ? Py_True : Py_False, last, seconds);
fail:
    release(views, 7);
    return NULL;
}

/* --------------------------------------------------------------- Stepper */
static void Stepper_dealloc(Stepper *s)
{
    stop_helper(s);
    PyMem_Free(s->sizes);
    PyMem_Free(s->coef_at);
    PyMem_Free(s->bias_at);
    PyMem_Free(s->outputs);
    PyMem_Free(s->deltas);
    PyMem_Free(s->memory);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static int Stepper_init(Stepper *s, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"layer_sizes", "activation", "output", "float32", "rows",
                             NULL};
    PyObject *sizes;
    int activation, output, is_float;
    Py_ssize_t rows;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Oiipn", kwlist, &sizes, &activation,
                                     &output, &is_float, &rows))
        return -1;
    if (load_blas() < 0) return -1;
    if (s->sizes != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Stepper is initialised once");
        return -1;
    }
    PyObject *seq = PySequence_Fast(sizes, "layer_sizes must be a sequence");
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 2 || rows < 1 || activation < ACT_IDENTITY || activation > ACT_LOGISTIC ||
        output < OUT_LOGISTIC || output > OUT_SOFTMAX) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "invalid network specification");
        return -1;
    }
    int L = (int)n - 1;
    s->n_layers = L;
    s->activation = activation;
    s->output = output;
    s->is_float = is_float;
    s->rows = rows;
    s->parts = 1;
    s->sizes = PyMem_Calloc(n, sizeof(int));
    s->coef_at = PyMem_Calloc(L, sizeof(Py_ssize_t));
    s->bias_at = PyMem_Calloc(L, sizeof(Py_ssize_t));
    s->outputs = PyMem_Calloc(L, sizeof(void *));
    s->deltas = PyMem_Calloc(L, sizeof(void *));
    if (!s->sizes || !s->coef_at || !s->bias_at || !s->outputs || !s->deltas) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v < 1 || v > INT_MAX) {
            Py_DECREF(seq);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "layer sizes must be positive");
            return -1;
        }
        s->sizes[i] = (int)v;
    }
    Py_DECREF(seq);
    /* the layout of Network.params: every W_k, then every b_k */
    Py_ssize_t at = 0, cells = 0;
    for (int k = 0; k < L; k++) {
        s->coef_at[k] = at;
        at += (Py_ssize_t)s->sizes[k] * s->sizes[k + 1];
    }
    s->n_coef = at;
    for (int k = 0; k < L; k++) {
        s->bias_at[k] = at;
        at += s->sizes[k + 1];
        cells += 2 * rows * s->sizes[k + 1];  /* outputs and deltas */
    }
    s->n_params = at;
    cells += rows * (s->sizes[0] + s->sizes[L] + 1) + s->n_params;
    size_t item = is_float ? sizeof(float) : sizeof(double);
    s->memory = PyMem_Malloc(cells * item);
    if (s->memory == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    char *p = s->memory;
    for (int k = 0; k < L; k++) {
        s->outputs[k] = p;
        p += rows * s->sizes[k + 1] * item;
        s->deltas[k] = p;
        p += rows * s->sizes[k + 1] * item;
    }
    s->X = p;
    p += rows * s->sizes[0] * item;
    s->Y = p;
    p += rows * s->sizes[L] * item;
    s->sw = p;
    p += rows * item;
    s->grad = p;
    return 0;
}

static PyMethodDef Stepper_methods[] = {
    {"loss_grad", (PyCFunction)Stepper_loss_grad, METH_VARARGS, loss_grad_doc},
    {"run", (PyCFunction)Stepper_run, METH_VARARGS, run_doc},
    {NULL},
};

PyDoc_STRVAR(Stepper_doc,
"Stepper(layer_sizes, activation, output, float32, rows)\n\n"
"Scratch memory for batches of up to ``rows`` rows of a network with\n"
"``layer_sizes``; ``activation`` 0-3 is identity/relu/tanh/logistic and\n"
"``output`` 0/1 logistic/softmax, as in skann._network.Network.");

static PyTypeObject StepperType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "skann._kernels.Stepper",
    .tp_basicsize = sizeof(Stepper),
    .tp_dealloc = (destructor)Stepper_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Stepper_doc,
    .tp_methods = Stepper_methods,
    .tp_init = (initproc)Stepper_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The minibatch loop of skann's gradient solvers, compiled.", -1, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void)
{
    if (PyType_Ready(&StepperType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&StepperType);
    if (PyModule_AddObject(m, "Stepper", (PyObject *)&StepperType) < 0) {
        Py_DECREF(&StepperType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
