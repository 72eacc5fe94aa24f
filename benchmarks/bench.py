"""skann against MLPClassifier, the matrix-product floor and the lesson's
bare numpy loop, at the sizes of the getting-started examples.

    python benchmarks/bench.py              # everything (a few minutes on 2 cores)
    python benchmarks/bench.py --quick      # fewer repeats, noisier
    python benchmarks/bench.py --only w1core,predict
    python benchmarks/bench.py --only w1core --cpu-time  # steadier when shared
    python benchmarks/bench.py --out benchmarks/results  # also write the table

Scaling (batch sizes, widths, rows, threads, parallel fits) is
``benchmarks/scale.py``'s.  The table is a reStructuredText simple table.

Measures
--------
w1        ``make_classification(50_000, 100)``, binary, hidden 100, adam, batch
          200, ms per epoch at equal epochs (``tol=0``), float64 and float32,
          against MLPClassifier and the product floor (the five matrix
          products of one step on one batch in cache, times the batches);
          held-out accuracy of both after the same number of epochs.
w1core    The Adam benchmark with every contender on one BLAS thread.
and       The lesson's AND gate, 10,000 full-batch epochs of ``solver="gd"``,
          against the tutorial's bare numpy loop (written out below).
partial   ``partial_fit`` on 10 rows, per call.
predict   ``predict`` on 1 row, per call; and on 100,000 rows.
lbfgs     L-BFGS on the digits: time and held-out accuracy.
memory    Peak memory of ``fit`` on 1,000,000 x 100 float32 (one epoch), in a
          subprocess, measured with tracemalloc over the fit only.
load      Adam benchmark float64 epochs while a busy loop occupies another core.

Run it under ``nice -n 10`` on a shared machine.
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from harness import (
    Row,
    classification,
    fit_seconds_per_epoch,
    fmt,
    gemm_floor,
    interleaved,
    machine,
    medians,
    mlp_model,
    on_threads,
    paired,
    quiet_fit,
    report,
    rows_table,
    skann_model,
    timed,
)
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

W1_ROWS = 50_000
W1_BATCHES = W1_ROWS // 200
MEMORY_ROWS = 1_000_000


@dataclass(frozen=True)
class Options:
    quick: bool = False
    clock: object = time.perf_counter  # or time.process_time (--cpu-time)


def w1(dtype, test=0):
    return classification(W1_ROWS, 100, dtype, test=test)


# ---------------------------------------------------------------- measures
def bench_w1(opts, threads=None):
    """The Adam benchmark: skann, MLPClassifier and the floor, on ``threads``
    BLAS threads (None: as configured, the floor also on one thread)."""
    rows = []
    epochs, repeats = 5, 3 if opts.quick else 5
    where = "" if threads is None else ", one core"
    for dtype in (np.float64, np.float32):
        X, y = w1(dtype)
        contenders = {
            name: on_threads(
                fit_seconds_per_epoch(make, X, y, epochs, opts.clock), threads
            )
            for name, make in (("skann", skann_model), ("mlp", mlp_model))
        }
        contenders["floor"] = on_threads(
            gemm_floor(dtype, W1_BATCHES, clock=opts.clock), 1
        )
        if threads is None:
            contenders["floor_all"] = gemm_floor(dtype, W1_BATCHES, clock=opts.clock)
        res = interleaved(contenders, repeats)
        ms = medians(res, 1000)
        floor = min(ms["floor"], ms.get("floor_all", np.inf))
        name = f"Adam benchmark, {np.dtype(dtype).name}{where}"
        over = ms["skann"] / floor
        rows += [
            Row(
                f"{name}, vs MLPClassifier",
                fmt(ms["skann"], "ms"),
                "MLPClassifier",
                fmt(ms["mlp"], "ms"),
                f"{ms['mlp'] / ms['skann']:.1f}x faster "
                f"({paired(res, 'mlp', 'skann')})",
                ">= 3x faster",
                ms["mlp"] / ms["skann"] >= 3,
            ),
            Row(
                f"{name}, vs product floor",
                fmt(ms["skann"], "ms"),
                "floor, 1 BLAS thread" if threads else "floor, best of 1 / all",
                fmt(floor, "ms"),
                f"{over:.2f}x floor ({paired(res, 'skann', 'floor')})",
                "<= 1.15x floor",
                over <= 1.15,
            ),
        ]
    if threads is None:
        rows += bench_w1_accuracy(opts)
    return rows


def bench_w1_core(opts):
    return bench_w1(opts, threads=1)


def bench_w1_accuracy(opts):
    """Held-out accuracy after the same epochs, 3 seeds: speed is not bought
    by learning less."""
    epochs = 5 if opts.quick else 20
    rows = []
    for dtype in (np.float64, np.float32):
        X, y, X_test, y_test = w1(dtype, test=10_000)
        acc = {
            name: np.mean(
                [
                    quiet_fit(make(epochs=epochs, seed=seed), X, y).score(
                        X_test, y_test
                    )
                    for seed in (0, 1, 2)
                ]
            )
            for name, make in (("skann", skann_model), ("mlp", mlp_model))
        }
        rows.append(
            Row(
                f"Adam benchmark, {np.dtype(dtype).name}, "
                f"accuracy after {epochs} epochs (3 seeds)",
                fmt(acc["skann"], "%"),
                "MLPClassifier",
                fmt(acc["mlp"], "%"),
                f"{100 * (acc['skann'] - acc['mlp']):+.2f} points",
                ">= MLP - 0.5 point",
                acc["skann"] - acc["mlp"] >= -0.005,
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


def bench_and(opts):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    skann = skann_model(4, "auto", 10_000, 42, solver="gd", learning_rate=0.1)
    contenders = {"skann": timed(lambda: skann.fit(X, y)), "bare": timed(bare_and_gate)}
    if not opts.quick:
        mlp = mlp_model(
            4, 4, 10_000, 42, solver="sgd", learning_rate_init=0.1, momentum=0
        )
        contenders["mlp"] = timed(lambda: mlp.fit(X, y))
    s = medians(interleaved(contenders, 3 if opts.quick else 5))
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
            )
        )
    return rows


def per_call(fn, calls):
    """A function timing ``calls`` calls ``fn(i)``: seconds per call."""

    def run():
        start = time.perf_counter()
        for i in range(calls):
            fn(i)
        return (time.perf_counter() - start) / calls

    return run


def partial_fit_arithmetic(model, X, y):
    """The arithmetic one 10-row partial_fit must do: one forward/backward pass
    and one Adam step over every parameter, with skann's core alone."""
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
    return lambda i: run_epoch(net, X, Y, None, None, state, config, scratch)


