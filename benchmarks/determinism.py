"""Dump the fitted weights of a few configurations, to compare before/after a change.

    python benchmarks/determinism.py save before.npz
    python benchmarks/determinism.py compare before.npz

Optimisations must not change what is learned: the comparison reports, per
configuration, whether the weights are bit-identical or the largest difference.
"""

import sys
import warnings

import numpy as np
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)

from skann import ANNClassifier


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


if __name__ == "__main__":
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
