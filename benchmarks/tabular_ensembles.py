"""Ensembles and tuning of ``ANNClassifier`` on the tabular benchmark: measured,
not adopted.

    python benchmarks/tabular_ensembles.py --models ens4p-cos-a0.2,bag4p-t-cos02
    python benchmarks/tabular_ensembles.py --models ...  --datasets iris,wine

The same command line, data sets, folds, preprocessing and cache as
``benchmarks/tabular.py`` (its ``main``, on the classification sets), with
more models:

``ens<k><l|p>-<members>``
    ``k`` networks trained on all the data from different seeds; their
    logits (``l``: one network's worth of parameters could hold the average)
    or their probabilities (``p``) averaged.  Members: ``defaults``,
    ``ANNClassifier()``; ``mlplike``, with ``MLPClassifier``'s width and
    penalty; ``cos-a<alpha>``, the cosine schedule from a step of 0.003 and
    that ``alpha``.
``bag<k><l|p>[-t][-cos02]``
    Cross-fitting, as AutoGluon bags its models: ``k`` stratified folds of
    the training data, one network per fold trained on the other folds;
    ``-t``: a temperature fitted on the out-of-fold logits of every training
    row (so it never sees a row its member learned from).
``cv-alpha-ll``
    ``GridSearchCV`` around ``ANNClassifier()``: ``alpha`` among 0.01, 0.1
    and 0.3 by 3-fold log loss on the training rows, then refitted on them.

docs/good_defaults.rst ("Ensembles") quotes the results.
"""

import sys

import tabular  # first: one thread for every library

# isort: split
import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from tabular_calibration import best_temperature

from skann import ANNClassifier


def two_columns(z):
    """Logits of one column (binary) as two, so that softmax is the sigmoid."""
    return np.c_[-z / 2, z / 2] if z.ndim == 1 else z


def average(Z, mode):
    """Probabilities from the members' logits ``Z``: the softmax of their
    mean, or the mean of their softmaxes."""
    if mode == "logit":
        return softmax(np.mean(Z, axis=0), axis=1)
    return np.mean([softmax(z, axis=1) for z in Z], axis=0)


def member(params, random_state, i):
    """The ``i``-th member: ``ANNClassifier(**params)``, its own seed."""
    return ANNClassifier(random_state=random_state * 100 + i, **(params or {}))


class SeedEnsemble(ClassifierMixin, BaseEstimator):
    """``k`` ANNClassifier members on all the data, seeds ``100 * random_state + i``."""

    def __init__(self, k=4, mode="logit", random_state=0, params=None):
        self.k = k
        self.mode = mode
        self.random_state = random_state
        self.params = params

    def fit(self, X, y):
        self.members_ = [
            member(self.params, self.random_state, i).fit(X, y) for i in range(self.k)
        ]
        self.classes_ = self.members_[0].classes_
        return self

    def predict_proba(self, X):
        return average(
            [two_columns(m.decision_function(X)) for m in self.members_], self.mode
        )


class FoldBagging(ClassifierMixin, BaseEstimator):
    """One ANNClassifier per stratified fold, trained on the other folds;
    ``temperature``: one factor of the logits fitted on the out-of-fold ones."""

    def __init__(
        self, k=4, mode="logit", temperature=True, random_state=0, params=None
    ):
        self.k = k
        self.mode = mode
        self.temperature = temperature
        self.random_state = random_state
        self.params = params

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_, codes = np.unique(y, return_inverse=True)
        out_of_fold = np.zeros((len(codes), len(self.classes_)))
        folds = StratifiedKFold(self.k, shuffle=True, random_state=self.random_state)
        self.members_ = []
        for i, (train, held_out) in enumerate(folds.split(X, codes)):
            fitted = member(self.params, self.random_state, i).fit(X[train], y[train])
            out_of_fold[held_out] = two_columns(fitted.decision_function(X[held_out]))
            self.members_.append(fitted)
        self.t_ = 1.0
        if self.temperature:
            untouched, t, scaled = best_temperature(out_of_fold, codes)
            if scaled < untouched:
                self.t_ = t
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        Z = [two_columns(m.decision_function(X)) / self.t_ for m in self.members_]
        return average(Z, self.mode)


COSINE = dict(learning_rate_schedule="cosine", learning_rate=0.003)
MLP_LIKE = dict(hidden_size=100, alpha=1e-4)  # MLPClassifier's width and penalty
ENSEMBLES = {
    "ens4p-defaults": (SeedEnsemble, dict(mode="proba")),
    "ens4l-defaults": (SeedEnsemble, dict(mode="logit")),
    "ens4p-mlplike": (SeedEnsemble, dict(mode="proba", params=MLP_LIKE)),
    "ens4l-mlplike": (SeedEnsemble, dict(mode="logit", params=MLP_LIKE)),
    "bag4l": (FoldBagging, dict(mode="logit", temperature=False)),
    "bag4l-t": (FoldBagging, dict(mode="logit")),
    "bag4p-t": (FoldBagging, dict(mode="proba")),
    "bag4l-t-cos02": (FoldBagging, dict(mode="logit", params=dict(COSINE, alpha=0.2))),
    "bag4p-t-cos02": (FoldBagging, dict(mode="proba", params=dict(COSINE, alpha=0.2))),
}
for _alpha in (0.1, 0.2, 0.3):
    _cosine = dict(COSINE, alpha=_alpha)
    ENSEMBLES[f"ens4p-cos-a{_alpha}"] = (
        SeedEnsemble,
        dict(mode="proba", params=_cosine),
    )
ENSEMBLES["ens4l-cos-a0.2"] = (
    SeedEnsemble,
    dict(mode="logit", params=dict(COSINE, alpha=0.2)),
)
for _name, (_cls, _kw) in ENSEMBLES.items():
    tabular.MODELS[_name] = lambda task, seed, cls=_cls, kw=_kw: cls(
        random_state=seed, **kw
    )


def cv_alpha(task, seed):
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    grid = {"alpha": [0.01, 0.1, 0.3]}
    model = ANNClassifier(random_state=seed)
    return GridSearchCV(model, grid, cv=folds, scoring="neg_log_loss")


tabular.MODELS["cv-alpha-ll"] = cv_alpha


if __name__ == "__main__":
    tabular.main(["--task", "classification", *sys.argv[1:]])
