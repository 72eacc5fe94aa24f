"""
======================================
Saving and loading a model with joblib
======================================

A fitted :class:`~skann.ANNClassifier` is a plain Python object: its weights
are one numpy buffer and its optimizer state plain arrays and numbers, so
:func:`joblib.dump` and :func:`joblib.load` save and restore it whole. The
loaded model predicts exactly the same probabilities, and it can even go on
learning with ``partial_fit`` where the saved one stopped.

Only load files you trust: like :mod:`pickle`, loading a joblib file can run
arbitrary code. :doc:`/persistence` covers the other formats.
"""

# %%
# Fit a model
# -----------
import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    StandardScaler(),
    ANNClassifier(hidden_size=16, alpha=1.0, max_iter=500, random_state=0),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Dump, load, compare
# -------------------
# The whole pipeline (scaler and network) goes into one file.
workdir = tempfile.TemporaryDirectory()
path = Path(workdir.name) / "model.joblib"
joblib.dump(model, path)
print(f"{path.name}: {path.stat().st_size / 1024:.1f} KiB")

loaded = joblib.load(path)
before = model.predict_proba(X_test)
after = loaded.predict_proba(X_test)
print("identical predict_proba:", np.array_equal(before, after))
print("max difference:", np.abs(before - after).max())

# %%
# Training goes on where it stopped
# ---------------------------------
# The loaded network is complete: its per-layer weights are again views into
# one flat parameter buffer, and its optimizer state came along, so
# ``partial_fit`` continues training from where the saved model stopped. Ten
# more epochs on the original and on the loaded model give the same weights
# and the same losses.
ann, original = loaded[-1], model[-1]
print("layer shapes:", [W.shape for W in ann.coefs_])
print("epochs so far:", ann.n_iter_)
X_scaled = loaded[0].transform(X_train)
for _ in range(10):
    ann.partial_fit(X_scaled, y_train)
    original.partial_fit(X_scaled, y_train)
print("after ten more partial_fit epochs:", ann.n_iter_)
print(
    "same weights:",
    all(np.array_equal(a, b) for a, b in zip(ann.coefs_, original.coefs_)),
)

# %%
# Both checks in one figure: the probabilities of the loaded model against
# the saved one's (on the diagonal), and the loss curves of the two models
# as training continues (one line over the other).
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
left.scatter(before[:, 1], after[:, 1], s=12, alpha=0.6)
left.plot([0, 1], [0, 1], color="black", lw=1)
left.set(
    title="predict_proba after loading",
    xlabel="saved model: P(benign)",
    ylabel="loaded model: P(benign)",
)
last = slice(ann.n_iter_ - 40, None)  # the last epochs: before and after saving
epochs = np.arange(1, ann.n_iter_ + 1)[last]
right.plot(epochs, original.loss_curve_[last], lw=5, alpha=0.4, label="saved")
right.plot(epochs, ann.loss_curve_[last], color="black", lw=1, label="loaded")
right.axvline(ann.n_iter_ - 10, color="grey", ls=":", label="saved here")
right.set(title="training loss, last epochs", xlabel="epoch")
right.legend()
fig.tight_layout()
plt.show()

workdir.cleanup()
