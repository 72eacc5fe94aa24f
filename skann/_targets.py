"""Target maths, as plain functions of arrays: the classifier's labels and
weights, the regressor's target scale.

Labels become 0/1 targets (one column per output unit) and back; class counts
and ``class_weight="balanced"`` weights come from those targets; logits become
probabilities that never reach exactly 0 or 1.
"""

import numpy as np

from ._activations import OUTPUT_MEANS


def encode(y, classes, dtype):
    """0/1 targets, one column per output unit, and the output layer:
    sigmoids for binary and multilabel targets, a softmax for multiclass."""
    if y.ndim == 2:  # multilabel indicator matrix
        return np.asarray(y, dtype=dtype), "logistic"
    if classes.size == 2:
        return (y == classes[1]).astype(dtype)[:, np.newaxis], "logistic"
    Y = np.zeros((y.shape[0], classes.size), dtype=dtype)
    Y[np.arange(y.shape[0]), np.searchsorted(classes, y)] = 1
    return Y, "softmax"


def smooth(Y, output, epsilon):
    """Label smoothing: 0/1 targets pulled towards the uniform distribution,
    ``(1 - epsilon) * Y + epsilon / k`` with ``k`` the classes of one output
    (the softmax's columns, or 2 for each sigmoid unit).  A new array; ``Y``
    itself when ``epsilon`` is 0."""
    if not epsilon:
        return Y
    k = Y.shape[1] if output == "softmax" else 2
    return Y * (1 - epsilon) + epsilon / k


def decode(proba, classes, multilabel):
    """Labels from :func:`proba`: the argmax, or a 0.5 threshold per label."""
    if multilabel:
        return (proba > 0.5).astype(int)
    return classes[np.argmax(proba, axis=1)]


def weighted_class_counts(Y, sample_weight, output):
    """Weighted count of each class from the 0/1 coded targets ``Y``.

    Softmax outputs: one row of ``n_classes`` counts.  Sigmoid outputs (binary,
    multilabel): one row per output unit, ``[negatives, positives]``.
    """
    if output == "softmax":
        return (sample_weight @ Y)[np.newaxis, :]
    positives = sample_weight @ Y
    return np.column_stack([sample_weight.sum() - positives, positives])


def balanced_weight(Y, class_counts, output):
    """Per-sample weight ``n / (n_classes * count[class])`` from ``class_counts``
    (the product over output units for multilabel targets), as
    ``compute_sample_weight("balanced", y)`` with weighted counts."""
    with np.errstate(divide="ignore"):
        n_present = (class_counts > 0).sum(axis=1, keepdims=True)
        weights = class_counts.sum(axis=1, keepdims=True) / (n_present * class_counts)
    weights[~np.isfinite(weights)] = 0  # classes not seen yet
    if output == "softmax":
        return Y @ weights[0]
    return np.prod(Y * weights[:, 1] + (1 - Y) * weights[:, 0], axis=1)


def per_class(Z, output):
    """Logits with one column per class: a binary network's single sigmoid
    logit ``z`` becomes ``[-z, z]``, so that ``P(class 0) = expit(-z)`` is exact
    even when tiny (``1 - expit(z)`` would round it to 0)."""
    if output == "logistic" and Z.shape[1] == 1:
        return np.hstack([-Z, Z])
    return Z


def proba(Z, output):
    """Probabilities from logits, one column per class (per label for
    multilabel targets), kept inside the open interval (0, 1): a
    probability is never exactly 0 or 1, so ``log(predict_proba)`` is
    finite like ``predict_log_proba``."""
    with np.errstate(over="ignore"):  # z - max(z) may reach -inf: exp gives 0
        P = OUTPUT_MEANS[output][0](per_class(Z, output))
    finfo = np.finfo(P.dtype)
    return np.clip(P, finfo.smallest_subnormal, 1 - finfo.epsneg, out=P)


def log_proba(Z, output):
    """Log-probabilities: the logarithm of :func:`proba`, so both rank the
    classes alike even where probabilities saturate.  A log-softmax computed
    apart would tell apart two classes whose probabilities both clip to the
    smallest float, and ``argsort`` of the two outputs would disagree.  Finite
    everywhere, as :func:`proba` never reaches 0."""
    return np.log(proba(Z, output))


# ---------------------------------------------------------------- regression
def target_scale(y, sample_weight, centre):
    """``(mean, scale)`` of the real targets ``y`` (1-D or 2-D), one per
    column, with the weights ``sample_weight``: the regressor trains on
    ``(y - mean) / scale`` and predicts in ``y``'s units.

    ``centre`` False (the Poisson loss, whose targets must stay
    non-negative) gives mean 0 and the weighted mean as the scale.  A scale
    that is zero, or negligible against the mean (a constant column), is 1,
    as in StandardScaler.
    """
    Y = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
    w = np.ones(Y.shape[0]) if sample_weight is None else sample_weight
    w = np.asarray(w, dtype=np.float64) / np.sum(w, dtype=np.float64)
    mean = w @ Y
    if centre:
        scale = np.sqrt(w @ (Y - mean) ** 2)
    else:
        scale, mean = mean, np.zeros_like(mean)
    eps = np.finfo(np.float64).eps
    negligible = ~(scale > 10 * eps * np.maximum(np.abs(mean), 1.0))
    scale[negligible] = 1.0
    return mean, scale


def standardize(y, mean, scale, dtype):
    """``(y - mean) / scale``: the network's targets.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The targets in their own units.
    mean, scale : ndarray of shape (n_outputs,)
        One per output, from :func:`target_scale`.
    dtype : numpy dtype
        The network's dtype.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_outputs)
    """
    Y = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
    return ((Y - mean) / scale).astype(dtype, copy=False)


def unstandardize(A, mean, scale):
    """Predictions in the targets' units from the network's outputs ``A``,
    in ``A``'s dtype; 1-D for a single output."""
    with np.errstate(over="ignore"):
        P = (A * scale.astype(A.dtype) + mean.astype(A.dtype)).astype(A.dtype)
    np.nan_to_num(P, copy=False)  # an overflow: the largest finite floats
    return P.ravel() if P.shape[1] == 1 else P
