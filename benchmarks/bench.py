"""skann against MLPClassifier, the BLAS floor and the lesson's bare numpy loop.

    python benchmarks/bench.py              # everything (~4 minutes on 2 cores)
    python benchmarks/bench.py --quick      # fewer repeats (~2.5 minutes), noisier
    python benchmarks/bench.py --only w1,predict
    python benchmarks/bench.py --no-memory  # skip the 1,000,000 x 100 peak-memory run
    python benchmarks/old_loop.py 88a389e /tmp/old   # build an earlier release ...
    python benchmarks/bench.py --old /tmp/old         # ... and race it in w1core
    python benchmarks/bench.py --only w1core --cpu-time  # CPU time: for a busy machine

Competitors run interleaved in one process (the order rotates each repeat) and
every number is a median, because a shared machine is noisy.  The table is an
reStructuredText simple table: paste it into ``docs/performance.rst`` as is.

Measures
--------
w1        ``make_classification(50_000, 100)``, binary, hidden 100, adam, batch
          200: ms per epoch in float64 and float32, at equal epochs (``tol=0``),
          against MLPClassifier and the "GEMM floor" (the five matrix products
          of one minibatch step, timed alone, times the number of batches);
          held-out accuracy of both after the same number of epochs.
w1core    W1 on one core: skann, MLPClassifier and the GEMM floor each on one
          BLAS thread (and, with ``--old``, an earlier skann, e.g. the
          hand-written C loop of 88a389e, kept off its own helper thread).
grid      GridSearchCV, 12 candidates x 3 folds on the digits, 100 epochs
          each: ``n_jobs=2`` against ``n_jobs=1`` (parallel fits via joblib).
and       The lesson's AND gate, 10,000 full-batch epochs of ``solver="gd"``,
          against the tutorial's bare numpy loop (written out below).
partial   ``partial_fit`` on 10 rows, per call.
predict   ``predict`` on 1 row, per call; and on 100,000 rows.
lbfgs     L-BFGS on the digits: time and held-out accuracy.
memory    Peak memory of ``fit`` on 1,000,000 x 100 float32 (one epoch), in a
          subprocess, measured with tracemalloc over the fit only.
load      W1 float64 epochs while a busy loop occupies the other core.

Run it under ``nice -n 10`` on a shared machine: the ratios are measured
within one process, interleaved, so they hold up while absolute times move.
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy
import sklearn
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skann import ANNClassifier, _compiled  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)

OLD = None  # an earlier skann (package ``skann_old``), see --old


# ---------------------------------------------------------------- reporting
@dataclass
class Row:
    measure: str
    skann: str
    reference: str
    ref_value: str
    ratio: str
    goal: str
    met: object = None  # True / False / None (informative only)


def fmt(value, unit):
    if unit == "ms":
        return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"
    if unit == "us":
        return f"{value:.0f} µs"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "%":
        return f"{100 * value:.2f} %"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}"


def print_table(rows):
    header = Row(
        "Measure", "skann", "Reference", "Reference value", "Ratio", "Goal", "Met"
    )
    cells = [
        [
            r.measure,
            r.skann,
            r.reference,
            r.ref_value,
            r.ratio,
            r.goal,
            {True: "yes", False: "NO", None: "—"}.get(r.met, r.met),
        ]
        for r in [header, *rows]
    ]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(cells[0]))]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule]
    for i, c in enumerate(cells):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(c, widths)).rstrip())
        if i == 0:
            lines.append(rule)
    lines.append(rule)
    print("\n".join(lines), flush=True)


def machine():
    model = platform.processor() or "unknown"
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True
        ).stdout.splitlines():
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
    return (
        f"CPU: {model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
        f"{sklearn.__version__}; BLAS: {', '.join(blas) or 'unknown'}; skann: "
        f"{'compiled loop' if _compiled.COMPILED else 'numpy only (not compiled)'}"
        f"{'' if OLD is None else f', against {OLD.LABEL}'}; "
        f"load average before the run: {os.getloadavg()[0]:.2f}"
    )


SETTLE = 0.2  # seconds between two runs


def interleaved(contenders, repeats):
    """Run each ``name -> fn()`` ``repeats`` times, rotating the order; return the
    list of results per name.

    Each run starts :data:`SETTLE` seconds after the previous one: after a
    multi-threaded product, OpenBLAS keeps its idle worker threads spinning on
    the other cores for ~0.12 s, and whoever runs next would share a core
    with them."""
    names = list(contenders)
    results = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            time.sleep(SETTLE)
            results[name].append(contenders[name]())
    return results


# The clock of timed() and gemm_floor(): wall time, or with --cpu-time in
# w1core (where every contender runs on one thread) the process's CPU time,
# which other processes on a shared machine disturb much less.
clock = time.perf_counter
CPU_TIME = False


def timed(fn):
    def run():
        start = clock()
        fn()
        return clock() - start

    return run


def median(values):
    return statistics.median(values)


# ---------------------------------------------------------------- contenders
def skann_w1(max_iter, seed=0):
    return ANNClassifier(
        hidden_size=100,
        solver="adam",
        batch_size=200,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=10**6,
        random_state=seed,
    )


def mlp_w1(max_iter, seed=0):
    return MLPClassifier(
        hidden_layer_sizes=(100,),
        solver="adam",
        batch_size=200,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=10**6,
        random_state=seed,
    )


def w1_data(dtype):
    X, y = make_classification(60_000, 100, random_state=0)
    X = X.astype(dtype)
    return X[:50_000], y[:50_000], X[50_000:], y[50_000:]


def gemm_floor(dtype, n_batches=250, batch=200, n_features=100, hidden=100):
    """Seconds for ``n_batches`` x the five matrix products of one minibatch step:
    ``X @ W1``, ``A1 @ W2``, ``A1.T @ dZ2``, ``dZ2 @ W2.T``, ``X.T @ dZ1``."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_features)).astype(dtype)
    W1 = rng.standard_normal((n_features, hidden)).astype(dtype)
    W2 = rng.standard_normal((hidden, 1)).astype(dtype)
    A1, Z2 = np.empty((batch, hidden), dtype), np.empty((batch, 1), dtype)
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


