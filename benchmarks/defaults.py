"""Accuracy of ANNClassifier's defaults, per solver, on four small datasets.

5-fold stratified cross-validation of ``make_pipeline(StandardScaler(),
ANNClassifier(solver=s, random_state=0))`` -- every other parameter at its
default -- on iris, wine, breast_cancer and digits.  Prints one row per
solver: the mean accuracy per dataset and the total fit time.

Run it against another build (say, main before a change of defaults) by
putting that build first on the path::

    python benchmarks/defaults.py
    PYTHONPATH=/path/to/other/checkout python benchmarks/defaults.py

Not a timing benchmark: the times only say whether a default got much slower.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skann
from skann import ANNClassifier

DATASETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
SOLVERS = ["gd", "sgd", "adam", "lbfgs"]


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"skann from {skann.__file__}")
    print(f"{'solver':8s}" + "".join(f"{name:>15s}" for name in DATASETS) + "   fit s")
    for solver in SOLVERS:
        row, seconds = [], 0.0
        for load in DATASETS.values():
            X, y = load(return_X_y=True)
            model = make_pipeline(
                StandardScaler(), ANNClassifier(solver=solver, random_state=0)
            )
            started = time.perf_counter()
            scores = cross_validate(model, X, y, cv=cv)["test_score"]
            seconds += time.perf_counter() - started
            row.append(f"{np.mean(scores):.3f} ± {np.std(scores):.3f}")
        print(
            f"{solver:8s}" + "".join(f"{cell:>15s}" for cell in row) + f"{seconds:8.1f}"
        )


if __name__ == "__main__":
    main()
