"""Fold members: a screen of cross-validation bagging, which ``epoch_cv`` did
not adopt (results in ``results/epoch_cv.txt``).

Each of k members trains on all rows but one fold, keeps the weights of its
own best epoch on that fold (``restore_best``), and the model predicts the
members' mean.  ``epoch_cv`` instead scores every epoch on all k folds,
averages, and trains one network on every row for the epochs that won::

    python benchmarks/fold_members.py --task classification --quick \\
        --n-seeds 3 --models fold-members,skann,mlp

It runs ``tabular.py`` with the extra model ``fold-members`` (k = 5).
"""

import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import KFold, StratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tabular  # noqa: E402

from skann import ANNClassifier, ANNRegressor  # noqa: E402


class FoldMembers(BaseEstimator):
    def __init__(self, task=tabular.C, k=5, seed=0):
        self.task = task
        self.k = k
        self.seed = seed

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        classifies = self.task == tabular.C
        if classifies:
            self.classes_ = np.unique(y)
        folds = (StratifiedKFold if classifies else KFold)(
            self.k, shuffle=True, random_state=self.seed
        )
        self.members_ = []
        for i, (train, test) in enumerate(folds.split(X, y)):
            member = (ANNClassifier if classifies else ANNRegressor)(
                random_state=self.seed * 100 + i,
                restore_best=True,
                epoch_cv=None,
            )
            # restore_best holds out this fold instead of a random tenth
            member._split = lambda arrays, y, rng, train=train, test=test: [
                part for a in arrays for part in (a[train], a[test])
            ]
            self.members_.append(member.fit(X, y))
        return self

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.members_], axis=0)

    def predict(self, X):
        if self.task == tabular.C:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return np.mean([m.predict(X) for m in self.members_], axis=0)


class FoldMembersClassifier(ClassifierMixin, FoldMembers):
    pass


class FoldMembersRegressor(RegressorMixin, FoldMembers):
    pass


tabular.MODELS["fold-members"] = lambda task, seed: (
    FoldMembersClassifier if task == tabular.C else FoldMembersRegressor
)(task=task, seed=seed)

if __name__ == "__main__":
    tabular.main(sys.argv[1:])