# ---------------------------------------------------------------- measures
def bench_w1(quick):
    rows = []
    # 5 epochs even when quick: fit's fixed costs are spread over the epochs
    epochs, repeats = (5, 3) if quick else (5, 5)
    for dtype in (np.float64, np.float32):
        X, y, X_test, y_test = w1_data(dtype)
        n_batches = -(-X.shape[0] // 200)

        def fit(make):
            return timed(lambda: make(epochs).fit(X, y))

        def floor_threads(n):
            run = gemm_floor(dtype, n_batches)

            def limited():
                with threadpool_limits(n, "blas"):
                    return run()

            return limited

        contenders = {
            "skann": fit(skann_w1),
            "mlp": fit(mlp_w1),
            "floor1": floor_threads(1),
            "floor_default": floor_threads(None),
        }
        res = interleaved(contenders, repeats)
        ms = {k: 1000 * median(v) for k, v in res.items()}
        for key in ("skann", "mlp"):
            if key in ms:
                ms[key] /= epochs
        floor = min(ms["floor1"], ms["floor_default"])
        name = np.dtype(dtype).name
        speedup = ms["mlp"] / ms["skann"]
        rows.append(
            Row(
                f"W1 {name}, ms/epoch",
                fmt(ms["skann"], "ms"),
                "MLPClassifier",
                fmt(ms["mlp"], "ms"),
                f"{speedup:.1f}x faster",
                ">= 3x faster",
                speedup >= 3,
            )
        )
        over = ms["skann"] / floor
        rows.append(
            Row(
                f"W1 {name}, vs GEMM floor",
                fmt(ms["skann"], "ms"),
                f"floor (1 thread {ms['floor1']:.0f}, "
                f"default {ms['floor_default']:.0f})",
                fmt(floor, "ms"),
                f"{over:.2f}x floor",
                "<= 1.5x floor",
                over <= 1.5,
            )
        )
    rows.extend(bench_w1_accuracy(quick))
    return rows


def old_w1(max_iter, seed=0):
    """W1's model in the earlier skann given by ``--old``."""
    return OLD.ANNClassifier(
        hidden_size=100,
        solver="adam",
        batch_size=200,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=10**6,
        random_state=seed,
    )


def bench_w1_core(quick):
    """W1 on one core: every contender on one BLAS thread, no other thread.

    skann's loop runs on the calling thread; the earlier release's C loop had
    a helper thread of its own, kept off here (its ``_CORES`` set to 1), so
    that both compute on one core.  With ``--cpu-time`` the times are the
    process's CPU time."""
    global clock
    clock = time.process_time if CPU_TIME else time.perf_counter
    try:
        return _bench_w1_core(quick)
    finally:
        clock = time.perf_counter


def _bench_w1_core(quick):
    rows = []
    epochs, repeats = (5, 3) if quick else (5, 5)
    for dtype in (np.float64, np.float32):
        X, y, _, _ = w1_data(dtype)
        n_batches = -(-X.shape[0] // 200)
        floor = gemm_floor(dtype, n_batches)

        def one_thread(fn):
            def run():
                with threadpool_limits(1, "blas"):
                    return fn()

            return run

        def fit(make):
            return one_thread(timed(lambda: make(epochs).fit(X, y)))

        contenders = {
            "skann": fit(skann_w1),
            "mlp": fit(mlp_w1),
            "floor": one_thread(floor),
        }
        if OLD is not None:
            contenders["old"] = fit(old_w1)
        res = interleaved(contenders, repeats)
        for key in ("skann", "mlp", "old"):  # seconds per epoch, as the floor
            if key in res:
                res[key] = [seconds / epochs for seconds in res[key]]
        ms = {k: 1000 * median(v) for k, v in res.items()}
        name = np.dtype(dtype).name

        def paired(a, b):
            """min-max over the repeats of a/b, each repeat's runs side by side
            (the machine's load moves both)."""
            ratios = [x / y for x, y in zip(res[a], res[b])]
            return f"{min(ratios):.2f}-{max(ratios):.2f}"

        over = ms["skann"] / ms["floor"]
        rows.append(
            Row(
                f"W1 {name}, one core, vs GEMM floor",
                fmt(ms["skann"], "ms"),
                "floor, 1 BLAS thread",
                fmt(ms["floor"], "ms"),
                f"{over:.2f}x floor ({paired('skann', 'floor')})",
                "<= 1.15x floor",
                over <= 1.15,
            )
        )
        if "old" in ms:
            gain = ms["old"] / ms["skann"]
            rows.append(
                Row(
                    f"W1 {name}, one core, vs the C loop",
                    fmt(ms["skann"], "ms"),
                    f"{OLD.LABEL}, 1 thread",
                    fmt(ms["old"], "ms"),
                    f"{gain:.2f}x as fast ({paired('old', 'skann')})",
                    ">= 1x (no slower)",
                    gain >= 1.0,
                )
            )
        rows.append(
            Row(
                f"W1 {name}, one core, vs MLPClassifier",
                fmt(ms["skann"], "ms"),
                "MLPClassifier, 1 BLAS thread",
                fmt(ms["mlp"], "ms"),
                f"{ms['mlp'] / ms['skann']:.1f}x faster",
                "—",
                None,
            )
        )
    return rows


GRID = {
    "hidden_size": [32, 64, 128],
    "alpha": [1e-4, 1e-3],
    "learning_rate": [1e-3, 3e-3],
}  # 12 candidates


def bench_grid(quick):
    """GridSearchCV over :data:`GRID` x 3 folds on the digits, 100 epochs per
    fit, with ``n_jobs=1`` and ``n_jobs=2``: the parallelism skann leaves to
    joblib.  ``refit=False``: the search alone, 36 fits."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    model = ANNClassifier(  # skann 0.1's default width: the numbers stay comparable
        hidden_size=100, max_iter=100, tol=0, n_iter_no_change=10**6, random_state=0
    )

    def search(n_jobs):
        return timed(
            lambda: GridSearchCV(model, GRID, cv=3, n_jobs=n_jobs, refit=False).fit(
                X, y
            )
        )

    search(2)()  # start joblib's worker processes before timing
    res = interleaved({"1": search(1), "2": search(2)}, 2 if quick else 3)
    s = {k: median(v) for k, v in res.items()}
    speedup = s["1"] / s["2"]
    spread = {k: f"{min(v):.1f}-{max(v):.1f}" for k, v in res.items()}
    return [
        Row(
            "GridSearchCV 12 x 3 folds, digits, 100 epochs",
            f"{s['2']:.2f} s (n_jobs=2; {spread['2']})",
            "n_jobs=1",
            f"{s['1']:.2f} s ({spread['1']})",
            f"{speedup:.2f}x faster",
            ">= 1.8x faster",
            speedup >= 1.8,
        )
    ]


def bench_w1_accuracy(quick):
    epochs = 5 if quick else 20
    rows = []
    for dtype in (np.float64, np.float32):
        X, y, X_test, y_test = w1_data(dtype)
        acc = {}
        for seed in (0, 1, 2):
            for name, make in (("skann", skann_w1), ("mlp", mlp_w1)):
                acc.setdefault(name, []).append(
                    make(epochs, seed).fit(X, y).score(X_test, y_test)
                )
        a, b = np.mean(acc["skann"]), np.mean(acc["mlp"])
        rows.append(
            Row(
                f"W1 {np.dtype(dtype).name}, accuracy after {epochs} epochs (3 seeds)",
                fmt(a, "%"),
                "MLPClassifier",
                fmt(b, "%"),
                f"{100 * (a - b):+.2f} points",
                # the speed is not bought with learning less; learning more
                # (skann's own defaults, issue #12) is no failure
                ">= MLP - 0.5 point",
                a - b >= -0.005,
            )
        )
    return rows


def bare_and_gate(epochs=10_000, lr=0.1):
    """The tutorial's loop: a 2-4-1 network, relu hidden, sigmoid out, BCE, GD."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [0], [0], [1]], dtype=float)
    rng = np.random.RandomState(42)
    W1 = rng.randn(2, 4) * 0.5
    b1 = np.zeros((1, 4))
    W2 = rng.randn(4, 1) * 0.5
    b2 = np.zeros((1, 1))
    m = X.shape[0]
    for _ in range(epochs):
        Z1 = X @ W1 + b1
        A1 = np.maximum(0, Z1)
        Z2 = A1 @ W2 + b2
        A2 = 1 / (1 + np.exp(-Z2))
        cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))  # noqa: F841
        dZ2 = A2 - Y
        dW2 = A1.T @ dZ2 / m
        db2 = np.sum(dZ2, axis=0, keepdims=True) / m
        dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
        dW1 = X.T @ dZ1 / m
        db1 = np.sum(dZ1, axis=0, keepdims=True) / m
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2


