"""How often a fit on weighted rows and one on repeated rows end apart.

    python benchmarks/sample_weight_equivalence.py
    python benchmarks/sample_weight_equivalence.py --alpha 0.2 --seeds 8
    python benchmarks/sample_weight_equivalence.py --solvers adam \
        --alpha 0.1 --weight-decay 0
    python benchmarks/sample_weight_equivalence.py --embedding ple

The data of scikit-learn's ``check_sample_weight_equivalence`` (15 rows, 30
features, 3 classes, integer weights 0-4), ``hidden_size=(4, 3)``, every
solver and activation, one seed after another: the largest relative
difference between the two fits' probabilities, the seeds beyond the
check's tolerance (``rtol=1e-7``) there, and the seeds on which the check
itself fails: it also compares ``decision_function``, the logits, whose
values near 0 leave less room (``atol=1e-9``).  ``--hidden 5``: the other
size scikit-learn's checks run in tests/test_sklearn_checks.py.  In real
arithmetic the two fits are the
same; in floating point their sums run in another order.  ``--alpha`` sets
the penalty of every solver (by default each solver's "auto"),
``--weight-decay`` its decoupled decay (the same, "lbfgs" excepted),
``--embedding`` the ``numerical_embedding``.  Output in
benchmarks/results/sample_weight_equivalence.txt; docs/how_it_learns.rst
quotes it.
"""

import argparse
import ast
import warnings

import numpy as np
from sklearn.utils import shuffle

from skann import ANNClassifier

RTOL, ATOL = 1e-7, 1e-9  # assert_allclose_dense_sparse's, as the check uses


def check_data():
    """The weighted and the repeated data, as the check builds them."""
    rng = np.random.RandomState(42)
    n_samples = 15
    X = rng.rand(n_samples, n_samples * 2)
    y = rng.randint(0, 3, size=n_samples)
    sw = rng.randint(0, 5, size=n_samples)
    repeated = X.repeat(sw, axis=0), y.repeat(sw)
    return X, shuffle(X, y, sw, random_state=0), repeated


def gap(params, X, weighted, repeated):
    """The largest relative difference of the two fits' probabilities on X,
    and whether the check fails (probabilities or logits apart)."""
    Xw, yw, sw = weighted
    a = ANNClassifier(**params).fit(*repeated)
    b = ANNClassifier(**params).fit(Xw, yw, sample_weight=sw)
    fails = False
    for method in ("predict_proba", "decision_function"):
        pa, pb = getattr(a, method)(X), getattr(b, method)(X)
        fails |= bool(np.any(np.abs(pa - pb) > ATOL + RTOL * np.abs(pb)))
    pa, pb = a.predict_proba(X), b.predict_proba(X)
    return float(np.max(np.abs(pa - pb) / np.abs(pb))), fails


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=16)
    number = lambda v: v if v == "auto" else float(v)  # noqa: E731
    parser.add_argument("--alpha", default="auto", type=number)
    parser.add_argument("--weight-decay", default="auto", type=number)
    parser.add_argument("--solvers", default="gd,sgd,adam,lbfgs")
    parser.add_argument("--hidden", default="(4, 3)", type=ast.literal_eval)
    parser.add_argument("--embedding", choices=["ple"])
    args = parser.parse_args()
    X, weighted, repeated = check_data()
    for solver in args.solvers.split(","):
        for activation in ("identity", "logistic", "tanh", "relu"):
            params = dict(
                solver=solver,
                activation=activation,
                hidden_size=args.hidden,
                alpha=args.alpha,
                weight_decay="auto" if solver == "lbfgs" else args.weight_decay,
                numerical_embedding=args.embedding,
            )
            gaps, fails = zip(
                *(
                    gap(dict(params, random_state=seed), X, weighted, repeated)
                    for seed in range(args.seeds)
                )
            )
            beyond = [seed for seed, g in enumerate(gaps) if g > RTOL]
            failing = [seed for seed, f in enumerate(fails) if f]
            print(
                f"{solver:5s} {activation:8s} largest {max(gaps):.0e}  "
                f"beyond {RTOL:.0e}: {len(beyond)} of {args.seeds} {beyond}  "
                f"check fails: {len(failing)} {failing}",
                flush=True,
            )


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: defaults as used
        main()
