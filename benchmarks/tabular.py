"""Real tabular data: skann's defaults against the usual choices and the best
tabular networks, in classification and regression.

    python benchmarks/tabular.py                     # skann, mlp, linear, hgb
    python benchmarks/tabular.py --task regression --anchors
    python benchmarks/tabular.py --models skann,mlp --datasets iris,diabetes
    python benchmarks/tabular.py --quick             # sets of <= 3,000 rows
    python benchmarks/tabular.py --ablation          # each new default removed
    python benchmarks/tabular.py --seeds skann,skann@alpha=0.2  # variants and
                                                     # MLP, counted against MLP
    python benchmarks/tabular.py --describe          # the table of the sets
    python benchmarks/tabular.py --export DIR        # the sets, for anchors.py
    python benchmarks/tabular.py --import-anchors FILE  # anchors.py's results
    python benchmarks/tabular.py --plot docs/_static/good_defaults.png

The sets, their folds and scores are ``tabular_data.py``'s: every one ships
inside an installable package (the ``bench`` extra), 3 folds each.  Models:
``skann`` (``ANNClassifier()`` / ``ANNRegressor()``), ``mlp``
(``MLPClassifier()`` / ``MLPRegressor()``), ``linear``
(``LogisticRegression`` / ``RidgeCV``), ``hgb`` (HistGradientBoosting), and the
anchors ``tabm-d`` and ``realmlp-td`` (pytabkit, ``anchors.py``), all at
their defaults; ``skann@name=value@...`` is skann with those parameters
(values as Python literals).  The scikit-learn-style models see the same
preprocessing: median / most-frequent imputation, one-hot categoricals,
``StandardScaler``.  The anchors get the raw frame.  The neural models are
fitted from ``--n-seeds`` seeds (the anchors from ``--anchor-seeds``), and
each set compares their seed-averaged scores.

Every fit is cached under (model, a hash of its parameters, set, fold, seed)
in ``benchmarks/.cache/tabular.jsonl`` (JSON lines, outside git), so a run
resumes where the last one stopped and a change of defaults is measured
anew.  ``--anchors`` adds the anchors from the cache only (fit them on a GPU
with ``anchors.py``, or name them in ``--models`` to fit them here).  The
process runs on one core (``--cpu``) and every library on one thread: fit
times compare single-threaded work.  Run it under ``nice -n 10`` on a shared
machine.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one thread for every library, before numpy

import argparse  # noqa: E402
import ast  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

import anchors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tabular_data as data  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeCV  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skann import ANNClassifier, ANNRegressor, SmoothClipScaler  # noqa: E402
from skann._base import resolve_auto  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache", "tabular.jsonl")
C, R = data.C, data.R
METRICS = {C: ("accuracy", "log_loss"), R: ("r2",)}


# ------------------------------------------------------------------- models
def preprocessing(scaler=None):
    """The same for every scikit-learn-style model (``scaler``: another
    scaler of the numeric columns than ``StandardScaler``, to measure it)."""
    numbers = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler() if scaler is None else scaler,
    )
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("num", numbers, make_column_selector(dtype_include="number")),
            ("cat", categories, make_column_selector(dtype_exclude="number")),
        ]
    )


# The defaults of skann 0.1 (MLPClassifier's), written out: the baseline
# stays measurable after the defaults change.
SKANN_01 = dict(
    hidden_size=100,
    weight_init="he",
    alpha=0.0001,
    label_smoothing=0.0,
    restore_best=False,
    calibrate=False,
    numerical_embedding=None,
    weight_decay=0.0,
    input_scaling=None,
)

# The ablation.  Each ingredient of the new defaults, and the parameters that
# remove it (back to skann 0.1's value) ...
INGREDIENTS = {
    "weight_init": dict(weight_init="he"),
    "hidden_size": dict(hidden_size=100),
    "alpha": dict(alpha=0.0001, weight_decay=0.0),  # the regularisation
    "input_scaling": dict(input_scaling=None),  # the smooth clip of the inputs
}
# ... and each candidate the evidence left out, added to the new defaults.
CANDIDATES = {
    "step_0.01": dict(learning_rate=0.01),
    "alpha_0.01": dict(alpha=0.01, weight_decay=0.0),  # the penalty's neighbours
    "alpha_0.3": dict(alpha=0.3, weight_decay=0.0),
    "label_smoothing": dict(label_smoothing=0.1),
    "cosine": dict(learning_rate_schedule="cosine", learning_rate=0.003),
    "beta_2": dict(beta_2=0.95),
    "restore_best": dict(restore_best=True),
    "calibrate": dict(restore_best=True, calibrate=True),
    "ple": dict(numerical_embedding="ple", n_bins=8),  # TabM's inputs
    "realmlp_recipe": dict(
        label_smoothing=0.1,
        learning_rate_schedule="cosine",
        learning_rate=0.003,
        beta_2=0.95,
        restore_best=True,
    ),
}


def _skann(**params):
    unknown = set(params) - set(
        ANNClassifier().get_params() | ANNRegressor().get_params()
    )
    if unknown:  # (an older skann on the path would drop them silently)
        raise ValueError(f"no such skann parameter: {sorted(unknown)}")

    def make(task, seed):
        cls = ANNClassifier if task == C else ANNRegressor
        supported = cls().get_params()
        kept = {k: v for k, v in params.items() if k in supported}
        return cls(**{"random_state": seed, **kept})

    return make


def _either(classifier, regressor):
    return lambda task, seed: (classifier if task == C else regressor)(seed)


MODELS = {  # name -> make(task, seed)
    "skann": _skann(),
    "skann-0.1": _skann(**SKANN_01),
    "mlp": _either(
        lambda s: MLPClassifier(random_state=s), lambda s: MLPRegressor(random_state=s)
    ),
    "linear": _either(lambda s: LogisticRegression(max_iter=1000), lambda s: RidgeCV()),
    "hgb": _either(
        lambda s: HistGradientBoostingClassifier(random_state=s),
        lambda s: HistGradientBoostingRegressor(random_state=s),
    ),
}
for _ingredient, _removed in INGREDIENTS.items():
    MODELS[f"skann-no-{_ingredient}"] = _skann(**_removed)
for _candidate, _added in CANDIDATES.items():
    MODELS[f"skann+{_candidate}"] = _skann(**_added)
# SmoothClipScaler in place of StandardScaler (see build), and not inside.
MODELS["skann+smoothclip"] = _skann(input_scaling=None)
for _anchor in anchors.ANCHORS:
    MODELS[_anchor] = lambda task, seed, a=_anchor: anchors.make(a, task, seed)

DEFAULT_MODELS = ["skann", "mlp", "linear", "hgb"]
ONE_SEED = {"linear", "hgb"}  # no randomness at these sizes: one fit a fold


def make_model(model, task, seed):
    """``MODELS[model]``, or ``skann@name=value@...``."""
    if model.startswith("skann@"):
        params = dict(item.split("=", 1) for item in model.split("@")[1:])
        params.pop("scaler", None)  # see build
        # a parameter of one estimator only is left out for the other
        known = ANNClassifier().get_params() | ANNRegressor().get_params()
        unknown = set(params) - set(known)
        if unknown:
            raise ValueError(f"{model}: no such parameter {sorted(unknown)}")
        return _skann(**{k: ast.literal_eval(v) for k, v in params.items()})(task, seed)
    return MODELS[model](task, seed)


def build(model, task, seed):
    estimator = make_model(model, task, seed)
    if model in anchors.ANCHORS:
        return estimator
    smoothclip = "@scaler=smoothclip" in model or model == "skann+smoothclip"
    scaler = SmoothClipScaler() if smoothclip else None
    return make_pipeline(preprocessing(scaler), estimator)


def fingerprint(model, task):
    """A hash of the model's parameters: a cached result counts only for
    the same parameters."""
    if model in anchors.ANCHORS:
        return anchors.fingerprint(model, task)
    estimator = make_model(model, task, 0)
    params = estimator.get_params()
    if "weight_init" in params:  # skann: "auto" as resolved in fit
        solver = params["solver"]
        resolved = ["weight_init", "alpha", "weight_decay"] + (
            ["learning_rate"] if solver == "adam" else []
        )
        for name in resolved:  # (gd's and sgd's step sizes depend on X)
            value = resolve_auto(solver, name, params[name], None, params["activation"])
            estimator.set_params(**{name: value})
    params = {k: v for k, v in estimator.get_params().items() if k != "random_state"}
    text = f"{type(estimator).__name__}{sorted(params.items())}"
    if "@scaler=" in model:
        text += model.split("@scaler=")[1].split("@")[0]
    if model == "skann+smoothclip":
        text += "smoothclip"
    return hashlib.md5(text.encode()).hexdigest()[:8]


# -------------------------------------------------------------------- runs
def split(model, X, train, test):
    """The training and test rows of ``X`` as ``model`` sees them."""
    X_train, X_test = X.iloc[train], X.iloc[test]
    if model in anchors.ANCHORS:
        return anchors.fill_missing(X_train, X_test)
    return X_train, X_test


def fit_predict(model, task, X, y, train, test, seed=0):
    """Fit ``model`` on the ``train`` rows: ``(classes, prediction of the
    test rows, fit seconds)`` (``tabular_data.fit_predict``)."""
    X_train, X_test = split(model, X, train, test)
    return data.fit_predict(build(model, task, seed), task, X_train, y[train], X_test)


def store(cache, path, key, result):
    cache[key] = result
    data.append_line(path, {"key": key, "result": result})


def fit_fold(model, task, X, y, train, test, seed):
    """Fit ``model`` on the ``train`` rows here: its cache entry."""
    X_train, X_test = split(model, X, train, test)
    estimator = build(model, task, seed)
    result = data.fit_and_score(estimator, task, X_train, y[train], X_test, y[test])
    return dict(result, device="cpu")


def average(per_seed, task):
    """The scores of a set from its results ``per_seed`` (a list of the
    folds' results for each seed): each the mean over the folds, then over
    the seeds; the fit time the sum over the folds, then the mean."""
    scores = {
        metric: float(np.mean([[r[metric] for r in rs] for rs in per_seed]))
        for metric in METRICS[task]
    }
    scores["fit_time"] = float(
        np.mean([sum(r["fit_time"] for r in rs) for rs in per_seed])
    )
    scores["device"] = per_seed[0][0].get("device", "cpu")
    return scores


def run(models, datasets, cache, path, seeds, cached_only=(), verbose=True):
    """Fill ``cache`` with every (model, set, fold, seed): ``{(model, set):
    scores}`` (``average``).  A model in ``cached_only`` is never fitted,
    and left out of a set where the cache lacks a fit."""
    summary, prints = {}, {}
    for dataset in datasets:
        task = data.DATASETS[dataset].task
        X, y = data.load(dataset)
        splits = data.folds(y, task)
        for model in models:
            if (model, task) not in prints:
                prints[model, task] = fingerprint(model, task)
            keys = {
                seed: [
                    anchors.key(model, prints[model, task], dataset, k, seed)
                    for k in range(len(splits))
                ]
                for seed in seeds(model)
            }
            for seed, fold_keys in keys.items():
                for key, (train, test) in zip(fold_keys, splits):
                    if key not in cache and model not in cached_only:
                        result = fit_fold(model, task, X, y, train, test, seed)
                        store(cache, path, key, result)
            if any(k not in cache for ks in keys.values() for k in ks):
                continue
            scores = average([[cache[k] for k in ks] for ks in keys.values()], task)
            summary[model, dataset] = scores
            if verbose:
                print(
                    f"  {dataset:17s} {model:22s} "
                    + "  ".join(f"{m} {scores[m]:.4f}" for m in METRICS[task])
                    + f"  fit {scores['fit_time']:7.2f} s",
                    flush=True,
                )
    return summary


# ------------------------------------------------------------------ reports
def table(summary, models, datasets, metric):
    """One column per model, one row per set (NaN where a model did not run)."""
    return pd.DataFrame(
        {
            m: [summary.get((m, d), {}).get(metric, np.nan) for d in datasets]
            for m in models
        },
        index=datasets,
    )


def scores(summary, models, datasets, task):
    """One row per model: means, mean ranks, counts against MLP and the
    linear model, total fit seconds."""
    fit = table(summary, models, datasets, "fit_time")
    rows = {}
    if task == C:
        acc = table(summary, models, datasets, "accuracy")
        loss = table(summary, models, datasets, "log_loss")
        rows["mean acc"] = acc.mean()
        rows["acc rank"] = acc.rank(axis=1, ascending=False).mean()
        rows["mean logloss"] = loss.mean()
        rows["logloss rank"] = loss.rank(axis=1).mean()
        if "mlp" in models:
            rows["acc >= mlp"] = acc.ge(acc["mlp"], axis=0).sum()
            rows["logloss <= mlp"] = loss.le(loss["mlp"], axis=0).sum()
    else:
        r2 = table(summary, models, datasets, "r2")
        rows["mean R2"] = r2.mean()
        rows["R2 rank"] = r2.rank(axis=1, ascending=False).mean()
        if "mlp" in models:
            rows["R2 >= mlp"] = r2.ge(r2["mlp"], axis=0).sum()
        if "linear" in models:
            rows["R2 < ridge - 0.05"] = r2.lt(r2["linear"] - 0.05, axis=0).sum()
    rows["fit s"] = fit.sum()
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith(("acc >=", "logloss <=", "R2 >=", "R2 <")):
            frame[column] = frame[column].astype(int).astype(str) + f"/{len(datasets)}"
    devices = {m: {summary[m, d]["device"] for d in datasets} for m in models}
    frame.index = [m + ("" if devices[m] <= {"cpu"} else " (gpu)") for m in models]
    return frame


def rst(frame, corner="model", floatfmt="{:.3f}"):
    """A DataFrame as an reStructuredText simple table (NaN left blank)."""

    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else floatfmt.format(v)
        return str(v)

    header = [corner, *map(str, frame.columns)]
    rows = [
        [str(i), *map(cell, r)]
        for i, r in zip(frame.index, frame.itertuples(index=False))
    ]
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    line = lambda r: "  ".join(c.rjust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([rule, line(header), rule, *map(line, rows), rule])


def report(summary, models, datasets, task, file=sys.stdout):
    """Per-set tables and the summary of ``task``'s sets.  The summary
    compares the models on the sets where all of them ran; where that
    leaves sets out, a second summary compares the models that ran on
    every set."""
    out = lambda *a: print(*a, file=file)  # noqa: E731
    datasets = [d for d in datasets if data.DATASETS[d].task == task]
    if not datasets:
        return
    for metric in METRICS[task]:
        out(f"\n{task}: {metric}, the mean over the folds, then over the seeds")
        out(rst(table(summary, models, datasets, metric), corner="set"))
    out(f"\n{task}: fit seconds, the sum over the folds, mean over the seeds")
    out(rst(table(summary, models, datasets, "fit_time"), corner="set"))
    out("(blank: not run)")
    everywhere = [d for d in datasets if all((m, d) in summary for m in models)]
    out(f"\n{task}: summary over the {len(everywhere)} sets where every model ran")
    if everywhere:
        out(rst(scores(summary, models, everywhere, task)))
    complete = [m for m in models if all((m, d) in summary for d in datasets)]
    if len(everywhere) < len(datasets) and complete:
        out(f"\n{task}: summary over all {len(datasets)} sets")
        out(rst(scores(summary, complete, datasets, task)))
    if any(s["device"] != "cpu" for s in summary.values()):
        out("(gpu): fit times measured on a GPU, not comparable")


def plot(summary, datasets, path, others=("mlp", "tabm-d")):
    """Per-set accuracy of ``ANNClassifier()`` against each of ``others``
    (seed-averaged), on the sets both ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(others), figsize=(5.5 * len(others), 5.2))
    for ax, other in zip(np.atleast_1d(axes), others):
        both = [
            d
            for d in datasets
            if ("skann", d) in summary
            and (other, d) in summary
            and data.DATASETS[d].task == C
        ]
        x = [summary[other, d]["accuracy"] for d in both]
        y = [summary["skann", d]["accuracy"] for d in both]
        low = min(x + y, default=0.5) - 0.02
        ax.plot([low, 1], [low, 1], color="grey", lw=1)
        ax.scatter(x, y, s=18)
        for d, a, b in zip(both, x, y):
            ax.annotate(d, (a, b), fontsize=6, alpha=0.7)
        above = sum(b >= a for a, b in zip(x, y))
        ax.set_xlabel(f"{other} accuracy")
        ax.set_ylabel("ANNClassifier() accuracy")
        ax.set_title(f"vs {other}: skann at or above on {above}/{len(x)} sets")
        ax.set_xlim(low, 1.005)
        ax.set_ylim(low, 1.005)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