def bench_and(quick):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    contenders = {
        "skann": timed(
            lambda: ANNClassifier(
                hidden_size=4,
                solver="gd",
                learning_rate=0.1,
                max_iter=10_000,
                tol=0,
                n_iter_no_change=10**6,
                random_state=42,
            ).fit(X, y)
        ),
        "bare": timed(bare_and_gate),
    }
    if not quick:
        contenders["mlp"] = timed(
            lambda: MLPClassifier(
                hidden_layer_sizes=(4,),
                solver="sgd",
                batch_size=4,
                learning_rate_init=0.1,
                momentum=0,
                max_iter=10_000,
                tol=0,
                n_iter_no_change=10**6,
                random_state=42,
            ).fit(X, y)
        )
    res = interleaved(contenders, 3 if quick else 5)
    s = {k: median(v) for k, v in res.items()}
    ratio = s["skann"] / s["bare"]
    rows = [
        Row(
            "AND gate, gd, 10,000 epochs",
            fmt(s["skann"], "s"),
            "bare numpy loop",
            fmt(s["bare"], "s"),
            f"{ratio:.2f}x the loop's time",
            "<= 1x (no slower)",
            ratio <= 1.0,
        )
    ]
    if "mlp" in s:
        rows.append(
            Row(
                "AND gate, 10,000 epochs",
                fmt(s["skann"], "s"),
                "MLPClassifier sgd batch 4",
                fmt(s["mlp"], "s"),
                f"{s['mlp'] / s['skann']:.1f}x faster",
                "—",
                None,
            )
        )
    return rows


