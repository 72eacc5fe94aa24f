"""Validation fast paths and the classifier's label checks.

``validate_data`` costs more than a small ``predict`` or ``partial_fit``
itself.  :func:`plain_array`, :func:`plain_targets` (labels) and
:func:`plain_values` (real targets) recognise, cheaply, the inputs it would
return unchanged without complaint, so those skip it;
everything else takes the full path and its error messages.
"""

import numpy as np
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import _check_sample_weight, validate_data

FLOATS = (np.float64, np.float32)
ACCEPT_SPARSE = ("csr", "csc")

# What to do about inputs with text or categories in them.
TEXT_COLUMNS = (
    "skann's networks take numbers only: encode text and categorical columns "
    "first, e.g. with make_column_transformer((OneHotEncoder(handle_unknown="
    "'ignore'), text_columns), remainder=StandardScaler()) in a pipeline before "
    "the network (see 'Categorical and text columns' in skann's tuning guide)."
)


def validate(estimator, X, *args, **kwargs):
    """``validate_data``; where ``X`` holds text, numpy's "could not convert
    string to float" comes with the recipe that encodes it."""
    try:
        return validate_data(estimator, X, *args, **kwargs)
    except ValueError as error:
        if "could not convert string to float" in str(error) and _has_text(X):
            raise ValueError(f"{error}. {TEXT_COLUMNS}") from error
        raise


def sample_weights(sample_weight, X):
    """``sample_weight`` as a non-negative array of ``X``'s dtype, one weight
    per row (ones for None)."""
    return _check_sample_weight(
        sample_weight, X, dtype=X.dtype, ensure_non_negative=True
    )


def check_some_weight(sample_weight):
    """Raise unless some sample has a positive weight."""
    if not np.any(sample_weight > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number: every "
            "sample has weight 0, so there is nothing to learn."
        )


def _has_text(X):
    """Whether ``X`` (a DataFrame, an array or nested lists) holds strings or
    other objects."""
    dtypes = getattr(X, "dtypes", None)  # a DataFrame's columns
    if dtypes is None:
        dtype = getattr(X, "dtype", None)
        dtypes = [np.asarray(X).dtype if dtype is None else dtype]
    # pandas' string and categorical dtypes have kind "O", as numpy's objects
    return any(getattr(dtype, "kind", "O") in "OSU" for dtype in dtypes)


def plain_array(estimator, X):
    """``X`` itself when it is a plain float numpy array that ``validate_data``
    would return unchanged without complaint for the fitted ``estimator``,
    else None.

    Checks what validation checks, cheaply: a 2-D float32/float64
    ``ndarray`` (not a subclass, DataFrame or sparse matrix) with at least
    one row, the fitted number of features and a finite sum (NaN or inf
    anywhere makes the sum non-finite; an overflowing sum only sends a
    finite array down the full path).  Estimators fitted with feature
    names always take the full path, which warns about missing names.
    """
    fitted = estimator.__dict__
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in FLOATS
        and X.shape[0] > 0
        and X.shape[1] == fitted.get("n_features_in_")
        and "feature_names_in_" not in fitted
        and np.isfinite(np.add.reduce(X, axis=None))
    ):
        return X
    return None


def plain_targets(estimator, X, y, classes, multilabel):
    """Whether a continuing fit of the fitted classifier ``estimator`` on
    ``X``, ``y`` may skip ``validate_data``, ``check_classification_targets``
    and :func:`check_labels`.

    True when ``X`` passes :func:`plain_array`, ``classes`` is not given,
    the model is not ``multilabel`` and ``y`` is a 1-D numpy array of as many
    labels (bool, int, float or str), every one of them in ``classes_``:
    labels already accepted as classification targets, so the full checks
    would pass.

    Parameters
    ----------
    estimator : ANNClassifier
        The fitted classifier.
    X, y : object
        The data of the call, as the user passed them.
    classes : array-like or None
        ``partial_fit``'s ``classes``.
    multilabel : bool
        Whether the model was fitted on a multilabel indicator matrix.

    Returns
    -------
    plain : bool
    """
    if (
        classes is not None
        or type(y) is not np.ndarray
        or y.ndim != 1
        or y.dtype.kind not in "biufU"
        or multilabel
        or plain_array(estimator, X) is None
        or y.shape[0] != X.shape[0]
    ):
        return False
    # Python sets compare like numpy's ==; NaN is in no set.
    return set(y.tolist()) <= set(estimator.classes_.tolist())