def bench_partial_fit(opts):
    X, y = w1(np.float64)
    models = {"skann": ANNClassifier(hidden_size=100), "mlp": MLPClassifier((100,))}
    for model in models.values():
        model.partial_fit(X[:10], y[:10], classes=[0, 1])
    calls, n_chunks = 200 if opts.quick else 1000, X.shape[0] // 10

    def chunk(model):
        return lambda i: model.partial_fit(
            X[10 * (i % n_chunks) : 10 * (i % n_chunks) + 10],
            y[10 * (i % n_chunks) : 10 * (i % n_chunks) + 10],
        )

    contenders = {k: per_call(chunk(m), calls) for k, m in models.items()}
    arithmetic = partial_fit_arithmetic(models["skann"], X[:10], y[:10])
    contenders["arithmetic"] = per_call(arithmetic, calls)
    us = medians(interleaved(contenders, 5 if opts.quick else 9), 1e6)
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
        ),  # fmt: skip
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


def bench_predict(opts):
    X, y, X_test, _ = w1(np.float64, test=10_000)
    models = {
        "skann": quiet_fit(skann_model(epochs=1), X, y),
        "mlp": quiet_fit(mlp_model(epochs=1), X, y),
    }
    one_rows = [np.ascontiguousarray(X_test[i : i + 1]) for i in range(1000)]
    calls, repeats = (500, 5) if opts.quick else (2000, 9)
    us = medians(
        interleaved(
            {
                k: per_call(lambda i, m=m: m.predict(one_rows[i % 1000]), calls)
                for k, m in models.items()
            },
            repeats,
        ),
        1e6,
    )
    X_big = np.concatenate([X, X])  # 100,000 rows
    ms = medians(
        interleaved(
            {k: timed(lambda m=m: m.predict(X_big)) for k, m in models.items()},
            repeats,
        ),
        1000,
    )
    return [
        Row(
            "predict, 1 row, per call",
            fmt(us["skann"], "us"),
            "MLPClassifier",
            fmt(us["mlp"], "us"),
            f"{us['mlp'] / us['skann']:.1f}x faster",
            ">= 3x faster",
            us["mlp"] / us["skann"] >= 3,
        ),
        Row(
            "predict, 100,000 rows",
            fmt(ms["skann"], "ms"),
            "MLPClassifier",
            fmt(ms["mlp"], "ms"),
            f"{ms['mlp'] / ms['skann']:.1f}x faster",
        ),
    ]


