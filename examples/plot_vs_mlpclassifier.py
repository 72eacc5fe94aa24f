"""
==========================================
skann next to scikit-learn's MLPClassifier
==========================================

:class:`~skann.ANNClassifier` and scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` train the same kind of network
with the same solvers. Given the same data and the same settings — note the
renamed parameters, ``hidden_size`` for ``hidden_layer_sizes`` and
``learning_rate`` for ``learning_rate_init`` (see
:doc:`/coming_from_mlpclassifier`) — they should reach a similar accuracy.
This example compares accuracy, fit time and loss curves for each solver.

Fit times are wall-clock times on whatever machine built this page; take
them as an indication, not a benchmark (see :doc:`/performance`).
"""

# %%
# Same data, same settings
# ------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

common = dict(solver="adam", alpha=1e-4, batch_size=200, max_iter=100, random_state=0)
learning_rates = {"sgd": 0.05, "adam": 1e-3, "lbfgs": 1e-3}


def make_pair(solver):
    lr = learning_rates[solver]
    settings = {**common, "solver": solver}
    return {
        # weight_decay=0: MLPClassifier has no decoupled weight decay;
        # epoch_cv=None: nor does it choose its epochs by cross-validation
        "skann": ANNClassifier(
            hidden_size=64,
            learning_rate=lr,
            weight_decay=0.0,
            epoch_cv=None,
            **settings,
        ),
        "MLPClassifier": MLPClassifier(
            hidden_layer_sizes=(64,), learning_rate_init=lr, **settings
        ),
    }


def timed_fit(model):
    """Fit ``model``; return it and the wall-clock time of the fit."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model, time.perf_counter() - start


# %%
# Accuracy and fit time
# ---------------------
results = {}
for solver in learning_rates:
    for name, model in make_pair(solver).items():
        model, seconds = timed_fit(model)
        results[solver, name] = (model, seconds)
        print(
            f"{solver:>5} | {name:<13} | n_iter_ {model.n_iter_:3d} | "
            f"{seconds:6.3f} s | test accuracy {model.score(X_test, y_test):.3f}"
        )

# %%
# Loss curves
# -----------
# Both libraries record the training loss after each epoch in
# ``loss_curve_``; scikit-learn does not record the iterations of L-BFGS, so
# for ``"lbfgs"`` its final ``loss_`` is drawn as a horizontal line.
fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
for ax, solver in zip(axes, learning_rates):
    for name, style in [("skann", "-"), ("MLPClassifier", "--")]:
        model, _ = results[solver, name]
        curve = getattr(model, "loss_curve_", None)
        if curve is None:
            ax.axhline(model.loss_, linestyle=style, color="tab:orange", label=name)
        else:
            ax.plot(np.arange(1, len(curve) + 1), curve, style, label=name)
    ax.set_yscale("log")
    ax.set_title(f'solver="{solver}"')
    ax.set_xlabel("epoch (iteration for lbfgs)")
axes[0].set_ylabel("training loss")
axes[0].legend()
fig.tight_layout()

# %%
# Fit times side by side
# ----------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(len(learning_rates))
for offset, name in [(-0.2, "skann"), (0.2, "MLPClassifier")]:
    ax.bar(
        positions + offset,
        [results[solver, name][1] for solver in learning_rates],
        width=0.4,
        label=name,
    )
ax.set_xticks(positions, [f'"{s}"' for s in learning_rates])
ax.set_ylabel("fit time (s)")
ax.set_title("Digits, 64 hidden units, 100 epochs at most")
ax.legend()
fig.tight_layout()
plt.show()