def per_call(fn, calls):
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls


def partial_fit_arithmetic(model, X, y):
    """The arithmetic one 10-row partial_fit must do: one forward/backward pass
    and one Adam step over every parameter, timed alone with skann's core (the
    compiled loop when it is built; MLPClassifier does the same arithmetic, in
    more steps)."""
    from skann._optimizers import copy_state
    from skann._training import Scratch, TrainingConfig, run_epoch

    net = model._network()
    params, state = net.params.copy(), copy_state(model._optimizer_state)
    net = type(net)(net.layer_sizes, net.activation, net.output, params)
    Y = (y == model.classes_[1]).astype(float)[:, None]
    config = TrainingConfig.from_estimator(  # as the fit resolved "auto"
        model,
        batch_size=X.shape[0],
        max_iter=1,
        alpha=model._alpha(),
        learning_rate=model.learning_rate_,
    )
    scratch = Scratch()

    def step(i):
        run_epoch(net, X, Y, None, None, state, config, scratch)

    return step


def bench_partial_fit(quick):
    X, y, _, _ = w1_data(np.float64)
    models = {"skann": ANNClassifier(hidden_size=100), "mlp": MLPClassifier((100,))}
    for model in models.values():
        model.partial_fit(X[:10], y[:10], classes=[0, 1])
    calls = 200 if quick else 1000
    n_chunks = X.shape[0] // 10

    def run(model):
        return lambda: per_call(
            lambda i: model.partial_fit(
                X[10 * (i % n_chunks) : 10 * (i % n_chunks) + 10],
                y[10 * (i % n_chunks) : 10 * (i % n_chunks) + 10],
            ),
            calls,
        )

    contenders = {k: run(m) for k, m in models.items()}
    arithmetic = partial_fit_arithmetic(models["skann"], X[:10], y[:10])
    contenders["arithmetic"] = lambda: per_call(arithmetic, calls)
    res = interleaved(contenders, 5 if quick else 9)
    us = {k: 1e6 * median(v) for k, v in res.items()}
    ratio = us["mlp"] / us["skann"]
    overhead = {k: us[k] - us["arithmetic"] for k in ("skann", "mlp")}
    overhead_ratio = overhead["mlp"] / overhead["skann"]
    return [
        Row(
            "partial_fit, 10 rows, per call",
            fmt(us["skann"], "us"),
            "MLPClassifier",
            fmt(us["mlp"], "us"),
            f"{ratio:.1f}x faster",
            ">= 10x faster",
            ratio >= 10,
        ),
        Row(
            "  its arithmetic alone (fwd/bwd + Adam)",
            fmt(us["arithmetic"], "us"),
            "—",
            "—",
            "—",
            "—",
            None,
        ),
        Row(
            "  per-call overhead beyond it",
            fmt(overhead["skann"], "us"),
            "MLPClassifier",
            fmt(overhead["mlp"], "us"),
            f"{overhead_ratio:.1f}x lower",
            ">= 10x lower",
            overhead_ratio >= 10,
        ),
    ]