def bench_lbfgs(opts):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    models = {  # skann at MLPClassifier's width
        "skann": ANNClassifier(
            hidden_size=100, solver="lbfgs", max_iter=200, tol=0, random_state=0
        ),
        "mlp": MLPClassifier(solver="lbfgs", max_iter=200, tol=0, random_state=0),
    }
    s = medians(
        interleaved(
            {
                k: timed(lambda m=m: quiet_fit(m, X_train, y_train))
                for k, m in models.items()
            },
            3 if opts.quick else 5,
        )
    )
    acc = {k: m.score(X_test, y_test) for k, m in models.items()}
    its = {k: m.n_iter_ for k, m in models.items()}
    return [
        Row(
            f"lbfgs, digits, time ({its['skann']} vs {its['mlp']} iterations)",
            fmt(s["skann"], "s"),
            "MLPClassifier lbfgs",
            fmt(s["mlp"], "s"),
            f"{s['mlp'] / s['skann']:.1f}x faster",
        ),
        Row(
            "lbfgs, digits, held-out accuracy",
            fmt(acc["skann"], "%"),
            "MLPClassifier lbfgs",
            fmt(acc["mlp"], "%"),
            f"{100 * (acc['skann'] - acc['mlp']):+.2f} points",
        ),
    ]


def memory_child(which):
    """Print the fit's peak traced allocation (bytes) and the input's size."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((MEMORY_ROWS, 100), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64)
    model = (skann_model if which == "skann" else mlp_model)(epochs=1)
    tracemalloc.start()
    quiet_fit(model, X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(peak, X.nbytes)


def bench_memory(opts):
    peak = {}
    for which in ("skann", "mlp"):
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", which],
            capture_output=True,
            text=True,
            check=True,
        )
        peak[which], nbytes = map(int, proc.stdout.split())
    extra = peak["skann"] / nbytes
    return [
        Row(
            "fit on 1,000,000 x 100 float32, peak memory beyond X",
            f"{peak['skann'] / 2**20:.0f} MB ({extra:.2f}x X)",
            "MLPClassifier",
            f"{peak['mlp'] / 2**20:.0f} MB ({peak['mlp'] / nbytes:.2f}x X)",
            f"{peak['mlp'] / max(peak['skann'], 1):.0f}x less",
            "<= 0.2x X (+ batch buffers)",
            extra <= 0.2,
        )
    ]


def busy():
    while True:
        pass


def bench_load(opts):
    """The Adam benchmark in float64 with a busy loop on another core, against
    the same quiet: skann must stay within 1.5x of its own quiet time."""
    X, y = w1(np.float64)
    epochs, repeats = 3, 3 if opts.quick else 5
    contenders = {
        name: fit_seconds_per_epoch(make, X, y, epochs)
        for name, make in (("skann", skann_model), ("mlp", mlp_model))
    }
    quiet = medians(interleaved(contenders, repeats), 1000)
    hog = multiprocessing.Process(target=busy, daemon=True)
    hog.start()
    try:
        time.sleep(0.5)
        loaded = medians(interleaved(contenders, repeats), 1000)
    finally:
        hog.terminate()
        hog.join()
    slow = loaded["skann"] / quiet["skann"]
    return [
        Row(
            "Adam benchmark, float64 under load, ms/epoch",
            f"{loaded['skann']:.1f} ms ({slow:.2f}x)",
            "MLPClassifier",
            f"{loaded['mlp']:.1f} ms ({loaded['mlp'] / quiet['mlp']:.2f}x)",
            f"{loaded['mlp'] / loaded['skann']:.1f}x faster",
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


MEASURES = {
    "w1": bench_w1,
    "w1core": bench_w1_core,
    "and": bench_and,
    "partial": bench_partial_fit,
    "predict": bench_predict,
    "lbfgs": bench_lbfgs,
    "memory": bench_memory,
    "load": bench_load,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", help=f"a comma-separated subset of {list(MEASURES)}")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time by CPU time (steadier on a shared machine; for one-thread runs)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="also write DIR/bench.txt (bench_<only>.txt)"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child)
    clock = time.process_time if args.cpu_time else time.perf_counter
    opts = Options(args.quick, clock)
    names = args.only.split(",") if args.only else list(MEASURES)
    header = machine()
    print(header, flush=True)
    rows = []
    for name in names:
        start = time.perf_counter()
        rows += MEASURES[name](opts)
        print(f"[{name}: {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    name = "_".join(["bench"] + (names if args.only else []))
    report(f"{header}\n\n{rows_table(rows)}", args.out, name)


if __name__ == "__main__":
    main()
