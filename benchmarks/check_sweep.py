"""Count scikit-learn's ``check_estimator`` failures over the configurations
users can pick.

By default ANNClassifier: 4 solvers x 4 activations x hidden_size in
(5, (4, 3)), defaults otherwise (the sweep tests/test_sklearn_checks.py runs
in CI).  ``--regressor``: the same grid for ANNRegressor (the one
tests/test_regressor.py runs).  ``--input-scaling smooth_clip`` (or ``none``)
sets that parameter on every configuration.  ``--seeds N``: every
configuration under random_state 0..N-1 (the checks fix 0; this replaces
their seed), to see how much of its passing depends on the seed.
``--only SOLVER[,SOLVER]``: those solvers only.  ``--mlp``: the same grid
for MLPClassifier's 3 solvers (24 configurations), for comparison.
``--lbfgs-seeds N``: the sample-weight equivalence checks of the 8 L-BFGS
classifier configurations under random_state 0..N-1.

    python benchmarks/check_sweep.py
    python benchmarks/check_sweep.py --regressor --seeds 5
    python benchmarks/check_sweep.py --input-scaling smooth_clip --seeds 5
    python benchmarks/check_sweep.py --mlp
    python benchmarks/check_sweep.py --lbfgs-seeds 10

Not a timing benchmark; run it under ``nice``: a sweep takes minutes.
"""

import argparse
import contextlib
import itertools
import warnings

from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import (
    check_estimator,
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)

from skann import ANNClassifier, ANNRegressor

SOLVERS = ["gd", "sgd", "adam", "lbfgs"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
HIDDEN_SIZES = [5, (4, 3)]


@contextlib.contextmanager
def seeded(seed):
    """The checks seed their fits with ``set_random_state(est, 0)``: use
    ``seed`` instead (None keeps theirs)."""
    fixed = estimator_checks.set_random_state
    if seed is not None:
        estimator_checks.set_random_state = lambda est, random_state=0: fixed(est, seed)
    try:
        yield
    finally:
        estimator_checks.set_random_state = fixed


def sweep(make, solvers, seeds=(None,)):
    total = runs = 0
    for solver, activation, size in itertools.product(
        solvers, ACTIVATIONS, HIDDEN_SIZES
    ):
        failed = []
        for seed in seeds:
            with seeded(seed):
                results = check_estimator(make(solver, activation, size), on_fail=None)
            failed += [
                (seed, r["check_name"]) for r in results if r["status"] == "failed"
            ]
            runs += 1
        total += len(failed)
        print(solver, activation, size, len(failed), sorted(set(failed)), flush=True)
    print(f"TOTAL failed {total} in {runs} check_estimator runs")


def lbfgs_seeds(n_seeds):
    checks = [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
    ]
    total = 0
    for activation, size in itertools.product(ACTIVATIONS, HIDDEN_SIZES):
        failing = []
        for seed in range(n_seeds):
            est = ANNClassifier(solver="lbfgs", activation=activation, hidden_size=size)
            try:
                with seeded(seed):
                    for check in checks:
                        check("ANNClassifier", est)
            except AssertionError:
                failing.append(seed)
        total += len(failing)
        print("lbfgs", activation, size, "failing seeds", failing, flush=True)
    print(f"TOTAL {total} of {8 * n_seeds}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlp", action="store_true")
    parser.add_argument("--regressor", action="store_true")
    parser.add_argument("--input-scaling")  # default: the estimator's
    parser.add_argument("--seeds", type=int, default=0)
    parser.add_argument("--only", default=",".join(SOLVERS))
    parser.add_argument("--lbfgs-seeds", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scaling = {}
    if args.input_scaling is not None:
        scaling["input_scaling"] = (
            None if args.input_scaling == "none" else args.input_scaling
        )
    seeds = range(args.seeds) if args.seeds else (None,)
    solvers = args.only.split(",")
    if args.lbfgs_seeds:
        lbfgs_seeds(args.lbfgs_seeds)
    elif args.mlp:
        from sklearn.neural_network import MLPClassifier

        sweep(
            lambda s, a, h: MLPClassifier(solver=s, activation=a, hidden_layer_sizes=h),
            [s for s in solvers if s != "gd"],
            seeds,
        )
    else:
        model = ANNRegressor if args.regressor else ANNClassifier
        sweep(
            lambda s, a, h: model(solver=s, activation=a, hidden_size=h, **scaling),
            solvers,
            seeds,
        )


if __name__ == "__main__":
    main()
