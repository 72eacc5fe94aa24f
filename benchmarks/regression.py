"""ANNRegressor on real data, and its speed per epoch against MLPRegressor.

    pip install -e '.[bench]'                 # the data sets' packages
    python benchmarks/regression.py           # both parts
    python benchmarks/regression.py --only accuracy --models skann,mlp
    python benchmarks/regression.py --only speed --repeats 5

Measures
--------
accuracy  ``benchmarks/tabular.py --task regression`` (any other option of
          it passes through): the regression sets that ship inside
          installable packages, 3 folds, R² per set and its summary against
          MLPRegressor, RidgeCV, HistGradientBoostingRegressor and the
          anchors.
speed     The Adam benchmark's shape with a continuous target: ``make_regression(50_000,
          100)``, hidden 100, adam, batch 200, 5 epochs at ``tol=0``, each
          contender on one BLAS thread, interleaved: ms per epoch against
          MLPRegressor, in float64 and float32.

Run it under ``nice -n 10`` on a shared machine: the accuracy part is
deterministic, the speed part is a ratio of interleaved runs.
"""

import argparse

import tabular  # first: one thread for every library

# isort: split
import numpy as np
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from skann import ANNRegressor


def w1(dtype):
    X, y = make_regression(50_000, 100, n_informative=50, noise=10, random_state=0)
    return X.astype(dtype), y


def bench_speed(repeats, epochs=5):
    from bench import Row, fmt, interleaved, machine, median, print_table, timed

    print(machine(), flush=True)
    rows = []
    common = dict(
        solver="adam",
        batch_size=200,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    for dtype in (np.float64, np.float32):
        X, y = w1(dtype)

        def one_thread(make):
            run = timed(lambda: make().fit(X, y))

            def limited():
                with threadpool_limits(1, "blas"):
                    return run()

            return limited

        res = interleaved(
            {
                "skann": one_thread(lambda: ANNRegressor(hidden_size=100, **common)),
                "mlp": one_thread(
                    lambda: MLPRegressor(hidden_layer_sizes=(100,), **common)
                ),
            },
            repeats,
        )
        ms = {k: 1000 * median(v) / epochs for k, v in res.items()}
        ratios = [m / s for s, m in zip(res["skann"], res["mlp"])]
        speedup = ms["mlp"] / ms["skann"]
        rows.append(
            Row(
                f"Adam benchmark, regression, {np.dtype(dtype).name}, one core, "
                "ms/epoch",
                fmt(ms["skann"], "ms"),
                "MLPRegressor, 1 BLAS thread",
                fmt(ms["mlp"], "ms"),
                f"{speedup:.1f}x faster ({min(ratios):.1f}-{max(ratios):.1f})",
                ">= 2.5x faster",
                speedup >= 2.5,
            )
        )
    print()
    print_table(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="accuracy,speed")
    parser.add_argument("--repeats", type=int, default=5)
    args, rest = parser.parse_known_args()
    parts = args.only.split(",")
    if "accuracy" in parts:
        tabular.main(["--task", "regression", *rest])
    if "speed" in parts:
        bench_speed(args.repeats)


if __name__ == "__main__":
    main()
