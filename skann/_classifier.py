"""ANNClassifier: the scikit-learn contract around the numpy core.

This module validates input, encodes labels and weights, and maps fitted
attributes onto the network's flat parameter buffer.  How a gradient is
computed lives in :mod:`skann._network`; how epochs run lives in
:mod:`skann._training`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d, compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import OUTPUTS
from ._blas import blas_threads_for
from ._network import Network
from ._optimizers import copy_state, init_state, lbfgs
from ._training import DivergenceError, Plateau, check_weights, train

try:  # scikit-learn >= 1.9: the (experimental) callback API
    from sklearn.callback import CallbackSupportMixin

    _CALLBACK_BASES = (CallbackSupportMixin,)
except ImportError:  # older releases: no set_callbacks, everything else works
    _CALLBACK_BASES = ()

# Attributes the callback machinery keeps on the estimator during a fit; they
# survive the rollback of a failed fit so that callbacks are still torn down.
_CALLBACK_ATTRIBUTES = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")

_ACTIVATIONS = {"identity", "logistic", "tanh", "relu"}
_SOLVERS = {"gd", "sgd", "adam", "lbfgs"}
_ACCEPT_SPARSE = ("csr", "csc")
_FLOATS = (np.float64, np.float32)


def _weighted_class_counts(Y, sample_weight, output):
    """Weighted count of each class from the 0/1 coded targets ``Y``.

    Softmax outputs: one row of ``n_classes`` counts.  Sigmoid outputs (binary,
    multilabel): one row per output unit, ``[negatives, positives]``.
    """
    if output == "softmax":
        return (sample_weight @ Y)[np.newaxis, :]
    positives = sample_weight @ Y
    return np.column_stack([sample_weight.sum() - positives, positives])


def _balanced_weight(Y, class_counts, output):
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


def _per_class(Z, output):
    """Logits with one column per class: a binary network's single sigmoid
    logit ``z`` becomes ``[-z, z]``, so that ``P(class 0) = expit(-z)`` is exact
    even when tiny (``1 - expit(z)`` would round it to 0)."""
    if output == "logistic" and Z.shape[1] == 1:
        return np.hstack([-Z, Z])
    return Z


def _is_stochastic(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is not available with solver='lbfgs': L-BFGS needs the "
            "whole dataset at once. Use solver='adam', 'sgd' or 'gd' to learn "
            "incrementally."
        )
    return True


class ANNClassifier(*_CALLBACK_BASES, ClassifierMixin, BaseEstimator):
    """Neural-network classifier on skann's own numpy core.

    A feed-forward network (input, one or more hidden layers, output) trained
    by backpropagation on the cross-entropy loss with an L2 penalty.  The output
    layer is one sigmoid unit for binary targets, a softmax for multiclass
    targets and one sigmoid per label for multilabel indicator targets.

    Parameters
    ----------
    hidden_size : int or tuple of int, default=100
        Width of the hidden layer, or one width per hidden layer.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    solver : {"gd", "sgd", "adam", "lbfgs"}, default="adam"
        ``"gd"``: full-batch gradient descent (the lesson's algorithm);
        ``"sgd"``: minibatch gradient descent with (Nesterov) momentum;
        ``"adam"``: minibatch Adam; ``"lbfgs"``: scipy's L-BFGS-B on the
        whole dataset.

    learning_rate : float, default=0.001
        Step size of ``"gd"``, ``"sgd"`` and ``"adam"``.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not on the biases).

    batch_size : int or "auto", default="auto"
        Minibatch size of ``"sgd"`` and ``"adam"``; ``"auto"`` is
        ``min(200, n_samples)``.  ``"gd"`` and ``"lbfgs"`` use every sample.

    max_iter : int, default=200
        Maximum number of epochs (iterations for ``"lbfgs"``).

    tol : float, default=1e-4
        Minimum improvement of the training loss (or of the validation score
        with ``early_stopping``) that resets the patience counter.

    n_iter_no_change : int, default=10
        Epochs without a ``tol`` improvement before training stops.

    shuffle : bool, default=True
        Shuffle the samples before each epoch (minibatch solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split.

    momentum : float, default=0.9
        Momentum of ``"sgd"``.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Numerical stability term of Adam.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
        ``"balanced"`` uses ``n_samples / (n_classes * np.bincount(y))``.

    warm_start : bool, default=False
        Continue ``fit`` from the current weights instead of starting anew.

    verbose : int, default=0
        Print one line per epoch when positive.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        accuracy stops improving and restore the best weights.

    validation_fraction : float, default=0.1
        Fraction of the training data held out by ``early_stopping``.

    learning_rate_schedule : {"constant", "invscaling", "adaptive"}, \
            default="constant"
        ``"invscaling"``: ``learning_rate / (t + 1) ** power_t`` after ``t``
        samples; ``"adaptive"``: divide by 5 after ``n_iter_no_change``
        epochs without improvement, until it falls below 1e-6.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, the label indices).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` had string column names.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(n_in, n_out)``: the weights of layer ``i``.
        Views into one flat parameter buffer.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape ``(n_out,)``: the biases of layer ``i``.
    n_iter_ : int
        Number of epochs (``"lbfgs"``: iterations) run.
    t_ : int
        Number of training samples seen by the solver.
    loss_ : float
        The loss at the end of training.
    loss_curve_ : list of float
        The loss after each epoch (iteration).
    best_loss_ : float or None
        The lowest training loss (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Held-out accuracy after each epoch (with ``early_stopping``).
    best_validation_score_ : float or None
        The best held-out accuracy (with ``early_stopping``).
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : What a network without hidden
        layers would be.

    Notes
    -----
    ANNClassifier is skann's counterpart of scikit-learn's ``MLPClassifier``:
    parameter names follow it where the concept is the same, and for the same
    weights the loss and gradients are equal.

    For a layer ``k`` with weights :math:`W_k` and biases :math:`b_k`, the
    forward pass is :math:`Z_k = A_{k-1} W_k + b_k`, :math:`A_k = f(Z_k)`.
    The loss is the (sample-weighted) mean cross-entropy plus
    :math:`\\frac{\\alpha}{2 m} \\sum_k \\lVert W_k \\rVert^2`, computed from the
    logits so that it stays finite.  Backpropagation starts from
    :math:`dZ_L = A_L - Y` and uses :math:`dW_k = A_{k-1}^T dZ_k / m`,
    :math:`dZ_{k-1} = (dZ_k W_k^T) \\odot f'(Z_{k-1})`.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import ANNClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 0, 0, 1])
    >>> clf = ANNClassifier(hidden_size=4, solver="gd", learning_rate=0.1,
    ...                     max_iter=10000, random_state=42).fit(X, y)
    >>> clf.predict(X)
    array([0, 0, 0, 1])
    >>> clf.predict_proba(X).shape
    (4, 2)
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "activation": [StrOptions(_ACTIVATIONS)],
        "solver": [StrOptions(_SOLVERS)],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "invscaling", "adaptive"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_size=100,
        activation="relu",
        solver="adam",
        learning_rate=0.001,
        alpha=0.0001,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        random_state=None,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        class_weight=None,
        warm_start=False,
        verbose=0,
        max_fun=15000,
        early_stopping=False,
        validation_fraction=0.1,
        learning_rate_schedule="constant",
        power_t=0.5,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.max_fun = max_fun
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X``, ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (multiplied by ``class_weight``).

        Returns
        -------
        self : ANNClassifier
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, solver="lbfgs", random_state=0)
        >>> clf = clf.fit(X, y)
        >>> clf.predict(X)
        array([0, 0, 1, 1])
        >>> [W.shape for W in clf.coefs_]
        [(1, 8), (8, 1)]
        """
        return self._guarded_fit(X, y, sample_weight, classes=None, incremental=False)

    @available_if(_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``X``, ``y``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, all of them in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever be seen; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : ANNClassifier
            The updated estimator.

        Examples
        --------
        Feed the data in chunks (here, the same chunk 50 times), with every
        class named on the first call:

        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, learning_rate=0.1, random_state=0)
        >>> for _ in range(50):
        ...     clf = clf.partial_fit(X, y, classes=[0, 1])
        >>> clf.n_iter_
        50
        >>> clf.predict(X)
        array([0, 0, 1, 1])
        """
        return self._guarded_fit(X, y, sample_weight, classes=classes, incremental=True)

    def _guarded_fit(self, X, y, sample_weight, classes, incremental):
        # Training works on copies and publishes its results in _commit, so
        # the only state touched before success is what validation sets
        # (n_features_in_, feature_names_in_): restore it all on failure.
        snapshot = dict(self.__dict__)
        n_losses = len(snapshot.get("loss_curve_", ()))
        try:
            return self._fit(X, y, sample_weight, classes, incremental)
        except BaseException:
            kept = {k: v for k, v in vars(self).items() if k in _CALLBACK_ATTRIBUTES}
            self.__dict__.clear()
            self.__dict__.update(snapshot, **kept)
            if "loss_curve_" in snapshot:  # _commit extends it in place
                del self.loss_curve_[n_losses:]
            raise

    def _fit(self, X, y, sample_weight, classes, incremental):
        fitted = hasattr(self, "_params")
        continuing = fitted and (incremental or self.warm_start)
        X, y, classes_ = self._validate_training_data(
            X, y, classes, incremental, fitted, continuing
        )
        dtype = self._params.dtype if continuing else X.dtype
        X = X.astype(dtype, copy=False)
        Y, output = self._encode(y, classes_, dtype)
        sample_weight, class_counts = self._sample_weight(
            X, y, Y, sample_weight, output, incremental, continuing
        )
        batch_size = self._batch_size(X.shape[0])
        # One random stream for the initial weights, the split and the shuffles;
        # none when nothing is random (seeding a RandomState costs ~100 us).
        shuffles = self.shuffle and batch_size < X.shape[0]
        splits = self.early_stopping and not incremental
        rng = (
            None if continuing and not (shuffles or splits) else self._rng(incremental)
        )
        net = self._start_network(X, Y, output, sample_weight, rng, continuing)
        state = self._start_optimizer(net, incremental, fitted)
        single_row_batch = batch_size == 1 or X.shape[0] % batch_size == 1
        with blas_threads_for(batch_size, net.layer_sizes, single_row_batch):
            hooks = _EpochHooks(self, net, classes_, incremental, continuing)
            hooks.fit_begin(X, y, sample_weight)
            if self.solver == "lbfgs":
                result = self._fit_lbfgs(net, X, Y, sample_weight)
            else:
                result = self._fit_stochastic(
                    net,
                    X,
                    Y,
                    y,
                    sample_weight,
                    state,
                    rng,
                    batch_size,
                    incremental,
                    hooks,
                )
            self._commit(net, classes_, state, class_counts, result, continuing)
            hooks.fit_end(X, y, sample_weight)
        return self

    def _validate_training_data(self, X, y, classes, incremental, fitted, continuing):
        """Validated ``X``, ``y`` and the classes the network will predict."""
        if incremental and not fitted and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "network's output layer needs every class up front."
            )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        # Streaming fast path: plain arrays of known labels skip validate_data
        # and the label checks, whose verdict is then known (see _plain_targets).
        if continuing and self._plain_targets(X, y, classes):
            return X, y, self.classes_
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=_ACCEPT_SPARSE,
            multi_output=True,
            dtype=_FLOATS,
            reset=not continuing,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if continuing:
            self._check_labels(y, classes)
            return X, y, self.classes_
        return X, y, self._new_classes(y, classes)

    def _start_network(self, X, Y, output, sample_weight, rng, continuing):
        """The network to train: a copy of the fitted one, or a new one."""
        layer_sizes = (X.shape[1], *self._hidden_sizes(), Y.shape[1])
        if continuing:
            self._check_architecture(layer_sizes)
            return Network(layer_sizes, self.activation, output, self._params.copy())
        net = Network(layer_sizes, self.activation, output, dtype=X.dtype)
        return net.initialize(rng, Y, sample_weight)

    def _start_optimizer(self, net, incremental, fitted):
        """partial_fit carries the optimizer state on (a copy, for rollback);
        fit starts afresh, as MLPClassifier does, also with warm_start."""
        previous = self.__dict__.get("_optimizer_state")
        if incremental and fitted and previous["solver"] == self.solver:
            state = copy_state(previous)
            if state.get("learning_rate_init") != self.learning_rate:
                state["learning_rate"] = float(self.learning_rate)  # set_params since
        else:
            state = init_state(self.solver, net.params, self.learning_rate)
        state["learning_rate_init"] = float(self.learning_rate)
        return state

    def _hidden_sizes(self):
        sizes = self.hidden_size
        if isinstance(sizes, Integral):
            sizes = (sizes,)
        sizes = tuple(sizes)
        if not sizes or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_size must be a positive int or a non-empty sequence of "
                f"positive ints, got {self.hidden_size!r}."
            )
        return tuple(int(s) for s in sizes)

    def _new_classes(self, y, classes):
        if classes is not None:
            classes_ = unique_labels(classes)
            labels = unique_labels(y)
            unseen = np.setdiff1d(labels, classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels {unseen.tolist()} that are not in classes "
                    f"{classes_.tolist()}."
                )
        else:
            classes_ = unique_labels(y)
        if y.ndim == 1 and classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} can't train when only one class is "
                f"present: got the single class {classes_.tolist()}. Classifier "
                "can't train when only one class is present."
            )
        return classes_

    def _plain_targets(self, X, y, classes):
        """Whether a continuing fit on ``X``, ``y`` may skip ``validate_data``,
        ``check_classification_targets`` and :meth:`_check_labels`.

        True when ``X`` passes :meth:`_plain_array`, ``classes`` is not given,
        the model is not multilabel and ``y`` is a 1-D numpy array of as many
        labels (bool, int, float or str), every one of them in ``classes_``:
        labels already accepted as classification targets, so the full checks
        would pass.  Anything else takes the full path and its error messages.
        """
        if (
            classes is not None
            or type(y) is not np.ndarray
            or y.ndim != 1
            or y.dtype.kind not in "biufU"
            or self._is_multilabel()
            or self._plain_array(X) is None
            or y.shape[0] != X.shape[0]
        ):
            return False
        # Python sets compare like numpy's ==; NaN is in no set.
        return set(y.tolist()) <= set(self.classes_.tolist())

    def _check_labels(self, y, classes):
        if classes is not None and not np.array_equal(
            unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differs from the classes "
                f"of the previous call, {self.classes_.tolist()}."
            )
        multilabel = self._is_multilabel()
        if (y.ndim == 2) != multilabel or (
            multilabel and y.shape[1] != self.n_outputs_
        ):
            expected = (
                f"a multilabel indicator matrix with {self.n_outputs_} columns"
                if multilabel
                else "a 1-D array of labels"
            )
            raise ValueError(
                "y does not have the shape of the targets this model was fitted "
                f"on: expected {expected}, got shape {y.shape}."
            )
        if not multilabel:
            unseen = np.setdiff1d(unique_labels(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels {unseen.tolist()} that are not in classes_ "
                    f"{self.classes_.tolist()}; a fitted network cannot learn new "
                    "classes."
                )

    def _check_architecture(self, layer_sizes):
        old = self._layer_sizes
        if old != layer_sizes or self._activation != self.activation:
            raise ValueError(
                "Cannot continue training: the network has layer sizes "
                f"{old} and activation {self._activation!r}, but the parameters ask "
                f"for {layer_sizes} and {self.activation!r}. Restore hidden_size and "
                "activation, or set warm_start=False to start anew."
            )

    @staticmethod
    def _encode(y, classes, dtype):
        """0/1 targets, one column per output unit, and the output layer:
        sigmoids for binary and multilabel targets, a softmax for multiclass."""
        if y.ndim == 2:  # multilabel indicator matrix
            return np.asarray(y, dtype=dtype), "logistic"
        if classes.size == 2:
            return (y == classes[1]).astype(dtype)[:, np.newaxis], "logistic"
        Y = np.zeros((y.shape[0], classes.size), dtype=dtype)
        Y[np.arange(y.shape[0]), np.searchsorted(classes, y)] = 1
        return Y, "softmax"

    def _sample_weight(self, X, y, Y, sample_weight, output, incremental, continuing):
        """User weights times class weights, and the running class counts that
        ``class_weight="balanced"`` keeps across partial_fit calls."""
        class_counts = self.__dict__.get("_class_counts") if continuing else None
        if sample_weight is None and self.class_weight is None:
            return None, class_counts
        sw = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if self.class_weight == "balanced":
            class_counts = _weighted_class_counts(Y, sw, output) + (
                0 if class_counts is None else class_counts
            )
            sw = sw * _balanced_weight(Y, class_counts, output).astype(X.dtype)
        elif self.class_weight is not None:
            sw = sw * compute_sample_weight(self.class_weight, y).astype(X.dtype)
        if not np.any(sw > 0):
            raise ValueError(
                "Sample weights must contain at least one non-zero number: every "
                "sample has weight 0, so there is nothing to learn."
            )
        if not incremental and y.ndim == 1 and np.unique(y[sw > 0]).size < 2:
            raise ValueError(
                "Only one class has samples with non-zero weight; the classifier "
                "needs at least two classes to learn."
            )
        return sw, class_counts

    def _rng(self, incremental):
        if incremental and isinstance(self.random_state, Integral):
            # A fresh, reproducible stream per partial_fit call.
            return np.random.RandomState(
                (self.random_state + getattr(self, "n_iter_", 0)) % 2**32
            )
        return check_random_state(self.random_state)

    def _batch_size(self, n_samples):
        if self.solver in ("gd", "lbfgs"):  # full batch
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "samples; using every sample in one batch."
            )
        return min(self.batch_size, n_samples)

    def _fit_lbfgs(self, net, X, Y, sample_weight):
        workspace = net.workspace(X.shape[0])  # one for every evaluation
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = lbfgs(
                lambda params: net.loss_grad(
                    X, Y, self.alpha, sample_weight, workspace
                ),
                net.params,
                self.max_iter,
                self.max_fun,
                self.tol,
            )
        try:
            check_weights(net.params)
        except DivergenceError as exc:
            raise self._divergence(str(exc)) from None
        if result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"(status={result.status}): {result.message}. Increase max_iter "
                "or max_fun, or scale the data.",
                ConvergenceWarning,
            )
        return {
            "n_iter": max(result.nit, 1),
            "t": max(result.nit, 1) * X.shape[0],
            "loss": float(result.fun),
            "loss_curve": result.loss_curve or [float(result.fun)],
            "validation_scores": None,
        }

    def _fit_stochastic(
        self, net, X, Y, y, sample_weight, state, rng, batch_size, incremental, hooks
    ):
        score = None
        if self.early_stopping and not incremental:
            X, Y, y, sample_weight, score = self._hold_out(
                X, Y, y, sample_weight, rng, hooks.classes
            )
            batch_size = min(batch_size, X.shape[0])
        hooks.set_data(X, y, sample_weight)
        max_iter = 1 if incremental else self.max_iter
        try:
            history = train(
                net,
                X,
                Y,
                sample_weight,
                state,
                alpha=self.alpha,
                batch_size=batch_size,
                max_iter=max_iter,
                shuffle=self.shuffle,
                rng=rng,
                plateau=Plateau(
                    self.tol, self.n_iter_no_change, higher_is_better=score is not None
                ),
                schedule=self.learning_rate_schedule,
                initial_learning_rate=self.learning_rate,
                power_t=self.power_t,
                t=getattr(self, "t_", 0) if hooks.continuing else 0,
                score=score,
                on_epoch_begin=hooks.epoch_begin,
                on_epoch=hooks.epoch_end,
                step_params=dict(
                    momentum=self.momentum,
                    nesterovs_momentum=self.nesterovs_momentum,
                    beta_1=self.beta_1,
                    beta_2=self.beta_2,
                    epsilon=self.epsilon,
                ),
            )
        except DivergenceError as exc:
            raise self._divergence(str(exc)) from None
        if history.interrupted:
            warnings.warn(
                f"Training interrupted after {history.n_iter} epochs: keeping the "
                "weights learned so far.",
                UserWarning,
            )
            if history.n_iter == 0:
                raise KeyboardInterrupt
        elif not incremental and not history.converged:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return {
            "n_iter": history.n_iter,
            "t": history.t,
            "loss": history.loss_curve[-1],
            "loss_curve": history.loss_curve,
            "validation_scores": history.validation_scores if score else None,
        }

    def _hold_out(self, X, Y, y, sample_weight, rng, classes):
        """Split off the early-stopping validation set and its scorer."""
        n_samples = X.shape[0]
        stratify = (
            y
            if y.ndim == 1 and np.unique(y, return_counts=True)[1].min() >= 2
            else None
        )
        arrays = [X, Y, y] + ([] if sample_weight is None else [sample_weight])
        try:
            parts = train_test_split(
                *arrays,
                test_size=self.validation_fraction,
                random_state=rng,
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction="
                f"{self.validation_fraction} of {n_samples} samples: {exc} Use "
                "more samples, a larger validation_fraction, or early_stopping=False."
            ) from None
        X, X_val, Y, _, y, y_val = parts[:6]
        sample_weight, sw_val = (None, None) if sample_weight is None else parts[6:]
        if sw_val is not None and sw_val.sum() == 0:
            raise ValueError(
                "early_stopping=True: every held-out sample has weight 0, so the "
                "validation score is undefined. Use early_stopping=False."
            )

        def score(net):
            proba = self._proba(net.logits(X_val), net.output)
            return accuracy_score(
                y_val,
                self._decode(proba, classes, y_val.ndim == 2),
                sample_weight=sw_val,
            )

        return X, Y, y, sample_weight, score

    def _divergence(self, what):
        return ValueError(
            f"Training diverged: {what}. The model was left as it was before this "
            f"call. Try a lower learning_rate (now {self.learning_rate}), scale the "
            "inputs (e.g. with StandardScaler), or a larger alpha."
        )

    @staticmethod
    def _model_attributes(net, classes_):
        """The fitted attributes that make a network predict."""
        return {
            "classes_": classes_,
            "_params": net.params,
            "_layer_sizes": net.layer_sizes,
            "_activation": net.activation,
            "coefs_": net.coefs,
            "intercepts_": net.intercepts,
            "n_layers_": len(net.layer_sizes),
            "n_outputs_": net.layer_sizes[-1],
            "out_activation_": net.output,
        }

    def _commit(self, net, classes_, state, class_counts, result, continuing):
        """Publish the trained network and its history as fitted attributes."""
        vars(self).update(self._model_attributes(net, classes_))
        self._optimizer_state = state
        self._class_counts = class_counts
        self.n_iter_ = (self.n_iter_ if continuing else 0) + result["n_iter"]
        self.t_ = (self.t_ if continuing else 0) + result["t"]
        self.loss_ = result["loss"]
        if continuing:  # in place: O(1) per partial_fit call, undone on failure
            self.loss_curve_.extend(result["loss_curve"])
        else:
            self.loss_curve_ = list(result["loss_curve"])
        scores = result["validation_scores"]
        self.validation_scores_ = scores
        self.best_validation_score_ = None if scores is None else max(scores)
        if scores is not None:
            self.best_loss_ = None
        elif continuing and self.best_loss_ is not None:  # O(1) per partial_fit call
            self.best_loss_ = min(self.best_loss_, *result["loss_curve"])
        else:
            self.best_loss_ = min(self.loss_curve_)

    # --------------------------------------------------------------- predicting
    def _network(self):
        return Network(
            self._layer_sizes, self._activation, self.out_activation_, self._params
        )

    def _is_multilabel(self):
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def _plain_array(self, X):
        """``X`` itself when it is a plain float numpy array that ``validate_data``
        would return unchanged without complaint, else None.

        Checks what validation checks, cheaply: a 2-D float32/float64
        ``ndarray`` (not a subclass, DataFrame or sparse matrix) with at least
        one row, the fitted number of features and a finite sum (NaN or inf
        anywhere makes the sum non-finite; an overflowing sum only sends a
        finite array down the full path).  Estimators fitted with feature
        names always take the full path, which warns about missing names.
        Everything else goes through ``validate_data`` and its error messages.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOATS
            and X.shape[0] > 0
            and X.shape[1] == self.__dict__.get("n_features_in_")
            and "feature_names_in_" not in self.__dict__
            and np.isfinite(np.add.reduce(X, axis=None))
        ):
            return X
        return None

    def _logits(self, X):
        if "_params" not in self.__dict__:
            check_is_fitted(self)
        if self._plain_array(X) is None:
            X = validate_data(
                self, X, accept_sparse=_ACCEPT_SPARSE, dtype=_FLOATS, reset=False
            )
        with np.errstate(over="ignore", invalid="ignore"):
            Z = self._network().logits(X)
        if not np.isfinite(Z).all():
            if np.isnan(Z).any():
                raise ValueError(
                    "The network's activations overflowed on this input (inf - inf "
                    "gave NaN): the input is too large for the learned weights. "
                    "Scale the inputs the way the training data was scaled."
                )
            np.nan_to_num(Z, copy=False)  # +-inf logits: the largest finite floats
        return Z

    @staticmethod
    def _proba(Z, output):
        """Probabilities from logits, one column per class (per label for
        multilabel targets), kept inside the open interval (0, 1): a
        probability is never exactly 0 or 1, so ``log(predict_proba)`` is
        finite like ``predict_log_proba``."""
        with np.errstate(over="ignore"):  # z - max(z) may reach -inf: exp gives 0
            proba = OUTPUTS[output][0](_per_class(Z, output))
        finfo = np.finfo(proba.dtype)
        return np.clip(proba, finfo.smallest_subnormal, 1 - finfo.epsneg, out=proba)

    @staticmethod
    def _decode(proba, classes, multilabel):
        """Labels from :meth:`_proba`: the argmax, or a 0.5 threshold per label."""
        if multilabel:
            return (proba > 0.5).astype(int)
        return classes[np.argmax(proba, axis=1)]

    def decision_function(self, X):
        """Logits of the output layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            For binary targets, the logit of the positive class (1-D).

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, solver="lbfgs", random_state=0)
        >>> clf = clf.fit(X, y)
        >>> scores = clf.decision_function(X)
        >>> scores.shape
        (4,)
        >>> (scores > 0).astype(int)  # a positive logit means class 1
        array([0, 0, 1, 1])
        """
        Z = self._logits(X)
        return Z.ravel() if Z.shape[1] == 1 else Z

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            For multilabel targets, the probability of each label.

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, solver="lbfgs", random_state=0)
        >>> clf = clf.fit(X, y)
        >>> proba = clf.predict_proba(X)
        >>> proba.shape
        (4, 2)
        >>> np.allclose(proba.sum(axis=1), 1)
        True
        >>> clf.classes_[proba.argmax(axis=1)]
        array([0, 0, 1, 1])
        """
        return self._proba(self._logits(X), self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, solver="lbfgs", random_state=0)
        >>> clf = clf.fit(X, y)
        >>> np.allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
        True

        Far from the training data, where a probability rounds to 0, the
        logarithm stays finite:

        >>> bool(np.isfinite(clf.predict_log_proba([[1e6]])).all())
        True
        """
        Z = _per_class(self._logits(X), self.out_activation_)
        with np.errstate(over="ignore"):
            log_proba = OUTPUTS[self.out_activation_][1](Z)
        # below the smallest float: the most negative float rather than -inf
        return np.maximum(log_proba, np.finfo(log_proba.dtype).min, out=log_proba)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> clf = ANNClassifier(hidden_size=8, solver="lbfgs", random_state=0)
        >>> clf = clf.fit(X, y)
        >>> clf.predict([[0.5], [2.5]])
        array([0, 1])
        """
        proba = self._proba(self._logits(X), self.out_activation_)
        return self._decode(proba, self.classes_, self._is_multilabel())

    # --------------------------------------------------------------- plumbing
    def __sklearn_is_fitted__(self):
        # What check_is_fitted would infer from the "_"-suffixed attributes,
        # in O(1): _fit_context asks on every partial_fit call.
        return "_params" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    def __getstate__(self):
        # coefs_ and intercepts_ are views into _params: pickle the buffer once
        # and rebuild the views on load.
        state = dict(super().__getstate__())
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_params" in state:
            net = self._network()
            self.coefs_, self.intercepts_ = net.coefs, net.intercepts


