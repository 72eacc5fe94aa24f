"""
===========================================
Comparing solvers, and early stopping
===========================================

The four solvers of :class:`~skann.ANNClassifier` minimise the same loss on
the same network; they differ in how each step is taken (see
:doc:`/choosing_a_solver`). This example draws their training-loss curves on
the handwritten digits, then shows early stopping: a held-out part of the
training data is scored after every epoch, and training stops once that
score stops improving; and the number of epochs chosen by cross-validation.
"""

# %%
# One data set, four solvers
# --------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Each solver gets a learning rate that suits it (``"lbfgs"`` needs none) and
# up to 100 epochs (iterations for ``"lbfgs"``). ``epoch_cv=None`` lets
# ``"adam"`` run them all too: by default it would choose its number of
# epochs by cross-validation on data this small.
settings = {
    "gd": dict(learning_rate=0.5),
    "sgd": dict(learning_rate=0.05),
    "adam": dict(learning_rate=1e-3),
    "lbfgs": dict(),
}
fig, ax = plt.subplots(figsize=(6.5, 4))
for solver, params in settings.items():
    clf = ANNClassifier(
        hidden_size=64,
        solver=solver,
        max_iter=100,
        epoch_cv=None,
        random_state=0,
        **params,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(
        f"{solver:>5}: {clf.n_iter_:3d} epochs in {seconds:.2f} s, final loss "
        f"{clf.loss_:.4f}, test accuracy {clf.score(X_test, y_test):.3f}"
    )
    ax.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_, label=solver)
ax.set_yscale("log")
ax.set_xlabel("epoch (iteration for lbfgs)")
ax.set_ylabel("training loss")
ax.set_title("Loss curves on digits, 64 hidden units")
ax.legend()
fig.tight_layout()

# %%
# Full-batch ``"gd"`` takes one step per epoch and falls slowly but never
# rises; the minibatch solvers take about seven steps per epoch (200 samples
# each) and get much further in the same number of epochs. ``"lbfgs"`` fits
# the training data almost perfectly within its 100 iterations.

# %%
# Early stopping
# --------------
# With ``early_stopping=True``, ``validation_fraction`` of the training data is
# held out. After each epoch the network's accuracy on it is recorded in
# ``validation_scores_``; training stops after ``n_iter_no_change`` epochs
# without an improvement of at least ``tol``, and the weights of the best
# epoch, scored ``best_validation_score_``, are restored.
clf = ANNClassifier(
    hidden_size=64,
    solver="adam",
    learning_rate=1e-3,
    max_iter=500,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    random_state=0,
).fit(X_train, y_train)
best_epoch = int(np.argmax(clf.validation_scores_)) + 1
print(
    f"stopped after {clf.n_iter_} epochs; best validation accuracy "
    f"{clf.best_validation_score_:.3f} at epoch {best_epoch}; "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

fig, ax_loss = plt.subplots(figsize=(6.5, 4))
epochs = np.arange(1, clf.n_iter_ + 1)
ax_loss.plot(epochs, clf.loss_curve_, color="tab:blue")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss", color="tab:blue")
ax_loss.set_yscale("log")
ax_score = ax_loss.twinx()
ax_score.plot(epochs, clf.validation_scores_, color="tab:orange")
ax_score.axvline(best_epoch, color="gray", linestyle="--")
ax_score.annotate(
    f"best: {clf.best_validation_score_:.3f}",
    (best_epoch, clf.best_validation_score_),
    xytext=(-90, -40),
    textcoords="offset points",
    arrowprops=dict(arrowstyle="->"),
)
ax_score.set_ylabel("validation accuracy", color="tab:orange")
ax_loss.set_title("Early stopping: adam on digits")
fig.tight_layout()

# %%
# The number of epochs chosen by cross-validation
# -----------------------------------------------
# Early stopping gives up the held-out rows for good. ``epoch_cv`` (on by
# default below 3,000 rows with ``"adam"``) holds out each of 5 folds in
# turn: a network trains on the other four and is scored on it (its
# cross-entropy) after every epoch. The mean over the folds, in
# ``cv_scores_``, chooses the number of epochs, and the final network trains
# on every row for that many.
clf = ANNClassifier(hidden_size=64, max_iter=300, epoch_cv=5, random_state=0)
clf.fit(X_train, y_train)
print(
    f"chose {clf.n_iter_} epochs of {len(clf.cv_scores_)} scored; "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(np.arange(1, len(clf.cv_scores_) + 1), -clf.cv_scores_)
ax.axvline(clf.n_iter_, color="gray", linestyle="--")
ax.set_xlabel("epoch")
ax.set_ylabel("held-out cross-entropy, mean of 5 folds")
ax.set_title("epoch_cv: adam on digits")
fig.tight_layout()
plt.show()
