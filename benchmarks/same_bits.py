"""Whether a change leaves skann's networks as they were, to the last bit.

Fits a grid of small models (every solver and hidden activation, float64 and
float32, binary, balanced, multilabel and regression targets with sample
weights, restore_best with calibrate, early stopping, a partial_fit after
the fit, on the compiled loop and on the numpy core) and writes a hash of
each fitted parameter buffer and of its predictions to a file.  Run it on
two trees (e.g. a build of the main branch and of a change that adds an
ingredient, switched off) and compare::

    git archive main | tar -x -C /tmp/main && (cd /tmp/main &&
        python setup.py build_ext --inplace -q)
    PYTHONPATH=/tmp/main python benchmarks/same_bits.py /tmp/main.json
    PYTHONPATH=. python benchmarks/same_bits.py /tmp/new.json --compare /tmp/main.json
"""

import argparse
import hashlib
import json
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_regression

from skann import ANNClassifier, ANNRegressor, _compiled


def digest(array):
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()


def problems():
    X, y = make_classification(240, 6, n_classes=3, n_informative=4, random_state=0)
    Xr, yr = make_regression(240, 6, noise=1, random_state=0)
    multilabel = np.c_[y == 0, y == 1].astype(int)
    return X, y, Xr, yr, multilabel


# Ingredients newer than some trees this compares, switched off where the
# tree has them: their default changes what these fits learn.
SWITCHED_OFF = {"epoch_cv": None}


def models(solver, activation):
    known = ANNClassifier().get_params()
    kw = dict(
        hidden_size=(7, 5),
        activation=activation,
        solver=solver,
        random_state=1,
        max_iter=15,
        **{k: v for k, v in SWITCHED_OFF.items() if k in known},
    )
    held_out = solver != "lbfgs"
    return {
        "classes": ANNClassifier(**kw, restore_best=held_out, calibrate=True),
        "balanced": ANNClassifier(**kw, class_weight="balanced"),
        "multilabel": ANNClassifier(**kw),
        "regression": ANNRegressor(**kw, early_stopping=held_out),
    }


def fingerprints():
    X, y, Xr, yr, multilabel = problems()
    data = {
        "classes": (X, y),
        "balanced": (X, y == 0),
        "multilabel": (X, multilabel),
        "regression": (Xr, yr),
    }
    weights = np.linspace(0.5, 1.5, X.shape[0])
    out = {}
    for compiled in (True, False):
        _compiled.enabled = compiled and _compiled.COMPILED
        for solver in ("adam", "sgd", "gd", "lbfgs"):
            for activation in ("relu", "tanh", "logistic"):
                for dtype in (np.float64, np.float32):
                    for name, model in models(solver, activation).items():
                        XX, yy = data[name]
                        XX = XX.astype(dtype)
                        model.fit(XX, yy, sample_weight=weights)
                        if solver != "lbfgs":
                            model.set_params(early_stopping=False)
                            model.partial_fit(XX, yy)
                        predict = getattr(model, "predict_proba", model.predict)
                        key = (
                            f"{compiled} {solver} {activation} {dtype.__name__} {name}"
                        )
                        out[key] = [digest(model._params), digest(predict(XX[:50]))]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="where to write the hashes (JSON)")
    parser.add_argument("--compare", help="another run's file to compare with")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = fingerprints()
    with open(args.out, "w") as f:
        json.dump(found, f, indent=0)
    print(f"{len(found)} fits hashed into {args.out}")
    if args.compare:
        with open(args.compare) as f:
            other = json.load(f)
        differ = sorted(k for k in found if other.get(k) != found[k])
        print(f"{len(differ)} of {len(found)} differ from {args.compare}")
        for key in differ:
            print("  ", key)


if __name__ == "__main__":
    main()
