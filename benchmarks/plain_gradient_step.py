"""The "auto" step of "gd" and "sgd": today's curvature estimate against the
inputs' mean square alone, which skann used before.

    python benchmarks/plain_gradient_step.py SET,SET,...        # as preprocessed
    python benchmarks/plain_gradient_step.py SET,SET,... --ple  # embedded

Each set of ``tabular_data.py`` (classification), its 3 folds, the
preprocessing every scikit-learn-style model gets (``tabular.py``'s: one-hot
categoricals, standardised numbers), ``ANNClassifier(solver=...)`` at its
defaults with ``random_state`` the fold, twice, interleaved: with
``learning_rate="auto"`` (today) and with the step the former estimate gave,
passed explicitly (0.5 for "gd", 0.03 for "sgd", divided by the mean square
per input feature when it exceeds 1; with ``--ple`` the squares of the
encoded columns summed per feature).  Per set and solver: the mean test
accuracy and log loss over the folds, and both steps on the first fold; then
the means over the sets.  Results in
``benchmarks/results/plain_gradient_step.txt``.  Run it under
``nice -n 10`` on a shared machine.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one thread for every library, before numpy

import argparse  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import tabular_data as data  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from tabular import preprocessing  # noqa: E402

from skann import ANNClassifier  # noqa: E402
from skann._preprocessing import encode, fit_bins, layout  # noqa: E402

BASE = {"gd": 0.5, "sgd": 0.03}


def former_step(X, solver, ple):
    """The former "auto" step: the mean square per input feature."""
    encoded = encode(X, layout(fit_bins(X, 8))) if ple else X
    mean_square = np.sum(encoded**2) / X.shape[0] / X.shape[1]
    return BASE[solver] / max(1.0, mean_square)


def scores(name, solver, ple):
    """Per variant: the folds' (accuracy, log loss, step)."""
    X, y = data.load(name)
    result = {"today": [], "former": []}
    for fold, (train, test) in enumerate(data.folds(y, data.C)):
        prep = preprocessing().fit(X.iloc[train])
        X_train = np.asarray(prep.transform(X.iloc[train]), dtype=float)
        X_test = np.asarray(prep.transform(X.iloc[test]), dtype=float)
        for variant in result:
            step = "auto" if variant == "today" else former_step(X_train, solver, ple)
            clf = ANNClassifier(
                solver=solver,
                learning_rate=step,
                numerical_embedding="ple" if ple else None,
                random_state=fold,
            ).fit(X_train, y[train])
            proba = clf.predict_proba(X_test)
            result[variant].append(
                (
                    accuracy_score(y[test], clf.predict(X_test)),
                    log_loss(y[test], proba, labels=clf.classes_),
                    clf.learning_rate_,
                )
            )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", help="comma-separated, from tabular_data.py")
    parser.add_argument("--ple", action="store_true", help="numerical_embedding")
    args = parser.parse_args()
    means = {}
    for solver in BASE:
        for name in args.sets.split(","):
            result = scores(name, solver, args.ple)
            mean = {v: np.mean([f[:2] for f in r], axis=0) for v, r in result.items()}
            means.setdefault(solver, []).append(mean)
            print(
                f"{name:18s} {solver:3s} accuracy {mean['former'][0]:.4f} -> "
                f"{mean['today'][0]:.4f}  log loss {mean['former'][1]:.4f} -> "
                f"{mean['today'][1]:.4f}  step {result['former'][0][2]:.4g} -> "
                f"{result['today'][0][2]:.4g}",
                flush=True,
            )
    for solver, rows in means.items():
        former = np.array([r["former"] for r in rows])
        today = np.array([r["today"] for r in rows])
        print(
            f"{solver}: {len(rows)} sets, mean accuracy {former[:, 0].mean():.4f} "
            f"-> {today[:, 0].mean():.4f} (today >= former on "
            f"{np.sum(today[:, 0] >= former[:, 0])}), mean log loss "
            f"{former[:, 1].mean():.4f} -> {today[:, 1].mean():.4f} (today <= "
            f"former on {np.sum(today[:, 1] <= former[:, 1])})"
        )


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: defaults as used
        main()
