"""``python -m skann``: the lesson's AND gate, then real classification and
regression datasets, in seconds."""

import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier, ANNRegressor, __version__


def and_gate():
    print("1. The lesson: a 2-4-1 network learns the AND gate")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    clf = ANNClassifier(
        hidden_size=4,
        solver="gd",
        learning_rate=0.1,
        max_iter=10000,
        tol=0,
        n_iter_no_change=10000,
        random_state=42,
    )
    with warnings.catch_warnings():
        # The lesson runs all 10,000 epochs on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    for epoch in range(0, clf.n_iter_, 1000):
        print(f"   Epoch {epoch}: Cost = {clf.loss_curve_[epoch]:.6f}")
    print(f"   Predictions: {clf.predict(X)}   (expected [0 0 0 1])")
    print(f"   P(y=1): {np.round(clf.predict_proba(X)[:, 1], 3)}")


def _timed_fit(model, X, y):
    """Fit ``model`` and return the seconds it took.  The demo's short runs
    may stop before they converge, which is no news here."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def digits():
    print("2. Handwritten digits (8x8 images, 10 classes)")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(
        StandardScaler(), ANNClassifier(hidden_size=64, max_iter=100, random_state=0)
    )
    seconds = _timed_fit(model, X_train, y_train)
    clf = model[-1]
    print(
        f"   {X_train.shape[0]} training images, {clf.n_iter_} epochs of adam "
        f"in {seconds:.2f} s"
    )
    print(f"   Test accuracy: {model.score(X_test, y_test):.3f}")


def diabetes():
    print("3. Regression: disease progression (10 features, targets 25 to 346)")
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    # diabetes is small and nearly linear: a small, strongly regularised net
    model = make_pipeline(
        StandardScaler(),
        ANNRegressor(hidden_size=8, solver="lbfgs", alpha=10.0, random_state=0),
    )
    seconds = _timed_fit(model, X_train, y_train)
    reg = model[-1]
    print(
        f"   {X_train.shape[0]} patients, {reg.n_iter_} iterations of lbfgs "
        f"in {seconds:.2f} s; targets standardised inside (mean "
        f"{reg.target_mean_[0]:.1f}, scale {reg.target_scale_[0]:.1f})"
    )
    # R² on one split of so few patients moves with the split: the docs and
    # examples/plot_regression.py quote the default network's mean over the
    # folds of the regression benchmark instead.
    print(f"   Test R² on this split: {model.score(X_test, y_test):.3f}")
    print(f"   Predicted {np.round(model.predict(X_test[:3]))}, true {y_test[:3]}")


def main():
    print(f"skann {__version__}\n")
    and_gate()
    print()
    digits()
    print()
    diabetes()


if __name__ == "__main__":
    main()
