"""skann at every scale: batch sizes, widths, rows, threads and parallel fits,
against MLPClassifier (same process, interleaved) and PyTorch on the CPU
when it is installed.

    python benchmarks/scale.py                         # every section
    python benchmarks/scale.py --only batches,drift    # some of them
    python benchmarks/scale.py --quick --out DIR       # a short run, results in DIR
    python benchmarks/scale.py --threads 1,4,all --n-jobs 1,all --only rows,grid
    python benchmarks/scale.py --plot                  # redraw the docs' figure

Each section prints a reStructuredText table and, with ``--out``, writes it to
``DIR/scale_<section>.txt`` (``--plot`` draws ``docs/_static/scale.png`` from
``DIR/scale_batches.txt``).  Run it under ``nice -n 10`` on a shared machine.

Sections
--------
batches   One core each: ms per epoch at batch 32 to 8192 and hidden 64 to
          1024, on ``make_classification(rows, 100)`` (binary, adam); and
          the product floor (the five products of one step on one batch in
          cache, times the batches).  Goals: skann >= 2x MLPClassifier, and
          skann's epoch at a batch above 200 <= 1.1x its epoch at 200.
rows      Rows 10,000, 200,000 and 1,000,000 at batch 2048, hidden 256, on each
          ``--threads`` count (BLAS threads for skann and MLPClassifier,
          ``torch.set_num_threads`` for PyTorch).
drift     The defaults for 200 epochs on 100,000 x 50 rows, float32 and
          float64: the median epoch of the last 20 against the first 20
          (goal <= 1.3x; the first 5 show a slowdown that starts early),
          and the subnormal weights at the end.
grid      GridSearchCV on each ``--n-jobs`` count: 12 candidates x 3 folds
          on the digits, and 96 fits of 20 epochs on 20,000 x 50 rows
          (5 epochs on 5,000 rows with ``--quick``).
startup   What one short fit spends besides its epochs (validation,
          set-up), and the same fits sent through joblib, the first time
          (the workers start) and again.
"""

import argparse
import contextlib
import io
import os
import re
import time
from dataclasses import dataclass

import numpy as np
from harness import (
    FACTORIES,
    classification,
    fit_seconds_per_epoch,
    gemm_floor,
    interleaved,
    machine,
    medians,
    on_threads,
    quiet_fit,
    report,
    simple_table,
    skann_model,
    timed,
)
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skann import ANNClassifier, _compiled

try:
    import torch
except ImportError:  # PyTorch is optional: its columns are left out
    torch = None

FIGURE = os.path.join(os.path.dirname(__file__), "..", "docs", "_static", "scale.png")


@dataclass(frozen=True)
class Options:
    quick: bool
    threads: tuple  # BLAS thread counts, None for "as configured" (all)
    n_jobs: tuple
    dtype: type
    repeats: int
    out: str = None
    clock: object = time.perf_counter  # time.process_time with --cpu-time


def thread_label(n):
    return "all" if n is None else str(n)


