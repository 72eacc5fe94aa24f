"""Dump the fitted weights of a few configurations, to compare before/after a change.

    python benchmarks/determinism.py save before.npz
    python benchmarks/determinism.py compare before.npz
    python benchmarks/determinism.py check

Optimisations must not change what is learned: the comparison reports, per
configuration, whether the weights are bit-identical or the largest difference.
``check`` needs no saved run: it fits every configuration twice with the
compiled loop (the bits must be the same run to run) and once on the numpy
core (the weights and loss curves must agree within :data:`TOLERANCE`, the
tolerances tests/test_compiled.py holds the compiled loop to), and exits
non-zero when either fails.
"""

import sys
import warnings

import numpy as np
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)

from skann import ANNClassifier, _compiled

# Largest relative difference (to the largest weight) allowed between the
# compiled loop and the numpy core: they differ by rounding only (the math
# library's exp/log against numpy's, sums added in another order).
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def configs():
    Xb, yb = make_classification(600, 20, random_state=0)
    Xd, yd = load_digits(return_X_y=True)
    Xd = Xd[:600] / 16
    yd = yd[:600]
    Xm, Ym = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    sw = np.random.RandomState(0).uniform(0, 2, 600)
    yield "adam-binary", ANNClassifier(random_state=0, max_iter=5), Xb, yb, None
    yield (
        "adam-binary-f32",
        ANNClassifier(random_state=0, max_iter=5),
        Xb.astype(np.float32),
        yb,
        None,
    )
    yield (
        "sgd-digits",
        ANNClassifier(
            solver="sgd",
            learning_rate=0.05,
            max_iter=5,
            random_state=1,
            hidden_size=(30, 20),
            activation="tanh",
        ),
        Xd,
        yd,
        None,
    )
    yield (
        "adam-digits-sw",
        ANNClassifier(
            max_iter=5, random_state=2, activation="logistic", class_weight="balanced"
        ),
        Xd,
        yd,
        sw,
    )
    yield (
        "gd-binary",
        ANNClassifier(solver="gd", learning_rate=0.1, max_iter=50, random_state=3),
        Xb,
        yb,
        sw,
    )
    yield (
        "lbfgs-digits",
        ANNClassifier(solver="lbfgs", max_iter=30, random_state=4),
        Xd,
        yd,
        None,
    )
    yield (
        "adam-multilabel",
        ANNClassifier(max_iter=5, random_state=5, batch_size=32),
        Xm,
        Ym,
        None,
    )
    yield (
        "sgd-nonesterov-identity",
        ANNClassifier(
            solver="sgd",
            nesterovs_momentum=False,
            activation="identity",
            max_iter=5,
            random_state=6,
            batch_size=50,
        ),
        Xb,
        yb,
        None,
    )


def fitted():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, clf, X, y, sw in configs():
            clf.fit(X, y, sample_weight=sw)
            out[name] = clf._params.copy()
            out[name + ":loss"] = np.asarray(clf.loss_curve_)
            # partial_fit continuation as well
            if clf.solver != "lbfgs":
                clf.partial_fit(X[:10], y[:10])
                out[name + "+pf"] = clf._params.copy()
                out[name + "+pf:loss"] = np.asarray(clf.loss_curve_)
    return out


def relative_difference(a, b):
    scale = np.max(np.abs(a))
    return float(np.max(np.abs(a - b)) / scale) if scale else float(np.max(b != a))


def check():
    """Compiled twice (same bits?) against the numpy core (within tolerance?)."""
    if not _compiled.COMPILED:
        print("the compiled loop is not built: nothing to check")
        return 1
    runs = [fitted(), fitted()]
    enabled, _compiled.enabled = _compiled.enabled, False
    try:
        numpy_core = fitted()
    finally:
        _compiled.enabled = enabled
    failures = 0
    for name, params in runs[0].items():
        same = np.array_equal(params, runs[1][name])
        rel = relative_difference(numpy_core[name], params)
        dtype = runs[0][name.split(":")[0]].dtype  # a loss curve: its model's
        tol = TOLERANCE[dtype]
        ok = same and rel <= tol
        failures += not ok
        print(
            f"{name:32s} run to run {'identical' if same else 'DIFFERENT'}; "
            f"numpy core {rel:.1e} ({dtype}, tolerance {tol:.0e})"
            f"{'' if ok else '  FAIL'}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1] == "check":
        sys.exit(check())
    cmd, path = sys.argv[1], sys.argv[2]
    now = fitted()
    if cmd == "save":
        np.savez(path, **now)
    else:
        before = np.load(path)
        for name, params in now.items():
            old = before[name]
            if old.shape != params.shape:
                print(f"{name:32s} different shapes {old.shape} {params.shape}")
            elif np.array_equal(old, params):
                print(f"{name:32s} identical")
            else:
                rel = np.max(np.abs(old - params)) / np.max(np.abs(old))
                print(f"{name:32s} max relative difference {rel:.2e}")
