"""
=========================================================
Tuning learning rate and hidden size with a grid search
=========================================================

:class:`~skann.ANNClassifier` is a scikit-learn estimator, so it goes into a
:class:`~sklearn.pipeline.Pipeline` after a
:class:`~sklearn.preprocessing.StandardScaler` and is tuned with
:class:`~sklearn.model_selection.GridSearchCV` like any other classifier.
Here we search ``learning_rate`` × ``hidden_size`` on the handwritten digits,
draw the cross-validated scores as a heatmap and look at the best model's
confusion matrix on held-out data.
"""

# %%
# Data and pipeline
# -----------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("ann", ANNClassifier(max_iter=30, random_state=0)),
    ]
)

# %%
# The grid search
# ---------------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``. A
# learning rate is best searched on a log scale. 30 epochs keep the example
# quick; some fits stop before converging, which is fine for a comparison.
param_grid = {
    "ann__learning_rate": [1e-4, 1e-3, 1e-2, 1e-1],
    "ann__hidden_size": [8, 32, (64, 32)],
}
search = GridSearchCV(pipe, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Scores as a heatmap
# -------------------
# Rows are hidden sizes, columns learning rates. Too small a learning rate
# has not got anywhere in 30 epochs; too large a one bounces around the
# minimum.
rates = param_grid["ann__learning_rate"]
sizes = param_grid["ann__hidden_size"]
scores = np.empty((len(sizes), len(rates)))
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"]
):
    row = sizes.index(params["ann__hidden_size"])
    col = rates.index(params["ann__learning_rate"])
    scores[row, col] = score

fig, ax = plt.subplots(figsize=(6, 3.5))
image = ax.imshow(scores, cmap="viridis", vmin=scores.min(), vmax=1)
ax.set_xticks(range(len(rates)), [f"{r:g}" for r in rates])
ax.set_yticks(range(len(sizes)), [str(s) for s in sizes])
ax.set_xlabel("learning_rate")
ax.set_ylabel("hidden_size")
for i in range(len(sizes)):
    for j in range(len(rates)):
        ax.text(
            j,
            i,
            f"{scores[i, j]:.3f}",
            ha="center",
            va="center",
            color="white" if scores[i, j] < scores.mean() else "black",
        )
fig.colorbar(image, ax=ax, label="mean CV accuracy")
ax.set_title("GridSearchCV on digits")
fig.tight_layout()

# %%
# The best model on held-out digits
# ---------------------------------
fig, ax = plt.subplots(figsize=(5, 5))
ConfusionMatrixDisplay.from_estimator(
    search.best_estimator_, X_test, y_test, ax=ax, colorbar=False
)
ax.set_title("Best model, test set")
fig.tight_layout()
plt.show()