def bench_predict(quick):
    X, y, X_test, _ = w1_data(np.float64)
    models = {"skann": skann_w1(1).fit(X, y), "mlp": mlp_w1(1).fit(X, y)}
    rows_1 = [np.ascontiguousarray(X_test[i : i + 1]) for i in range(1000)]
    calls = 500 if quick else 2000

    def one_row(model):
        return lambda: per_call(lambda i: model.predict(rows_1[i % 1000]), calls)

    res = interleaved({k: one_row(m) for k, m in models.items()}, 5 if quick else 9)
    us = {k: 1e6 * median(v) for k, v in res.items()}
    ratio = us["mlp"] / us["skann"]
    rows = [
        Row(
            "predict, 1 row, per call",
            fmt(us["skann"], "us"),
            "MLPClassifier",
            fmt(us["mlp"], "us"),
            f"{ratio:.1f}x faster",
            ">= 3x faster",
            ratio >= 3,
        )
    ]
    X_big = np.concatenate([X, X])  # 100,000 rows
    res = interleaved(
        {k: timed(lambda m=m: m.predict(X_big)) for k, m in models.items()},
        5 if quick else 9,
    )
    ms = {k: 1000 * median(v) for k, v in res.items()}
    rows.append(
        Row(
            "predict, 100,000 rows",
            fmt(ms["skann"], "ms"),
            "MLPClassifier",
            fmt(ms["mlp"], "ms"),
            f"{ms['mlp'] / ms['skann']:.1f}x faster",
            "—",
            None,
        )
    )
    return rows


