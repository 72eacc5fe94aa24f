"""The rows a fit holds out of training to score its epochs on.

``early_stopping`` holds out ``validation_fraction`` of the rows and stops
when their score stops improving; ``restore_best`` holds out as many, keeps
training on the training loss's plateau, and ends with the weights of the
epoch that scored best on them.  Both split the rows the same way, with the
estimator's ``_split`` (stratified for the classifier); they differ in what
a split that cannot be made means: an error for early stopping, which the
user asked for by name, and for restore_best training on every row and
restoring nothing.

``epoch_cv`` chooses the number of epochs by cross-validation instead: it
splits the rows into folds (:func:`cv_folds`), trains on all but one fold at
a time while scoring each epoch on the fold left out, as restore_best does,
and then trains on every row for the epochs whose mean score over the folds
was best.
"""

import math
from dataclasses import replace
from functools import partial
from typing import NamedTuple

import numpy as np

from ._training import DivergenceError, HeldOut, train

# restore_best holds out a validation split only when it gets at least this
# many rows: on fewer, picking an epoch by their score is mostly noise, and
# the rows are worth more as training data.
MIN_RESTORE_ROWS = 20

# restore_best="auto" holds one out only when it gets at least this many rows,
# enough for a held-out score to tell epochs apart by a few points (the
# accuracy's standard error is at most 0.5 / sqrt(rows)).  Below that, on the
# benchmark's smaller sets, the rows were worth more as training data.
AUTO_RESTORE_ROWS = 300


# epoch_cv="auto" cross-validates in this many folds.
AUTO_CV_FOLDS = 5

# A fold stops training once the epochs since its best held-out score number
# this many times the best one's: its best epoch is then likely behind it,
# and the final network trains only up to the folds' best (the "patience
# increase" of Bengio's early stopping, in "Practical recommendations for
# gradient-based training of deep architectures").
FOLD_PATIENCE = 2.0


class Rows(NamedTuple):
    """The rows a network trains on: its inputs ``X`` (as the network sees
    them), its targets ``Y``, the labels ``y`` they encode and the sample
    weights (or None)."""

    X: object
    Y: object
    y: object
    sample_weight: object

    def take(self, indices):
        """These rows at ``indices``."""
        sw = self.sample_weight
        return Rows(
            self.X[indices],
            self.Y[indices],
            self.y[indices],
            None if sw is None else sw[indices],
        )


def check_epoch_cv(estimator):
    """An error for an ``epoch_cv`` that cannot apply to ``estimator``'s
    other parameters, before anything is trained."""
    if estimator.epoch_cv in (None, "auto"):
        return
    conflict = (
        "solver='lbfgs', which has no epochs"
        if estimator.solver == "lbfgs"
        else "early_stopping=True, which chooses its epoch on held-out rows"
        if estimator.early_stopping
        else "restore_best=True, which chooses its epoch on held-out rows"
        if estimator.restore_best is True
        else "warm_start=True: each fold trains a new network"
        if estimator.warm_start
        else None
    )
    if conflict is not None:
        raise ValueError(
            f"epoch_cv={estimator.epoch_cv!r} cannot be combined with {conflict}. "
            "Set epoch_cv=None, or change the other parameter."
        )


def cv_folds(estimator, rows, rng):
    """The ``(train, test)`` index pairs over ``rows`` on which ``fit``
    cross-validates the number of epochs, or None: no cross-validation.

    As restore_best's split, each fold must hold out at least
    ``MIN_RESTORE_ROWS`` rows; on fewer, every row trains for ``max_iter``
    epochs.  ``epoch_cv="auto"`` cross-validates, in ``AUTO_CV_FOLDS``
    folds, only where nothing else chooses the epoch (no early stopping, no
    ``restore_best=True``, no warm start), with ``"adam"``, and on fewer rows
    than ``restore_best="auto"`` holds out from; an int wherever it can
    (:func:`check_epoch_cv` has refused what it cannot combine with).  Folds
    whose held-out rows all weigh 0 score nothing and are left out.
    """
    k = estimator.epoch_cv
    if k is None:
        return None
    n_samples = rows.X.shape[0]
    if k == "auto":
        k = AUTO_CV_FOLDS
        n_val = math.ceil(estimator.validation_fraction * n_samples)
        chosen_elsewhere = (
            estimator.solver != "adam"  # the solver the benchmark measured
            or estimator.early_stopping
            or estimator.warm_start
            or estimator.restore_best is True
            # from here on one split tells epochs apart, at a sixth of the cost
            or n_val >= AUTO_RESTORE_ROWS
        )
        if chosen_elsewhere:
            return None
    if n_samples < k * MIN_RESTORE_ROWS:
        return None
    splitter = estimator._folds(k, rows.y, rng)
    folds = list(splitter.split(np.zeros((n_samples, 1)), rows.y))
    sw = rows.sample_weight
    if sw is not None:
        folds = [(train, test) for train, test in folds if sw[test].sum() > 0]
    return folds or None


def score_epochs(estimator, folds, rows, output, config, ctx):
    """``epoch_cv``'s scores: for each ``(train, test)`` pair of ``folds``
    (over ``rows``), a new network trains on the ``train`` rows as
    ``estimator.fit`` would with ``config`` and the fit's context ``ctx``,
    restore_best's score (``_restore_score``) of its ``test`` rows taken
    after each epoch.  Returns the mean over the folds of each epoch's score
    (its first item), a fold that stopped early counting its last score for
    the epochs after."""
    curves = []
    for train_rows, test_rows in folds:
        part, rest = rows.take(train_rows), rows.take(test_rows)
        scorer = partial(estimator._restore_score, targets=ctx.targets, ties=False)
        fold = ctx.completed(
            held_out=HeldOut(
                rest.X, rest.y, rest.sample_weight, scorer, True, FOLD_PATIENCE
            )
        )
        net = estimator._start_network(part, output, ctx.rng, fold)
        state = estimator._start_optimizer(net, part, fold)
        fold_config = replace(
            config,
            learning_rate=state["learning_rate_init"],
            batch_size=min(config.batch_size, part.X.shape[0]),
        )
        try:
            history = train(
                net, part.X, part.Y, part.sample_weight, state, fold_config, fold
            )
        except DivergenceError as exc:
            raise estimator._divergence(exc, state["learning_rate_init"]) from None
        if history.interrupted:
            raise KeyboardInterrupt
        curves.append(history.validation_scores)  # the scores' last (only) item
    longest = max(map(len, curves))
    padded = [curve + curve[-1:] * (longest - len(curve)) for curve in curves]
    return np.mean(padded, axis=0)


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
