"""
=================================
The lesson: learning the AND gate
=================================

The tutorial skann grew from trains a 2-4-1 network — two inputs, four ReLU
hidden units, one sigmoid output — on the AND gate with full-batch gradient
descent on the binary cross-entropy, for 10,000 epochs at a learning rate of
0.1, and prints the cost every 1000 epochs.

:class:`~skann.ANNClassifier` with ``solver="gd"`` is that algorithm, so the
lesson becomes one constructor call. See :ref:`how-it-learns` for the
equations and the code behind each step.
"""

# %%
# The data: the four rows of AND's truth table
# --------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
y = np.array([0, 0, 0, 1])

# %%
# The lesson's network and training loop
# --------------------------------------
# ``tol=0`` and ``n_iter_no_change=10000`` switch off the early stop, so that
# all 10,000 epochs run as in the lesson. Running every epoch on purpose makes
# scikit-learn's "maximum iterations reached" warning meaningless here.
clf = ANNClassifier(
    hidden_size=4,
    solver="gd",
    learning_rate=0.1,
    max_iter=10000,
    tol=0,
    n_iter_no_change=10000,
    random_state=42,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y)

# %%
# ``loss_curve_`` holds the cost of each epoch, the number the lesson printed.
for epoch in range(0, clf.n_iter_, 1000):
    print(f"Epoch {epoch}: Cost = {clf.loss_curve_[epoch]:.6f}")

# %%
# The predictions and the probabilities behind them
# -------------------------------------------------
print("Predictions:", clf.predict(X))
print("P(y=1):     ", np.round(clf.predict_proba(X)[:, 1], 3))

# %%
# The weights are the lesson's ``W1`` (2 x 4), ``b1``, ``W2`` (4 x 1) and
# ``b2``:
for name, array in [
    ("W1", clf.coefs_[0]),
    ("b1", clf.intercepts_[0]),
    ("W2", clf.coefs_[1]),
    ("b2", clf.intercepts_[1]),
]:
    print(f"{name} {array.shape}:\n{np.round(array, 3)}")

# %%
# The cost curve
# --------------
# Full-batch gradient descent with a small step lowers the cost at every
# epoch. The log scale shows the slow tail: the last 9,000 epochs mostly
# sharpen probabilities that are already on the right side of 0.5.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("cost (binary cross-entropy)")
ax.set_title("AND gate, 2-4-1 network, gradient descent")
fig.tight_layout()
plt.show()