def bench_lbfgs(quick):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    fitted = {}

    def fit(name, make):
        def run():
            model = make()
            start = time.perf_counter()
            model.fit(X_train, y_train)
            fitted[name] = model
            return time.perf_counter() - start

        return run

    res = interleaved(
        {
            "skann": fit(
                "skann",
                lambda: ANNClassifier(  # MLPClassifier's width, as before 0.2
                    hidden_size=100, solver="lbfgs", max_iter=200, tol=0, random_state=0
                ),
            ),
            "mlp": fit(
                "mlp",
                lambda: MLPClassifier(
                    solver="lbfgs", max_iter=200, tol=0, random_state=0
                ),
            ),
        },
        3 if quick else 5,
    )
    s = {k: median(v) for k, v in res.items()}
    acc = {k: m.score(X_test, y_test) for k, m in fitted.items()}
    its = {k: m.n_iter_ for k, m in fitted.items()}
    return [
        Row(
            f"lbfgs, digits, time ({its['skann']} vs {its['mlp']} iterations)",
            fmt(s["skann"], "s"),
            "MLPClassifier lbfgs",
            fmt(s["mlp"], "s"),
            f"{s['mlp'] / s['skann']:.1f}x faster",
            "—",
            None,
        ),
        Row(
            "lbfgs, digits, held-out accuracy",
            fmt(acc["skann"], "%"),
            "MLPClassifier lbfgs",
            fmt(acc["mlp"], "%"),
            f"{100 * (acc['skann'] - acc['mlp']):+.2f} points",
            "—",
            None,
        ),
    ]


MEMORY_ROWS = 1_000_000


