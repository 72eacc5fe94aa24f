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
``StandardScaler`` pipeline.
"""

# %%
# Same data, defaults for both
# ----------------------------
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNRegressor

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

models = {
    "ANNRegressor": make_pipeline(StandardScaler(), ANNRegressor(random_state=0)),
    "MLPRegressor": make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
}
predictions = {}
with warnings.catch_warnings():
    # both run their default 200 epochs without meeting tol
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        predictions[name] = model.fit(X_train, y_train).predict(X_test)
        print(f"{name}: held-out R² = {r2_score(y_test, predictions[name]):.3f}")

# %%
# Predicted against true
# ----------------------
# Points on the diagonal are perfect predictions. MLPRegressor's predictions
# are still far below the targets after 200 epochs: it has not yet grown its
# weights to the targets' scale.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
for ax, (name, predicted) in zip(axes, predictions.items()):
    ax.scatter(y_test, predicted, s=12, alpha=0.7)
    ax.plot([y.min(), y.max()], [y.min(), y.max()], color="black", lw=1)
    ax.set(
        title=f"{name} (R² {r2_score(y_test, predicted):.2f})",
        xlabel="true disease progression",
    )
axes[0].set_ylabel("predicted")
fig.tight_layout()

# %%
# What the regressor learned on
# -----------------------------
# The fitted scale is kept with the model; its network predicts
# ``(y - target_mean_) / target_scale_``. Set ``standardize_target=False``
# to train on the raw targets as MLPRegressor does.
regressor = models["ANNRegressor"][-1]
print(
    f"target_mean_ = {regressor.target_mean_}, "
    f"target_scale_ = {regressor.target_scale_}"
)
plt.show()
