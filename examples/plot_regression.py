"""
========================================
Regression on targets in their own units
========================================

:class:`~skann.ANNRegressor` predicts real-valued targets. Users' targets come
in their own units — disease progression scores in the hundreds, prices in
the hundreds of thousands — and a network trained on them as they are learns
slowly: its output starts near 0 and its weights must grow to the targets'
size. ``ANNRegressor`` standardises the targets inside ``fit`` (with the
sample weights) and predicts in the original units; scikit-learn's
:class:`~sklearn.neural_network.MLPRegressor` trains on the raw targets.

The data: scikit-learn's diabetes set (442 patients, 10 features, a disease
progression score between 25 and 346). Both models use their defaults in a
``StandardScaler`` pipeline, scored by 5-fold cross-validation on the folds
of :ref:`the regression benchmark <regression-benchmark>`, so the numbers
printed here are the ones quoted there.
"""

# %%
# Same data, same folds, defaults for both
# ----------------------------------------
# With 442 patients, R² depends much on which patients are held out: each
# model is scored on five folds, and every patient is predicted once, by the
# model that did not see it.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_validate
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNRegressor

X, y = load_diabetes(return_X_y=True)
folds = KFold(5, shuffle=True, random_state=0)

models = {
    "ANNRegressor": make_pipeline(StandardScaler(), ANNRegressor(random_state=0)),
    "MLPRegressor": make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
}
results, predictions = {}, {}
with warnings.catch_warnings():
    # both run their default 200 epochs without meeting tol
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        results[name] = cross_validate(
            model, X, y, cv=folds, return_estimator=True, return_indices=True
        )
for name, result in results.items():
    predicted = np.empty_like(y)
    for estimator, test in zip(result["estimator"], result["indices"]["test"]):
        predicted[test] = estimator.predict(X[test])
    predictions[name] = predicted
    scores = result["test_score"]
    print(
        f"{name}: mean R² {scores.mean():.3f} over 5 folds "
        f"(from {scores.min():.2f} to {scores.max():.2f})"
    )

# %%
# Predicted against true
# ----------------------
# Points on the diagonal are perfect predictions. MLPRegressor's predictions
# are still far below the targets after 200 epochs: it has not yet grown its
# weights to the targets' scale.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
for ax, (name, predicted) in zip(axes, predictions.items()):
    ax.scatter(y, predicted, s=12, alpha=0.6)
    ax.plot([y.min(), y.max()], [y.min(), y.max()], color="black", lw=1)
    ax.set(
        title=f"{name} (mean R² {results[name]['test_score'].mean():.2f})",
        xlabel="true disease progression",
    )
axes[0].set_ylabel("predicted (by the fold that did not see it)")
fig.tight_layout()

# %%
# What the regressor learned on
# -----------------------------
# The fitted scale is kept with the model; its network predicts
# ``(y - target_mean_) / target_scale_``. Set ``standardize_target=False``
# to train on the raw targets as MLPRegressor does.
regressor = results["ANNRegressor"]["estimator"][0][-1]
print(
    f"first fold: target_mean_ = {regressor.target_mean_}, "
    f"target_scale_ = {regressor.target_scale_}"
)
plt.show()