def memory_child(which):
    """Print the fit's peak traced allocation (bytes) and the input's size."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((MEMORY_ROWS, 100), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64)
    model = skann_w1(1) if which == "skann" else mlp_w1(1)
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(peak, X.nbytes)


def bench_memory(quick):
    out = {}
    for which in ("skann", "mlp"):
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", which],
            capture_output=True,
            text=True,
            check=True,
        )
        peak, nbytes = map(int, proc.stdout.split())
        out[which] = peak
    extra = out["skann"] / nbytes
    return [
        Row(
            "fit on 1,000,000 x 100 float32, peak memory beyond X",
            f"{out['skann'] / 2**20:.0f} MB ({extra:.2f}x X)",
            "MLPClassifier",
            f"{out['mlp'] / 2**20:.0f} MB ({out['mlp'] / nbytes:.2f}x X)",
            f"{out['mlp'] / max(out['skann'], 1):.0f}x less",
            "<= 0.2x X (+ batch buffers)",
            extra <= 0.2,
        )
    ]


def busy():
    while True:
        pass


def bench_load(quick):
    """W1 float64 with a busy loop on the other core, against the same quiet.

    The goal is that nothing collapses: skann (whose loop runs on the calling
    thread, BLAS on one thread) must stay within 1.5x of its own quiet time;
    MLPClassifier's slowdown (default BLAS threads) is shown next to it."""
    X, y, _, _ = w1_data(np.float64)
    epochs, repeats = (3, 3) if quick else (3, 5)

    def fit(make):
        return lambda: timed(lambda: make(epochs).fit(X, y))() / epochs * 1000

    contenders = {"skann": fit(skann_w1), "mlp": fit(mlp_w1)}
    quiet = {k: median(v) for k, v in interleaved(contenders, repeats).items()}
    hog = multiprocessing.Process(target=busy, daemon=True)
    hog.start()
    try:
        time.sleep(0.5)
        loaded = {k: median(v) for k, v in interleaved(contenders, repeats).items()}
    finally:
        hog.terminate()
        hog.join()
    slow = loaded["skann"] / quiet["skann"]
    return [
        Row(
            "W1 float64 under load, ms/epoch",
            f"{loaded['skann']:.1f} ms ({slow:.2f}x)",
            "MLPClassifier",
            f"{loaded['mlp']:.1f} ms ({loaded['mlp'] / quiet['mlp']:.2f}x)",
            f"{loaded['mlp'] / loaded['skann']:.1f}x faster",
            "—",
            None,
        ),
        Row(
            "  against skann's quiet time",
            f"{loaded['skann']:.1f} ms",
            "skann, quiet",
            f"{quiet['skann']:.1f} ms",
            f"{slow:.2f}x",
            "<= 1.5x (no collapse)",
            slow <= 1.5,
        ),
    ]


def load_old(directory):
    """Import the earlier skann in ``directory`` as :data:`OLD`, on one core."""
    global OLD
    sys.path.insert(0, os.path.abspath(directory))
    import skann_old
    import skann_old._compiled as old_compiled

    if not old_compiled.COMPILED:
        raise SystemExit(f"{directory}: skann_old has no compiled loop")
    if hasattr(old_compiled, "_CORES"):  # 0.1's C loop: no helper thread
        old_compiled._CORES = 1
    built_from = os.path.join(os.path.dirname(skann_old.__file__), "BUILT_FROM")
    with open(built_from) as f:
        skann_old.LABEL = f"skann {f.read().strip()}"
    OLD = skann_old


MEASURES = {
    "w1": bench_w1,
    "w1core": bench_w1_core,
    "grid": bench_grid,
    "and": bench_and,
    "partial": bench_partial_fit,
    "predict": bench_predict,
    "lbfgs": bench_lbfgs,
    "memory": bench_memory,
    "load": bench_load,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and epochs")
    parser.add_argument(
        "--only", help=f"comma-separated subset of {','.join(MEASURES)}"
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the 1M-row memory run"
    )
    parser.add_argument(
        "--old",
        metavar="DIR",
        help="a directory holding an earlier skann built as package skann_old "
        "(benchmarks/old_loop.py), raced on one core in w1core",
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time w1core (all on one thread) by CPU time: steadier when shared",
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CPU_TIME
    CPU_TIME = args.cpu_time
    if args.memory_child:
        return memory_child(args.memory_child)
    if args.old:
        load_old(args.old)
    names = args.only.split(",") if args.only else list(MEASURES)
    if args.no_memory and "memory" in names:
        names.remove("memory")
    print(machine(), flush=True)
    rows = []
    for name in names:
        start = time.perf_counter()
        new = MEASURES[name](args.quick)
        print(
            f"[{name}: {time.perf_counter() - start:.0f} s]",
            file=sys.stderr,
            flush=True,
        )
        rows.extend(new)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
