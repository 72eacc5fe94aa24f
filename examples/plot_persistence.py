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
# The loaded network is complete: its per-layer weights are again views into
# one flat parameter buffer, and its optimizer state came along, so
# ``partial_fit`` continues training from where the saved model stopped.
ann = loaded[-1]
print("layer shapes:", [W.shape for W in ann.coefs_])
print("epochs so far:", ann.n_iter_)
ann.partial_fit(loaded[0].transform(X_train), y_train)
print("after one more partial_fit epoch:", ann.n_iter_)

workdir.cleanup()
