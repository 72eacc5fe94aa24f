"""What skann's performance benchmarks share: timing, interleaving, model
factories, the matrix-product floor and result files.

``bench.py`` and ``scale.py`` import it (``python benchmarks/x.py`` puts this
folder on ``sys.path``); skann itself is imported as installed.

Competitors run interleaved in one process (the order rotates from one repeat
to the next) and every figure is a median, because a shared machine is
noisy: ratios measured side by side hold up while absolute times move.
"""

import os
import platform
import statistics
import subprocess
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from skann import ANNClassifier, _compiled

# Seconds between two timed runs: after a multi-threaded product, OpenBLAS
# keeps its idle worker threads spinning on the other cores for a while, and
# whoever runs next would share a core with them.
SETTLE = 0.2
# Epochs without improvement before stopping: never, so that every fit runs
# the epochs it is asked for.
NEVER = 10**6


# ------------------------------------------------------------------- timing
def interleaved(contenders, repeats, settle=SETTLE):
    """Run each ``name -> fn()`` ``repeats`` times, the order rotating each
    repeat, :data:`SETTLE` seconds apart; return ``name -> [results]``."""
    names = list(contenders)
    results = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            time.sleep(settle)
            results[name].append(contenders[name]())
    return results


def timed(fn, clock=time.perf_counter):
    """A function that runs ``fn()`` and returns the seconds it took."""

    def run():
        start = clock()
        fn()
        return clock() - start

    return run


def median(values):
    return statistics.median(values)


def medians(results, scale=1.0):
    """``name -> median * scale`` of :func:`interleaved`'s results."""
    return {name: scale * median(values) for name, values in results.items()}


def paired(results, a, b):
    """``"min-max"`` of a/b over the repeats, each repeat's runs side by side
    (the machine's load moves both)."""
    ratios = [x / y for x, y in zip(results[a], results[b])]
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def blas_threads(n):
    """A context limiting BLAS to ``n`` threads; ``None``: as configured."""
    return nullcontext() if n is None else threadpool_limits(n, "blas")


def on_threads(fn, n):
    """``fn`` run with BLAS limited to ``n`` threads (see :func:`blas_threads`)."""

    def run():
        with blas_threads(n):
            return fn()

    return run


# ---------------------------------------------------------------- the models
def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def skann_model(hidden=100, batch=200, epochs=5, seed=0, **params):
    """An ANNClassifier that trains exactly ``epochs`` epochs."""
    return ANNClassifier(
        hidden_size=hidden,
        batch_size=batch,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=NEVER,
        random_state=seed,
        **params,
    )


def mlp_model(hidden=100, batch=200, epochs=5, seed=0, **params):
    """The MLPClassifier that matches :func:`skann_model`."""
    return MLPClassifier(
        hidden_layer_sizes=(hidden,),
        batch_size=batch,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=NEVER,
        random_state=seed,
        **params,
    )


FACTORIES = {"skann": skann_model, "mlp": mlp_model}


def classification(rows, features=100, dtype=np.float64, seed=0, test=0):
    """``make_classification(rows + test, features)``, binary, as ``dtype``:
    ``X, y`` (and ``X_test, y_test`` when ``test``)."""
    X, y = make_classification(rows + test, features, random_state=seed)
    X = X.astype(dtype)
    if not test:
        return X, y
    return X[:rows], y[:rows], X[rows:], y[rows:]


def fit_seconds_per_epoch(make, X, y, epochs, clock=time.perf_counter, **params):
    """A function timing ``make(epochs=epochs, **params).fit(X, y)``, in
    seconds per epoch (``fit``'s own set-up included, spread over them)."""
    run = timed(lambda: quiet_fit(make(epochs=epochs, **params), X, y), clock)
    return lambda: run() / epochs


# ------------------------------------------------------------------ the floor
def gemm_floor(dtype, n_batches, batch=200, features=100, hidden=100, outputs=1,
               clock=time.perf_counter):  # fmt: skip
    """A function timing ``n_batches`` x the five matrix products of one step
    of a one-hidden-layer network (``X @ W1``, ``A1 @ W2``, ``A1.T @ dZ2``,
    ``dZ2 @ W2.T``, ``X.T @ dZ1``) on one batch already in cache, whole, on
    preallocated arrays: an epoch with nothing but its products."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, features)).astype(dtype)
    W1 = rng.standard_normal((features, hidden)).astype(dtype)
    W2 = rng.standard_normal((hidden, outputs)).astype(dtype)
    A1, Z2 = np.empty((batch, hidden), dtype), np.empty((batch, outputs), dtype)
    dW1, dW2, dZ1 = np.empty_like(W1), np.empty_like(W2), np.empty_like(A1)

    def run():
        start = clock()
        for _ in range(n_batches):
            np.matmul(X, W1, out=A1)
            np.matmul(A1, W2, out=Z2)
            np.matmul(A1.T, Z2, out=dW2)
            np.matmul(Z2, W2.T, out=dZ1)
            np.matmul(X.T, dZ1, out=dW1)
        return clock() - start

    return run


# ------------------------------------------------------------------- results
@dataclass
class Row:
    """One line of a results table; ``met``: True, False or None (no goal)."""

    measure: str
    skann: str
    reference: str
    ref_value: str
    ratio: str
    goal: str = "—"
    met: object = None


def fmt(value, unit):
    if unit == "ms":
        return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"
    if unit == "us":
        return f"{value:.0f} µs"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "%":
        return f"{100 * value:.2f} %"
    return f"{value:g} {unit}"


def simple_table(header, lines):
    """A reStructuredText simple table of ``lines`` (lists of cells)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in line] for line in lines]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    out = [rule]
    for i, line in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
        if i == 0:
            out.append(rule)
    out.append(rule)
    return "\n".join(out)


def rows_table(rows):
    """:func:`simple_table` of :class:`Row` objects."""
    met = {True: "yes", False: "NO", None: "—"}
    return simple_table(
        ["Measure", "skann", "Reference", "Reference value", "Ratio", "Goal", "Met"],
        [
            [r.measure, r.skann, r.reference, r.ref_value, r.ratio, r.goal, met[r.met]]
            for r in rows
        ],
    )


def machine():
    """One line: the CPU, the libraries, BLAS and its threads, the load."""
    model = platform.processor() or "unknown"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    blas = [
        f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, "
        f"{i['num_threads']} threads)"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    compiled = "compiled loop" if _compiled.COMPILED else "numpy only (not compiled)"
    return (
        f"CPU: {model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
        f"{sklearn.__version__}; BLAS: {', '.join(blas) or 'unknown'}; "
        f"skann: {compiled}; load average before the run: {os.getloadavg()[0]:.2f}"
    )


def report(text, out_dir=None, name=None):
    """Print ``text``; with ``out_dir``, also write it to ``out_dir/name.txt``."""
    print(text, flush=True)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, f"{name}.txt"), "w") as f:
            f.write(text.rstrip() + "\n")
