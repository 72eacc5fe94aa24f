"""The best tabular networks as anchors: pytabkit's TabM-D and RealMLP-TD.

    python benchmarks/tabular.py --export .device/data        # here
    python benchmarks/anchors.py .device/data --out anchors.jsonl \\
        --workers 14 --device cuda                             # on a GPU machine
    python benchmarks/tabular.py --import-anchors anchors.jsonl  # here again

Both are slow on a CPU, quick on a GPU: this script fits them on the sets
that ``tabular.py --export`` wrote (the same rows and folds as every other
model), TabM-D on every set first, then RealMLP-TD, the sets in order of
size, with ``--workers`` processes sharing the device.  Each result is
appended to ``--out`` (JSON lines) as it finishes, under the cache key
``tabular.py`` uses, so a run that is stopped keeps what finished and a run
started again skips it; ``--deadline`` stops starting new fits after so many
seconds.  It needs pandas, scikit-learn and pytabkit (which pulls torch), not
skann nor the data packages.  The anchors get the raw frame (numbers and
categories as strings), their own preprocessing being part of the method;
only missing values are filled, as pytabkit refuses them: numbers with the
training medians, categories as ``"missing"``.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one thread per worker, before numpy

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import tabular_data as data  # noqa: E402

# model -> pytabkit's (classifier, regressor); the order is the run's order
ANCHORS = {
    "tabm-d": ("TabM_D_Classifier", "TabM_D_Regressor"),
    "realmlp-td": ("RealMLP_TD_Classifier", "RealMLP_TD_Regressor"),
}
# where it runs, not what it learns: left out of the fingerprint
UNHASHED = ("device", "random_state", "n_threads", "verbosity")


def make(model, task, seed, device="cpu"):
    """pytabkit's estimator for ``model`` and ``task``, on one thread."""
    import pytabkit
    import torch

    torch.set_num_threads(1)
    cls = getattr(pytabkit, ANCHORS[model][task == data.R])
    return cls(device=device, random_state=seed, n_threads=1, verbosity=0)


def fingerprint(model, task):
    """A hash of the anchor's parameters (those that change what it learns)."""
    estimator = make(model, task, 0)
    params = {
        k: v
        for k, v in estimator.get_params().items()
        if k not in UNHASHED and v is not None
    }
    text = f"{type(estimator).__name__}{sorted(params.items())}"
    return hashlib.md5(text.encode()).hexdigest()[:8]


def fill_missing(X_train, X_test):
    """Missing numbers as the training medians, missing categories as
    ``"missing"``."""
    numeric = X_train.select_dtypes("number").columns
    fill = {c: "missing" for c in X_train.columns} | dict(X_train[numeric].median())
    return X_train.fillna(fill), X_test.fillna(fill)


def key(model, print_, dataset, fold, seed):
    """The cache key of one fit (``tabular.py`` uses the same)."""
    return f"{model}|{print_}|{dataset}|{fold}|{seed}"


# ------------------------------------------------------------------ the run
def _fit(job):
    """Fit one (model, set, fold, seed) of the export; its cache line."""
    folder, model, dataset, fold, seed, device, print_ = job
    task, X, y, splits = data.read_export(folder, dataset)
    train, test = splits[fold]
    X_train, X_test = fill_missing(X.iloc[train], X.iloc[test])
    estimator = make(model, task, seed, device)
    try:
        result = data.fit_and_score(estimator, task, X_train, y[train], X_test, y[test])
    except Exception as error:  # one failed fit must not end the run
        return {"key": key(model, print_, dataset, fold, seed), "error": repr(error)}
    result["device"] = device
    return {"key": key(model, print_, dataset, fold, seed), "result": result}


def jobs(folder, models, seeds, device, done):
    """Every fit not in ``done``: model by model, sets from the smallest."""
    with open(os.path.join(folder, "index.json")) as f:
        index = json.load(f)
    sizes = {
        name: os.path.getsize(os.path.join(folder, f"{name}.csv.gz")) for name in index
    }
    order = sorted(index, key=sizes.get)
    for model in models:
        prints = {t: fingerprint(model, t) for t in (data.C, data.R)}
        for dataset in order:
            print_ = prints[index[dataset]["task"]]
            for seed in range(seeds):
                for fold in range(data.N_FOLDS):
                    if key(model, print_, dataset, fold, seed) not in done:
                        yield folder, model, dataset, fold, seed, device, print_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="the sets, as tabular.py --export wrote them")
    parser.add_argument("--out", required=True, help="results, JSON lines")
    parser.add_argument("--models", default=",".join(ANCHORS))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--deadline", type=float, help="seconds: no new fit after")
    args = parser.parse_args(argv)
    started = time.monotonic()
    todo = list(
        jobs(
            args.folder,
            args.models.split(","),
            args.seeds,
            args.device,
            set(data.read_results(args.out)),
        )
    )
    print(f"{len(todo)} fits, {args.workers} workers on {args.device}", flush=True)
    # spawn: CUDA cannot be used in a forked child
    pool = multiprocessing.get_context("spawn").Pool(args.workers)
    results = pool.imap_unordered(_fit, todo)  # each line as soon as it is ready
    done = failed = 0
    for _ in todo:
        left = None
        if args.deadline is not None:
            left = max(args.deadline - (time.monotonic() - started), 0)
        try:
            line = results.next(timeout=left)
        except multiprocessing.TimeoutError:
            break
        data.append_line(args.out, line)
        done += "result" in line
        failed += "error" in line
        status = line.get("error") or f"{line['result']['fit_time']:.1f} s"
        print(
            f"{time.monotonic() - started:6.0f} s  {line['key']}  {status}", flush=True
        )
    pool.terminate()
    print(f"{done} fitted, {failed} failed, {len(todo) - done - failed} left")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
