"""A screen of fixed periodic features in front of skann (not adopted).

Each numeric column, smoothly clipped to about +-3, gives ``k`` sines and
``k`` cosines of ``2 pi c x``, with frequencies ``c`` drawn once from
``N(0, sigma^2)``: the periodic embedding of Gorishniy et al. ("On
Embeddings for Numerical Features in Tabular Deep Learning", 2022) without
learning ``c``.  The features sit beside the columns themselves, and skann's
own numerical embedding is off.  Models ``periodic-0.1``, ``periodic-0.3``
and ``periodic-1.0`` (``sigma``) join ``tabular.py``'s; every other option is
``tabular.py``'s:

    python benchmarks/periodic_screen.py --task regression --n-seeds 3 \\
        --anchors --anchor-seeds 1 \\
        --models "skann,periodic-0.1,periodic-0.3,periodic-1.0,mlp,linear,hgb"

Results: ``results/frontier_screens.txt``.
"""

import numpy as np
import tabular
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

from skann import ANNClassifier, ANNRegressor

SIGMAS = (0.1, 0.3, 1.0)


class PeriodicFeatures(TransformerMixin, BaseEstimator):
    """The columns, then ``sin`` and ``cos`` of ``k`` random frequencies of
    each column with more than two values among the first rows (one-hot
    columns are left alone)."""

    def __init__(self, sigma=0.1, k=8, random_state=0):
        self.sigma = sigma
        self.k = k
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.columns_ = [
            j for j in range(X.shape[1]) if len(np.unique(X[:200, j])) > 2
        ]
        rng = np.random.RandomState(self.random_state)
        self.frequencies_ = rng.normal(0, self.sigma, (len(self.columns_), self.k))
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=float)
        Z = X[:, self.columns_]
        Z = Z / np.sqrt(1 + (Z / 3) ** 2)
        angles = (2 * np.pi * Z[:, :, None] * self.frequencies_).reshape(len(X), -1)
        return np.hstack([X, np.sin(angles), np.cos(angles)])


def periodic(sigma):
    def make(task, seed):
        cls = ANNClassifier if task == tabular.C else ANNRegressor
        return make_pipeline(
            PeriodicFeatures(sigma, random_state=seed),
            cls(random_state=seed, numerical_embedding=None),
        )

    return make


for _sigma in SIGMAS:
    tabular.MODELS[f"periodic-{_sigma}"] = periodic(_sigma)

if __name__ == "__main__":
    tabular.main()