def plain_values(estimator, X, y):
    """Whether a continuing fit of the fitted regressor ``estimator`` on
    ``X``, ``y`` may skip ``validate_data``.

    True when ``X`` passes :func:`plain_array` and ``y`` is a float or int
    numpy array of as many rows, shaped as the fitted targets (1-D for one
    output, ``(n, n_outputs_)`` otherwise) and finite: what the full
    validation would return unchanged without complaint.
    """
    n_outputs = estimator.__dict__.get("n_outputs_")
    return (
        type(y) is np.ndarray
        and y.dtype.kind in "iuf"
        and (y.ndim == 1 if n_outputs == 1 else y.shape[1:] == (n_outputs,))
        and plain_array(estimator, X) is not None
        and y.shape[0] == X.shape[0]
        and (y.dtype.kind != "f" or np.isfinite(np.add.reduce(y, axis=None)))
    )


def labels_of(y):
    """``unique_labels(y)`` of targets that ``check_classification_targets``
    has accepted.  Integer and boolean labels are sorted by ``np.unique``
    alone: ``unique_labels`` would classify the targets a second time, which
    costs several times more, on every fit of a search."""
    if y.ndim == 1 and y.dtype.kind in "iub":
        return np.unique(y)
    return unique_labels(y)


def new_classes(y, classes, name):
    """The classes of a new fit: ``classes`` if given (``y`` may not have
    others), else the labels of ``y``; at least two for 1-D targets."""
    if classes is not None:
        classes_ = unique_labels(classes)
        labels = labels_of(y)
        unseen = np.setdiff1d(labels, classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes "
                f"{classes_.tolist()}."
            )
    else:
        classes_ = labels_of(y)
    if y.ndim == 1 and classes_.size < 2:
        raise ValueError(
            f"{name} can't train when only one class is present: got the single "
            f"class {classes_.tolist()[0]!r}."
        )
    return classes_


def check_labels(y, classes, classes_, multilabel, n_outputs):
    """Raise unless ``y`` (and ``classes``, if given) fit a model fitted on
    ``classes_``: the same classes, the same target shape, no new label.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Validated labels, or a multilabel indicator matrix.
    classes : array-like or None
        ``partial_fit``'s ``classes``.
    classes_ : ndarray of shape (n_classes,)
        The fitted model's classes.
    multilabel : bool
        Whether the model was fitted on a multilabel indicator matrix.
    n_outputs : int
        The fitted model's number of output units.

    Raises
    ------
    ValueError
        When ``y`` or ``classes`` do not fit the model.
    """
    if classes is not None and not np.array_equal(unique_labels(classes), classes_):
        raise ValueError(
            f"classes={np.asarray(classes).tolist()} differs from the classes "
            f"of the previous call, {classes_.tolist()}."
        )
    if (y.ndim == 2) != multilabel or (multilabel and y.shape[1] != n_outputs):
        expected = (
            f"a multilabel indicator matrix with {n_outputs} columns"
            if multilabel
            else "a 1-D array of labels"
        )
        raise ValueError(
            "y does not have the shape of the targets this model was fitted "
            f"on: expected {expected}, got shape {y.shape}."
        )
    if not multilabel:
        unseen = np.setdiff1d(labels_of(y), classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes_ "
                f"{classes_.tolist()}; a fitted network cannot learn new "
                "classes."
            )
