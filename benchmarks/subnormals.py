"""Does training slow down as it goes?  Epoch times and subnormal numbers.

    python benchmarks/subnormals.py                      # both data sets,
                                                         # both dtypes and paths
    python benchmarks/subnormals.py --data wide --epochs 60 --rows 50000
    python benchmarks/subnormals.py --params alpha=0.1,weight_decay=0
    python benchmarks/subnormals.py --paths compiled,unflushed

A float below ``np.finfo(dtype).tiny`` (and not 0) is subnormal: many x86
processors compute with such numbers many times slower than with normal
ones (others, such as the AMD EPYC this was measured on, far less), so a
training run whose weights or optimizer moments drift into that range can
slow down epoch after epoch.  For each data set, dtype and path (``compiled``:
the compiled loop; ``unflushed``: the compiled loop without its flush of
subnormal numbers to zero; ``numpy``: the numpy core, the compiled loop
switched off) this fits ``ANNClassifier`` with its defaults (or ``--params``)
for ``--epochs`` epochs at ``tol=0`` and reports the median time of the first
20 epochs and of the last 20, their ratio, and how many subnormal numbers the
weights, the biases and Adam's moments ``m`` and ``v`` hold at the end.

Data sets
---------
wide    ``make_classification(rows, 50)``, 4 classes: the shape on which the
        slowdown was first seen (100,000 x 50).
digits  scikit-learn's 8 x 8 digits upsampled to 28 x 28 (MNIST's shape:
        784 pixels, a border of them always zero), shifted by up to 2 pixels
        to make 5,000 distinct images, scaled to [0, 1].

The process is pinned to one core; run it under ``nice -n 10`` on a shared
machine.  Epochs are timed in CPU time of the process (``--clock wall`` for
wall time), which other processes on a busy machine disturb far less than
wall time, and the ratio compares epochs of one run.
"""

import os

if hasattr(os, "sched_setaffinity"):  # one core, before BLAS loads
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import ast  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from harness import machine, median  # noqa: E402
from sklearn.datasets import load_digits, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skann._training  # noqa: E402
from skann import ANNClassifier, _compiled  # noqa: E402

WINDOW = 20  # epochs at the start and at the end that are compared


def wide(rows):
    X, y = make_classification(
        rows, 50, n_informative=20, n_classes=4, random_state=0
    )
    return X, y


def digits(rows):
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    pick = rng.randint(0, X.shape[0], rows)
    images = np.kron(X[pick].reshape(-1, 8, 8), np.ones((3, 3))) / 16  # 24 x 24
    out = np.zeros((rows, 28, 28))
    shifts = rng.randint(0, 5, (rows, 2))
    for i, (r, c) in enumerate(shifts):
        out[i, r : r + 24, c : c + 24] = images[i]
    return out.reshape(rows, 784), y[pick]


DATA = {"wide": (wide, 100_000), "digits": (digits, 5_000)}


def subnormal(a):
    a = np.asarray(a)
    return int(((np.abs(a) < np.finfo(a.dtype).tiny) & (a != 0)).sum())


def run(X, y, dtype, path, epochs, params):
    est = ANNClassifier(
        max_iter=epochs,
        tol=0,
        n_iter_no_change=np.inf,
        random_state=0,
        verbose=1,
        **params,
    )
    loop = _compiled._loop
    flushes = getattr(loop, "FLUSH_SUBNORMALS", False)
    _compiled.enabled = path != "numpy" and _compiled.COMPILED
    if path == "unflushed" and flushes:
        loop.FLUSH_SUBNORMALS = False
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X.astype(dtype), y)
    finally:
        _compiled.enabled = _compiled.COMPILED
        if path == "unflushed" and flushes:
            loop.FLUSH_SUBNORMALS = True
    times = re.findall(r", ([0-9.]+) s$", printed.getvalue(), re.M)
    seconds = [float(s) for s in times]
    first, last = median(seconds[:WINDOW]), median(seconds[-WINDOW:])
    state = est._optimizer_state
    return {
        "first": first,
        "last": last,
        "ratio": last / first,
        "weights": sum(subnormal(w) for w in est.coefs_),
        "biases": sum(subnormal(b) for b in est.intercepts_),
        "m": subnormal(state["m"]) if "m" in state else None,
        "v": subnormal(state["v"]) if "v" in state else None,
        "zero weights": int(sum((w == 0).sum() for w in est.coefs_)),
        "n weights": int(sum(w.size for w in est.coefs_)),
        "loss": est.loss_,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="wide,digits")
    parser.add_argument("--rows", type=int, help="rows of each data set")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--paths", default="compiled,numpy")
    parser.add_argument(
        "--params", default="", help="ANNClassifier parameters: name=value,..."
    )
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args(argv)
    if args.clock == "cpu":  # the clock of the epoch times that verbose prints
        skann._training.time = types.SimpleNamespace(perf_counter=time.process_time)
    params = {
        k: ast.literal_eval(v)
        for k, v in (p.split("=", 1) for p in args.params.split(",") if p)
    }
    print(machine())
    print(
        f"ANNClassifier({params}), {args.epochs} epochs at tol=0, "
        f"{args.clock} time",
        flush=True,
    )
    print(
        f"{'data':>20s} {'dtype':>7s} {'path':>8s}  first {WINDOW}  last {WINDOW}"
        "  ratio  subnormal: weights biases      m      v  exact 0 weights  loss"
    )
    for name in args.data.split(","):
        make, rows = DATA[name]
        X, y = make(args.rows or rows)
        label = f"{name} {X.shape[0]}x{X.shape[1]}"
        for dtype in args.dtypes.split(","):
            for path in args.paths.split(","):
                r = run(X, y, dtype, path, args.epochs, params)
                print(
                    f"{label:>20s} {dtype:>7s} {path:>8s} {r['first']:7.3f} s "
                    f"{r['last']:7.3f} s {r['ratio']:6.2f}  {r['weights']:16d} "
                    f"{r['biases']:6d} {r['m']!s:>6s} {r['v']!s:>6s} "
                    f"{r['zero weights']:8d}/{r['n weights']}  {r['loss']:.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
