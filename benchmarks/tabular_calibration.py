"""How much of skann's log-loss gap to MLPClassifier a temperature could close.

    python benchmarks/tabular_calibration.py
    python benchmarks/tabular_calibration.py --datasets iris,wine --models skann,mlp

For each data set and model (``benchmarks/tabular.py``'s folds, preprocessing
and models), the predicted probabilities of every test fold, pooled; their
log loss; and, fitted with hindsight on those same test rows, the one
temperature ``T`` (logits divided by ``T``) that minimises it and the log
loss it reaches.  ``T > 1``: the model was overconfident.  An upper bound on
what any post-hoc temperature can do, not a method: docs/good_defaults.rst
quotes it for the sets where skann's log loss loses to MLPClassifier's.
"""

import argparse

import tabular  # first: one thread for every library

# isort: split
import numpy as np
import tabular_data as data
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

LOSING = "breast_cancer,biopsy,anes96,titanic,fishing,participation"


def pooled_log_proba(model, X, y):
    """Log-probabilities of the test rows of every fold, and their class codes."""
    logs, codes = [], []
    for train, test in data.folds(y, data.C):
        classes, proba, _ = tabular.fit_predict(model, data.C, X, y, train, test)
        logs.append(np.log(proba))
        codes.append(np.searchsorted(classes, y[test]))
    return np.vstack(logs), np.concatenate(codes)


def best_temperature(Z, codes):
    """``(log loss, best T, log loss at best T)`` of logits ``Z``."""

    def loss(log_t):
        scaled = log_softmax(Z * np.exp(-log_t), axis=1)
        return -np.mean(scaled[np.arange(len(codes)), codes])

    best = minimize_scalar(loss, bounds=(-3, 3), method="bounded")
    return loss(0.0), float(np.exp(best.x)), best.fun


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=LOSING)
    parser.add_argument("--models", default="skann,mlp")
    args = parser.parse_args(argv)
    tabular.pin()
    for dataset in args.datasets.split(","):
        X, y = data.load(dataset)
        cells = []
        for model in args.models.split(","):
            loss, t, calibrated = best_temperature(*pooled_log_proba(model, X, y))
            cells.append(f"{model}: {loss:.4f}, T {t:.2f} -> {calibrated:.4f}")
        print(f"{dataset:17s} " + "   ".join(cells), flush=True)


if __name__ == "__main__":
    main()
