"""
=====================================
Out-of-core learning on a Dask array
=====================================

A :mod:`dask.array` is a large array cut into blocks (chunks) that are only
computed, or read from disk, when asked for. :class:`~skann.ANNClassifier`
learns from such an array block by block with
:meth:`~skann.ANNClassifier.partial_fit`: each call runs one epoch of the
solver over one block and continues from the current weights and optimizer
state, so only one block is ever in memory.

Nothing here needs a cluster: dask computes each block with its local
scheduler in this process. Under a ``distributed.Client`` the same loop
computes the blocks on the cluster's workers (where the data lives) and ships
each one to this process for the update; see :doc:`/scaling_out`.

Dask comes with the ``distributed`` extra (``pip install -e ".[distributed]"``
in a clone of skann). Without it, this script streams the same blocks from a
numpy memory-mapped file instead and says so.
"""

# %%
# A data set built block by block
# -------------------------------
# Each block of 20,000 rows is generated from its own seed, so the data set is
# the same however it is stored, and never exists in memory as a whole. The
# labels come from a fixed random "teacher" network with 3 classes: a
# non-linear rule for the student network to discover.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skann import ANNClassifier

n_blocks, block_rows, n_features, n_classes = 10, 20_000, 20, 3
teacher = np.random.default_rng(0)
W1 = teacher.normal(size=(n_features, 16)).astype(np.float32)
W2 = teacher.normal(size=(16, n_classes)).astype(np.float32)


def make_X(i):
    """Features of block ``i``."""
    rng = np.random.default_rng([1, i])
    return rng.standard_normal((block_rows, n_features), dtype=np.float32)


def make_y(i):
    """Labels of block ``i``: the teacher's choice."""
    return np.argmax(np.tanh(make_X(i) @ W1) @ W2, axis=1)


X_test, y_test = make_X(n_blocks), make_y(n_blocks)  # one more block, held out

# %%
# Store it as a Dask array (or, without dask, a memory-mapped file)
# -----------------------------------------------------------------
try:
    import dask
    import dask.array as da
except ImportError:
    da = None

if da is not None:
    X = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(make_X)(i), (block_rows, n_features), np.float32
            )
            for i in range(n_blocks)
        ]
    )
    y = da.concatenate(
        [
            da.from_delayed(dask.delayed(make_y)(i), (block_rows,), np.int64)
            for i in range(n_blocks)
        ]
    )
    print(f"dask array: {X.nbytes / 2**20:.1f} MiB in {X.numblocks[0]} blocks")
    print(f"one block: {X.blocks[0].nbytes / 2**20:.1f} MiB")

    def blocks():
        """Compute the blocks one at a time, in order."""
        for i in range(X.numblocks[0]):
            yield dask.compute(X.blocks[i], y.blocks[i])

else:
    print(
        "dask is not installed (pip install 'dask[array,distributed]'): "
        "streaming the same blocks from a numpy memory-mapped file instead."
    )
    workdir = tempfile.TemporaryDirectory()
    X_path, y_path = (Path(workdir.name) / name for name in ("X.npy", "y.npy"))
    X = np.lib.format.open_memmap(
        X_path, mode="w+", dtype=np.float32, shape=(n_blocks * block_rows, n_features)
    )
    y = np.lib.format.open_memmap(
        y_path, mode="w+", dtype=np.int64, shape=(n_blocks * block_rows,)
    )
    for i in range(n_blocks):  # written one block at a time
        X[i * block_rows : (i + 1) * block_rows] = make_X(i)
        y[i * block_rows : (i + 1) * block_rows] = make_y(i)
    X.flush(), y.flush()
    X = np.load(X_path, mmap_mode="r")
    y = np.load(y_path, mmap_mode="r")
    print(f"memmap: {X.nbytes / 2**20:.1f} MiB on disk in {n_blocks} blocks")

    def blocks():
        """Read the blocks one at a time, in order."""
        for start in range(0, X.shape[0], block_rows):
            yield X[start : start + block_rows], y[start : start + block_rows]


# %%
# Learn block by block
# --------------------
# ``partial_fit`` needs every class on its first call (a block might miss
# one). Each call is one Adam epoch over the block in minibatches of 200; the
# optimizer state carries over from block to block. We make three passes over
# the data and measure the accuracy on the held-out block after every block.
# The float32 blocks keep the network in float32 throughout.
clf = ANNClassifier(hidden_size=32, learning_rate=1e-2, random_state=0)
seen, accuracy = [], []
for epoch in range(3):
    for X_block, y_block in blocks():
        clf.partial_fit(X_block, y_block, classes=np.arange(n_classes))
        seen.append(clf.t_)
        accuracy.append(clf.score(X_test, y_test))
    print(f"pass {epoch + 1}: held-out accuracy {accuracy[-1]:.3f}")
print("weights dtype:", clf.coefs_[0].dtype)

# %%
# The learning curve
# ------------------
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.array(seen) / 1e3, accuracy, marker=".")
for epoch in range(1, 3):
    ax.axvline(epoch * n_blocks * block_rows / 1e3, color="0.8", lw=1)
ax.set_xlabel("training samples seen (thousands)")
ax.set_ylabel("held-out accuracy")
ax.set_title("partial_fit over the blocks, three passes")
fig.tight_layout()
plt.show()