# ----------------------------------------------------------------- PyTorch
class TorchMLP:
    """The same network, loss and optimizer in PyTorch: a fit loop as its
    tutorials write it (shuffled index batches, ``Adam``, ``BCEWithLogitsLoss``)."""

    def __init__(self, hidden=100, batch=200, epochs=5, seed=0, threads=None):
        self.hidden, self.batch, self.epochs = hidden, batch, epochs
        self.seed, self.threads = seed, threads

    def fit(self, X, y):
        torch.set_num_threads(self.threads or os.cpu_count())
        torch.manual_seed(self.seed)
        X = torch.from_numpy(X)
        y = torch.from_numpy(y.astype(X.numpy().dtype))[:, None]
        model = torch.nn.Sequential(
            torch.nn.Linear(X.shape[1], self.hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(self.hidden, 1),
        ).to(X.dtype)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(self.epochs):
            for rows in torch.randperm(X.shape[0]).split(self.batch):
                optimizer.zero_grad()
                loss_fn(model(X[rows]), y[rows]).backward()
                optimizer.step()
        return self


def contenders(X, y, epochs, threads, clock, **params):
    """``name -> fn()`` timing an epoch of skann, MLPClassifier and PyTorch
    (when installed), each on ``threads`` threads (BLAS threads; PyTorch's
    own), by ``clock``."""
    made = {
        name: on_threads(
            fit_seconds_per_epoch(make, X, y, epochs, clock, **params), threads
        )
        for name, make in FACTORIES.items()
    }
    if torch is not None:
        made["torch"] = fit_seconds_per_epoch(
            TorchMLP, X, y, epochs, clock, threads=threads, **params
        )
    return made


# ---------------------------------------------------------------- sections
def batches(opts):
    """One core each, every batch size and width."""
    rows = 20_000 if opts.quick else 50_000
    sizes = (32, 200, 2048, 8192)
    widths = (64, 256, 1024) if opts.quick else (64, 100, 256, 1024)
    X, y = classification(rows, 100, opts.dtype)
    epochs = 1 if opts.quick else 2
    lines, ms = [], {}
    for hidden in widths:
        for batch in sizes:
            runs = contenders(X, y, epochs, 1, opts.clock, hidden=hidden, batch=batch)
            n_batches = -(-rows // batch)
            floor = gemm_floor(opts.dtype, n_batches, batch, 100, hidden, 1, opts.clock)
            runs["floor"] = on_threads(floor, 1)
            ms[hidden, batch] = medians(interleaved(runs, opts.repeats), 1000)
        at_200 = ms[hidden, 200]["skann"]
        for batch in sizes:
            m = ms[hidden, batch]
            lines.append(
                [
                    hidden,
                    batch,
                    f"{m['skann']:.1f}",
                    f"{m['mlp']:.1f}",
                    f"{m['mlp'] / m['skann']:.2f}x",
                    f"{m['torch']:.1f}" if "torch" in m else "—",
                    f"{m['floor']:.1f}",
                    f"{m['skann'] / m['floor']:.2f}x",
                    f"{m['skann'] / at_200:.2f}x",
                ]
            )
    title = (
        f"Epoch times in ms, one core each: {rows:,} x 100 "
        f"{np.dtype(opts.dtype).name}, binary, adam, hidden x batch"
    )
    header = ["hidden", "batch", "skann", "MLP", "MLP/skann", "torch", "floor",
              "skann/floor", "skann/skann@200"]  # fmt: skip
    return title, simple_table(header, lines)


def rows_and_threads(opts):
    """Rows 10k, 200k and 1M, batch 2048, hidden 256, on each thread count."""
    counts = (10_000, 100_000) if opts.quick else (10_000, 200_000, 1_000_000)
    lines = []
    for rows in counts:
        X, y = classification(rows, 100, opts.dtype)
        for threads in opts.threads:
            runs = contenders(
                X, y, 1, threads, time.perf_counter, hidden=256, batch=2048
            )
            m = medians(interleaved(runs, opts.repeats), 1000)
            lines.append(
                [
                    f"{rows:,}",
                    thread_label(threads),
                    f"{m['skann']:.1f}",
                    f"{m['mlp']:.1f}",
                    f"{m['mlp'] / m['skann']:.2f}x",
                    f"{m['torch']:.1f}" if "torch" in m else "—",
                ]
            )
    title = (
        f"Epoch times in ms by rows and threads: batch 2048, hidden 256, "
        f"{np.dtype(opts.dtype).name}"
    )
    header = ["rows", "threads", "skann", "MLP", "MLP/skann", "torch"]
    return title, simple_table(header, lines)


def epoch_seconds(model, X, y):
    """Fit ``model`` (verbose) and read each epoch's seconds from its printout."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        quiet_fit(model, X, y)
    return [float(s) for s in re.findall(r", ([0-9.]+) s$", printed.getvalue(), re.M)]


def drift(opts):
    """The defaults over 200 epochs: the last 20 against the first 20."""
    rows = 20_000 if opts.quick else 100_000
    lines = []
    for dtype in (np.float32, np.float64):
        X, y = classification(rows, 50, dtype)
        model = ANNClassifier(
            max_iter=200, tol=0, n_iter_no_change=10**6, random_state=0, verbose=True
        )
        seconds = epoch_seconds(model, X, y)
        start, first = np.median(seconds[:5]), np.median(seconds[:20])
        last = np.median(seconds[-20:])
        params = model._params
        tiny = np.finfo(params.dtype).tiny
        subnormal = int(np.count_nonzero((params != 0) & (np.abs(params) < tiny)))
        lines.append(
            [
                np.dtype(dtype).name,
                len(seconds),
                f"{1000 * start:.1f}",
                f"{1000 * first:.1f}",
                f"{1000 * last:.1f}",
                f"{last / first:.2f}x",
                "yes" if last / first <= 1.3 else "NO",
                subnormal,
            ]
        )
    title = f"The defaults for 200 epochs on {rows:,} x 50, one epoch in ms"
    header = ["dtype", "epochs", "first 5", "first 20", "last 20", "last/first",
              "<= 1.3x", "subnormal weights"]  # fmt: skip
    return title, simple_table(header, lines)


GRID = {
    "hidden_size": [32, 64, 128],
    "alpha": [1e-4, 1e-3],
    "learning_rate": [1e-3, 3e-3],
}  # 12 candidates
WIDE_GRID = dict(GRID, hidden_size=[32, 64, 128, 256], batch_size=[100, 200])  # 32


def searches(opts):
    """The two searches, skann against MLPClassifier, on every n_jobs."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    wide, wide_epochs = (5_000, 5) if opts.quick else (20_000, 20)
    Xw, yw = classification(wide, 50, np.float64)
    epochs = 20 if opts.quick else 100
    problems = [
        (f"digits, 12 x 3 folds, {epochs} epochs", X, y, GRID, epochs),
        (f"{wide:,} x 50, 32 x 3 folds, {wide_epochs} epochs", Xw, yw, WIDE_GRID,
         wide_epochs),
    ]  # fmt: skip
    lines = []
    for label, X, y, grid, max_iter in problems:
        for name, make in FACTORIES.items():
            model = make(hidden=100, epochs=max_iter)
            candidates = grid if name == "skann" else mlp_grid(grid)

            def search(n_jobs, model=model, candidates=candidates, X=X, y=y):
                cv = GridSearchCV(model, candidates, cv=3, n_jobs=n_jobs, refit=False)
                return lambda: quiet_fit(cv, X, y)

            # Untimed, a one-epoch search on a few rows first: joblib's
            # workers start and import what the search's tasks need.
            for n in opts.n_jobs:
                search(n or -1, model=clone(model).set_params(max_iter=1),
                       X=X[:300], y=y[:300])()  # fmt: skip
            runs = {thread_label(n): timed(search(n or -1)) for n in opts.n_jobs}
            s = medians(interleaved(runs, max(1, opts.repeats - 1)))
            one = s.get("1")
            for n_jobs, seconds in s.items():
                speedup = "—" if one is None else f"{one / seconds:.2f}x"
                lines.append([label, name, n_jobs, f"{seconds:.2f}", speedup])
    title = "GridSearchCV, seconds per search, and speed-up over n_jobs=1"
    return title, simple_table(["search", "model", "n_jobs", "s", "speed-up"], lines)


def mlp_grid(grid):
    """``grid``'s candidates in MLPClassifier's parameter names."""
    names = {"hidden_size": "hidden_layer_sizes", "learning_rate": "learning_rate_init"}
    out = {names.get(k, k): v for k, v in grid.items()}
    if "hidden_layer_sizes" in out:
        out["hidden_layer_sizes"] = [(h,) for h in out["hidden_layer_sizes"]]
    return out


def startup(opts):
    """Where a short fit's time goes: a 1-epoch fit on one digits fold,
    against its epoch alone, and joblib's dispatch of such fits."""
    from joblib import Parallel, delayed

    X, y = load_digits(return_X_y=True)
    X = X[:1198] / 16
    y = y[:1198]
    model = skann_model(hidden=100, epochs=1)
    calls = 20 if opts.quick else 100

    def fits(epochs):
        fit = timed(lambda: quiet_fit(clone(model).set_params(max_iter=epochs), X, y),
                    opts.clock)  # fmt: skip
        return lambda: np.median([fit() for _ in range(calls)])

    def dispatched(n_jobs):
        return timed(
            lambda: Parallel(n_jobs=n_jobs)(
                delayed(quiet_fit)(clone(model), X, y) for _ in range(calls)
            )
        )

    # The first dispatch starts joblib's workers, which import skann.
    first = {thread_label(n): 1000 * dispatched(n or -1)() for n in opts.n_jobs}
    runs = {"fit": fits(1), "fit6": fits(6)}
    runs.update({thread_label(n): dispatched(n or -1) for n in opts.n_jobs})
    s = medians(interleaved(runs, opts.repeats), 1000)
    epoch = (s["fit6"] - s["fit"]) / 5
    lines = [
        ["one fit, 1 epoch, 1,198 x 64 (a digits fold)", f"{s['fit']:.2f}"],
        ["  of which the epoch", f"{epoch:.2f}"],
        ["  the rest: validation, set-up, attributes", f"{s['fit'] - epoch:.2f}"],
    ]
    for n in opts.n_jobs:
        label = thread_label(n)
        lines += [
            [f"{calls} such fits through joblib, n_jobs={label}, per fit",
             f"{s[label] / calls:.2f}"],
            ["  the first time (the workers start and import skann)",
             f"{first[label] / calls:.2f}"],
        ]  # fmt: skip
    clock = "CPU time" if opts.clock is time.process_time else "wall time"
    title = f"What a short fit costs, ms (fits: {clock}; joblib: wall time)"
    return title, simple_table(["part", "ms"], lines)


SECTIONS = {
    "batches": batches,
    "rows": rows_and_threads,
    "drift": drift,
    "startup": startup,  # before grid, whose workers it would find started
    "grid": searches,
}


# ------------------------------------------------------------------- figure
def plot(out_dir):
    """docs/_static/scale.png: epoch time by batch, one panel per width."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(os.path.join(out_dir, "scale_batches.txt")) as f:
        table = [line.split() for line in f if re.match(r"^\d+\s+\d+\s", line)]
    widths = sorted({int(t[0]) for t in table})
    fig, axes = plt.subplots(1, len(widths), figsize=(3.2 * len(widths), 3.2))
    for ax, hidden in zip(np.atleast_1d(axes), widths):
        rows = [t for t in table if int(t[0]) == hidden]
        batch = [int(t[1]) for t in rows]
        for col, label in ((2, "skann"), (3, "MLPClassifier"), (5, "PyTorch (CPU)"),
                           (6, "product floor")):  # fmt: skip
            values = [float(t[col]) if t[col] != "—" else np.nan for t in rows]
            ax.plot(batch, values, marker="o", label=label)
        ax.set(xscale="log", yscale="log", title=f"hidden {hidden}", xlabel="batch")
    np.atleast_1d(axes)[0].set_ylabel("ms per epoch, one core")
    np.atleast_1d(axes)[0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(FIGURE, dpi=110)
    print(f"wrote {os.path.normpath(FIGURE)}")


def counts(text):
    """``"1,4,all"`` -> ``(1, 4, None)``."""
    return tuple(None if v == "all" else int(v) for v in text.split(","))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"a comma-separated subset of {list(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="smaller and shorter")
    parser.add_argument(
        "--threads",
        type=counts,
        default=(1, None),
        help="BLAS thread counts for 'rows' (default 1,all)",
    )
    parser.add_argument(
        "--n-jobs",
        type=counts,
        default=(1, None),
        help="n_jobs values for 'grid' and 'startup' (default 1,all)",
    )
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (3; quick 2)")
    parser.add_argument(
        "--chunk", type=int, help="rows per chunk of the compiled loop (an experiment)"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time 'batches' and the fits of 'startup' (one thread each) by CPU "
        "time: steadier on a shared machine",
    )
    parser.add_argument("--out", metavar="DIR", help="write DIR/scale_<section>.txt")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="draw docs/_static/scale.png from DIR/scale_batches.txt",
    )
    args = parser.parse_args()  # fmt: skip
    if args.plot:
        return plot(args.out or os.path.join(os.path.dirname(__file__), "results"))
    if args.chunk:
        _compiled.chunk_rows = args.chunk
    opts = Options(
        args.quick,
        args.threads,
        args.n_jobs,
        np.dtype(args.dtype).type,
        args.repeats or (2 if args.quick else 3),
        args.out,
        time.process_time if args.cpu_time else time.perf_counter,
    )
    names = args.only.split(",") if args.only else list(SECTIONS)
    header = machine() + ("" if torch is None else f"; torch {torch.__version__}")
    for name in names:
        start = time.perf_counter()
        title, table = SECTIONS[name](opts)
        took = time.perf_counter() - start
        report(f"{header}\n\n{title} ({took:.0f} s)\n\n{table}", opts.out,
               f"scale_{name}")  # fmt: skip


if __name__ == "__main__":
    main()
