"""
=====================================================
Out-of-core learning with partial_fit on a memmap
=====================================================

When the training data does not fit in memory, read it in chunks and call
:meth:`~skann.ANNClassifier.partial_fit` once per chunk: each call runs one
epoch of the solver over that chunk and continues from the current weights and
optimizer state.

Here the "large" data set is a numpy memory-mapped file written to a temporary
directory: only the chunk being read is loaded into memory. A
:class:`~sklearn.preprocessing.StandardScaler` learns its statistics in a
first pass with its own ``partial_fit``; then the network makes several passes
over the chunks, and we measure its accuracy on held-out data after each one.
"""

# %%
# Write the data to a memory-mapped file
# --------------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

n_samples, n_features, chunk_size = 40_000, 20, 2_000
X_all, y_all = make_classification(
    n_samples=n_samples + 5_000,
    n_features=n_features,
    n_informative=12,
    n_classes=3,
    class_sep=0.8,
    random_state=0,
)
X_all = X_all.astype(np.float32) * 10 + 3  # raw features far from unit scale
X_test, y_test = X_all[n_samples:], y_all[n_samples:]

workdir = tempfile.TemporaryDirectory()
x_path = Path(workdir.name) / "X.f32"
y_path = Path(workdir.name) / "y.i8"
X_file = np.memmap(x_path, dtype=np.float32, mode="w+", shape=(n_samples, n_features))
X_file[:] = X_all[:n_samples]
X_file.flush()
y_file = np.memmap(y_path, dtype=np.int8, mode="w+", shape=(n_samples,))
y_file[:] = y_all[:n_samples]
y_file.flush()
del X_file, y_file, X_all, y_all
print(f"{n_samples} samples on disk: {x_path.stat().st_size / 1e6:.1f} MB of features")

# %%
# Read it back chunk by chunk
# ---------------------------
# ``mode="r"`` maps the files read-only; slicing a chunk reads only its rows.
X_disk = np.memmap(x_path, dtype=np.float32, mode="r", shape=(n_samples, n_features))
y_disk = np.memmap(y_path, dtype=np.int8, mode="r", shape=(n_samples,))


def chunks(X_source=X_disk, y_source=y_disk):
    """Yield ``(X, y)`` chunks of ``chunk_size`` rows, read from disk in order."""
    for start in range(0, n_samples, chunk_size):
        stop = start + chunk_size
        yield np.asarray(X_source[start:stop]), np.asarray(y_source[start:stop])


# %%
# First pass: the scaler's statistics
# -----------------------------------
scaler = StandardScaler()
for X_chunk, _ in chunks():
    scaler.partial_fit(X_chunk)

# %%
# Then several passes of the network
# ----------------------------------
# ``partial_fit`` needs every class on its first call: a chunk may not contain
# them all. The data is float32, so the network trains in float32.
classes = np.array([0, 1, 2])
clf = ANNClassifier(hidden_size=64, learning_rate=1e-3, random_state=0)
X_test_scaled = scaler.transform(X_test)
accuracies = []
for epoch in range(1, 9):
    for X_chunk, y_chunk in chunks():
        clf.partial_fit(scaler.transform(X_chunk), y_chunk, classes=classes)
    accuracies.append(clf.score(X_test_scaled, y_test))
    print(
        f"pass {epoch}: {clf.n_iter_:3d} partial_fit calls, "
        f"test accuracy {accuracies[-1]:.3f}"
    )
print("parameters dtype:", clf.coefs_[0].dtype)

# %%
# Accuracy after each pass
# ------------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, len(accuracies) + 1), accuracies, marker="o")
ax.set_xlabel("pass over the memmapped data")
ax.set_ylabel("held-out accuracy")
ax.set_title(f"partial_fit on {n_samples // chunk_size} chunks of {chunk_size} rows")
fig.tight_layout()
plt.show()

# %%
# Clean up the temporary files (the maps must be closed first on Windows).
del X_disk, y_disk, chunks
workdir.cleanup()
