"""The rows a fit holds out of training to score its epochs on.

``early_stopping`` holds out ``validation_fraction`` of the rows and stops
when their score stops improving; ``restore_best`` holds out as many, keeps
training on the training loss's plateau, and ends with the weights of the
epoch that scored best on them.  Both split the rows the same way, with the
estimator's ``_split`` (stratified for the classifier); they differ in what
a split that cannot be made means: an error for early stopping, which the
user asked for by name, and for restore_best training on every row and
restoring nothing.
"""

import math
from functools import partial
from typing import NamedTuple

from ._training import HeldOut

# restore_best holds out a validation split only when it gets at least this
# many rows: on fewer, picking an epoch by their score is mostly noise, and
# the rows are worth more as training data.
MIN_RESTORE_ROWS = 20

# restore_best="auto" holds one out only when it gets at least this many rows,
# enough for a held-out score to tell epochs apart by a few points (the
# accuracy's standard error is at most 0.5 / sqrt(rows)).  Below that, on the
# benchmark's smaller sets, the rows were worth more as training data.
AUTO_RESTORE_ROWS = 300


class Rows(NamedTuple):
    """The rows a network trains on: its inputs ``X`` (as the network sees
    them), its targets ``Y``, the labels ``y`` they encode and the sample
    weights (or None)."""

    X: object
    Y: object
    y: object
    sample_weight: object


def hold_out(estimator, rows, rng, targets):
    """Split the held-out rows off ``rows``, for ``estimator.fit``.

    Parameters
    ----------
    estimator : BaseANN
        Its ``early_stopping``, ``restore_best`` and ``validation_fraction``
        say what to hold out; its ``_split`` splits, with the random stream
        ``rng``.
    rows : Rows
        Every row of the fit.
    rng : RandomState
    targets : dict
        The fitted target attributes, which the scorer reads.

    Returns
    -------
    rows : Rows
        The rows to train on: ``rows`` itself when nothing is held out.
    held_out : HeldOut or None
        The held-out rows and their scorer: early stopping's
        (``_validation_score``) or restore_best's (``_restore_score``).
    """
    restores = not estimator.early_stopping
    n_samples = rows.X.shape[0]
    n_val = math.ceil(estimator.validation_fraction * n_samples)  # as the split
    if restores:
        auto = estimator.restore_best == "auto"
        least = AUTO_RESTORE_ROWS if auto else MIN_RESTORE_ROWS
        if not estimator.restore_best or n_val < least:
            return rows, None
    # one sample's accuracy is 0 or 1, its R² undefined
    if not restores and n_val < 2:
        raise ValueError(
            f"The validation set is too small: early_stopping=True holds out "
            f"{n_val} of {n_samples} samples (validation_fraction="
            f"{estimator.validation_fraction}), fewer than 2. Increase "
            "'validation_fraction' or the size of your dataset."
        )
    arrays = [rows.X, rows.Y, rows.y]
    arrays += [] if rows.sample_weight is None else [rows.sample_weight]
    try:
        parts = estimator._split(arrays, rows.y, rng)
    except ValueError as exc:
        if restores:
            return rows, None
        raise ValueError(
            f"early_stopping=True cannot hold out validation_fraction="
            f"{estimator.validation_fraction} of {n_samples} samples: {exc} Use "
            "more samples, a larger validation_fraction, or early_stopping=False."
        ) from None
    X, X_val, Y, _, y, y_val = parts[:6]
    sample_weight, sw_val = parts[6:] or (None, None)
    if sw_val is not None and sw_val.sum() == 0:
        if restores:
            return rows, None
        raise ValueError(
            "early_stopping=True: every held-out sample has weight 0, so the "
            "validation score is undefined. Use early_stopping=False."
        )
    scorer = estimator._restore_score if restores else estimator._validation_score
    held_out = HeldOut(X_val, y_val, sw_val, partial(scorer, targets=targets), restores)
    return Rows(X, Y, y, sample_weight), held_out