# -------------------------------------------------------------------- main
def pin(cpu=None):
    """Run on one core (``cpu``, or the first this process may use)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0)) if cpu is None else cpu})


def describe(datasets, file=sys.stdout):
    """The table of the sets: rows, features, classes, source, difficulty."""
    rows = [data.describe(d, *data.load(d)) for d in datasets]
    frame = pd.DataFrame(rows).set_index("set")
    for task in (C, R):
        part = frame[[data.DATASETS[d].task == task for d in frame.index]]
        if len(part):
            print(f"\n{task}: {len(part)} sets", file=file)
            print(rst(part, corner="set"), file=file)


def import_anchors(path, cache_path):
    """Append the results of ``anchors.py`` to the cache; how many."""
    cache = data.read_results(cache_path)
    added = 0
    with open(path) as f:
        for line in f:
            entry = json.loads(line)
            model, _, dataset, _, _ = entry["key"].split("|")
            if model not in anchors.ANCHORS or dataset not in data.DATASETS:
                raise ValueError(f"not an anchor's result: {entry['key']}")
            if "result" in entry and entry["key"] not in cache:
                store(cache, cache_path, entry["key"], entry["result"])
                added += 1
    return added


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", help="comma-separated, from: " + ",".join(MODELS))
    parser.add_argument(
        "--datasets", help="comma-separated, from: " + ",".join(data.DATASETS)
    )
    parser.add_argument("--task", choices=[C, R], help="only these sets")
    parser.add_argument("--quick", action="store_true", help="sets <= 3,000 rows")
    parser.add_argument("--ablation", action="store_true", help="skann-no-*, skann+*")
    parser.add_argument(
        "--anchors", action="store_true", help="add TabM-D, RealMLP-TD (cached)"
    )
    parser.add_argument(
        "--seeds", help="these skann variants and MLP, counted against MLP"
    )
    parser.add_argument("--n-seeds", type=int, default=3, help="per neural model")
    parser.add_argument("--anchor-seeds", type=int, default=1)
    parser.add_argument("--cache", default=CACHE)
    parser.add_argument("--cpu", type=int, help="the core to run on")
    parser.add_argument("--describe", action="store_true", help="the sets' table")
    parser.add_argument("--export", metavar="DIR", help="write the sets into DIR")
    parser.add_argument("--import-anchors", metavar="FILE")
    parser.add_argument("--plot", help="write the per-set picture here (PNG)")
    return parser, parser.parse_args(argv)


def names(text):
    """Comma-separated names (a comma inside parentheses, as in
    ``skann@hidden_size=(256,256)``, is part of a name)."""
    return re.split(r",(?![^()]*\))", text)


def choose(parser, args):
    """``(models, datasets, cached_only)`` from the command line."""
    datasets = names(args.datasets) if args.datasets else data.names(args.task)
    if args.models:
        models = names(args.models)
    elif args.seeds:
        models = [*names(args.seeds), "mlp"]
    elif args.ablation:
        models = [
            "skann",
            *(f"skann-no-{i}" for i in INGREDIENTS),
            *(f"skann+{c}" for c in [*CANDIDATES, "smoothclip"]),
        ]
    else:
        models = list(DEFAULT_MODELS)
    cached_only = set()
    if args.anchors:
        cached_only = set(anchors.ANCHORS) - set(models)
        models += sorted(cached_only, reverse=True)
    named = {m for m in models if not m.startswith("skann@")}
    unknown = named - set(MODELS) | set(datasets) - set(data.DATASETS)
    if unknown:
        parser.error(f"unknown names: {sorted(unknown)}")
    if args.task:
        datasets = [d for d in datasets if data.DATASETS[d].task == args.task]
    if args.quick:
        datasets = [d for d in datasets if len(data.load(d)[1]) <= 3000]
    return models, datasets, cached_only


def main(argv=None):
    parser, args = parse(argv)
    if args.import_anchors:
        added = import_anchors(args.import_anchors, args.cache)
        print(f"{added} results added to {args.cache}")
        return
    models, datasets, cached_only = choose(parser, args)
    if args.describe:
        describe(datasets)
        return
    if args.export:
        data.export(args.export, datasets)
        print(f"wrote {len(datasets)} sets into {args.export}")
        return
    pin(args.cpu)

    def seeds(model):
        if model in anchors.ANCHORS:
            return range(args.anchor_seeds)
        return range(1 if model in ONE_SEED else args.n_seeds)

    cache = data.read_results(args.cache)
    summary = run(models, datasets, cache, args.cache, seeds, cached_only)
    for task in (C, R):
        report(summary, models, datasets, task)
    if args.plot:
        plot(summary, datasets, args.plot)


if __name__ == "__main__":
    main()