class _EpochHooks:
    """What happens around each epoch besides training: the ``verbose`` lines
    and scikit-learn's callbacks (``set_callbacks``, scikit-learn >= 1.9).

    Callbacks see one root task per ``fit``/``partial_fit`` call and one
    subtask per epoch; ``ScoringMonitor`` gets a model that predicts with the
    weights of that epoch.
    """

    def __init__(self, estimator, net, classes, incremental, continuing):
        self.estimator, self.net, self.classes = estimator, net, classes
        self.continuing = continuing
        self.first_epoch = getattr(estimator, "n_iter_", 0) if continuing else 0
        self.context = self.epoch_context = None
        self.set_data(None, None, None)
        # A context only when callbacks can fire: set on this estimator, or
        # propagated by a meta-estimator (Pipeline, GridSearchCV).
        if hasattr(estimator, "_init_callback_context") and (
            "_skl_callbacks" in vars(estimator)
            or "_parent_callback_ctx" in vars(estimator)
        ):
            if estimator.solver == "lbfgs":
                max_subtasks = 0
            else:
                max_subtasks = 1 if incremental else estimator.max_iter
            self.context = estimator._init_callback_context(max_subtasks=max_subtasks)

    def set_data(self, X, y, sample_weight):
        """The data the callbacks see (the training part, with early stopping)."""
        self.X, self.y = X, y
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )

    def fit_begin(self, X, y, sample_weight):
        self.set_data(X, y, sample_weight)
        if self.context is not None:
            self.context.call_on_fit_task_begin(
                estimator=self.estimator, X=X, y=y, metadata=self.metadata
            )

    def fit_end(self, X, y, sample_weight):
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                X=X,
                y=y,
                metadata=None
                if sample_weight is None
                else {"sample_weight": sample_weight},
                reconstruction_attributes={},
            )

    def epoch_begin(self):
        if self.context is not None:
            self.epoch_context = self.context.subcontext(task_name="epoch")
            self.epoch_context.call_on_fit_task_begin(
                estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata
            )

    def epoch_end(self, history, seconds):
        """Report the epoch; True when a callback asks to stop."""
        if self.estimator.verbose:
            line = (
                f"Epoch {self.first_epoch + history.n_iter}: "
                f"loss = {history.loss_curve[-1]:.8f}"
            )
            if history.validation_scores:
                line += f", validation score = {history.validation_scores[-1]:.6f}"
            print(f"{line}, {seconds:.3f} s", flush=True)
        if self.epoch_context is None:
            return False
        return self.epoch_context.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=lambda: self._snapshot(),
        )

    def _snapshot(self):
        net = Network(
            self.net.layer_sizes,
            self.net.activation,
            self.net.output,
            self.net.params.copy(),
        )
        return ANNClassifier._model_attributes(net, self.classes)
