"""ANNClassifier: the classifier's contract around skann's fitting machinery.

This module holds what makes the estimator a classifier: its parameters,
classes and class weights, and the predictions (probabilities, labels,
decision function).  The fitting machinery it shares with every skann
estimator lives in :mod:`skann._base`, the label and weight maths in
:mod:`skann._targets`, the validation fast paths in :mod:`skann._validation`.
"""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.utils import compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from . import _targets
from ._base import BaseANN, is_stochastic, resolve_auto
from ._validation import (
    check_labels,
    check_some_weight,
    labels_of,
    new_classes,
    plain_targets,
    sample_weights,
)


class ANNClassifier(ClassifierMixin, BaseANN):
    """Neural-network classifier on skann's own numpy core.

    A feed-forward network (input, one or more hidden layers, output) trained
    by backpropagation on the cross-entropy loss with an L2 penalty.  The output
    layer is one sigmoid unit for binary targets, a softmax for multiclass
    targets and one sigmoid per label for multilabel indicator targets.

    Parameters
    ----------
    hidden_size : int or tuple of int, default=256
        Width of the hidden layer, or one width per hidden layer.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    solver : {"gd", "sgd", "adam", "lbfgs"}, default="adam"
        ``"gd"``: full-batch gradient descent (the lesson's algorithm);
        ``"sgd"``: minibatch gradient descent with (Nesterov) momentum;
        ``"adam"``: minibatch Adam; ``"lbfgs"``: scipy's L-BFGS-B on the
        whole dataset.

    learning_rate : float or "auto", default="auto"
        Step size of ``"gd"``, ``"sgd"`` and ``"adam"``.  ``"auto"`` picks
        one that suits the solver: 0.001 for ``"adam"`` (MLPClassifier's;
        0.01 with logistic units, whose deep networks learn slowly), larger
        by ``sqrt(100 / width)`` when the last hidden layer has ``width`` <
        100 units (Adam moves each weight by about its step, so a narrow
        layer moves the outputs slower); for ``"gd"`` (one
        step per epoch) 0.5 and for ``"sgd"`` 0.03, each divided by how
        sharply the loss curves in the first layer, when that exceeds 1: the
        inputs' mean square ``mean(X ** 2)``, or twice the length of their
        mean when larger (inputs far from centred, as raw positive features
        or the numerical embedding's), times the square of the hidden
        activation's steepest slope (a quarter for logistic units, 1 for the
        others).  Raw features of a large size get a step smaller by its
        square instead of diverging.
        The value used is the fitted attribute ``learning_rate_``; a
        ``partial_fit`` resolves it on its first call and keeps it until
        ``learning_rate`` or ``solver`` changes.  ``"lbfgs"`` has no step size.

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty on the weights (not on the biases), a
        term of the loss as in MLPClassifier.  ``"auto"``: 0 for ``"adam"``,
        which ``weight_decay`` regularises instead, 0.0001 for the other
        solvers (for ``"gd"``, the lesson's, the cost then falls at every
        epoch as the lesson shows).

    weight_decay : float or "auto", default="auto"
        Decoupled weight decay (AdamW's; Loshchilov & Hutter, 2019): after
        each step of ``"gd"``, ``"sgd"`` or ``"adam"``, every weight (not the
        biases) shrinks by ``learning_rate * weight_decay`` times itself, at
        the learning rate of the moment, so that it follows
        ``learning_rate_schedule``.  Unlike ``alpha``'s penalty, whose
        gradient Adam divides by the gradient's running scale, it shrinks
        each weight at the same pace, and a weight that learns nothing from
        the data (from an input that is always zero, say) fades slowly
        instead of sinking within a few epochs into the subnormal numbers on
        which processors compute many times slower.  ``"auto"``: 0.5 for
        ``"adam"`` (0.05 with logistic units, whose step is ten times larger:
        the same decay per step; see the "Good defaults" page), 0 for
        ``"gd"`` and ``"sgd"`` and for ``"lbfgs"``, which takes no steps of a
        set size and accepts only 0; a twenty-fifth of that in a fit that
        restores its best epoch (``restore_best``), where the choice of
        epoch regularises instead.

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
        ``"balanced"`` uses ``n_samples / (n_classes * np.bincount(y))``
        (counted with the sample weights; in ``partial_fit``, over every call
        so far).  For multilabel targets, ``"balanced"`` balances each label's
        positives against its negatives so, and a sample's weight is the
        product over its labels: what scikit-learn's
        ``compute_sample_weight("balanced", Y)`` and its multi-output forests
        do.  With many rare labels these products span orders of magnitude;
        ``sample_weight`` sets any other weighting.  A dict weighs the classes
        of 1-D labels only.

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

    learning_rate_schedule : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        ``"invscaling"``: ``learning_rate / (t + 1) ** power_t`` after ``t``
        samples; ``"adaptive"``: divide by 5 after ``n_iter_no_change``
        epochs without improvement, until it falls below 1e-6;
        ``"cosine"``: epoch ``e`` runs at
        ``learning_rate * (1 + cos(pi * e / max_iter)) / 2``, from
        ``learning_rate`` down towards 0 over ``max_iter`` epochs (then
        again from the top: ``partial_fit`` keeps learning past ``max_iter``
        calls).

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    label_smoothing : float in [0, 1) or "auto", default=0.0
        Train against targets pulled towards the uniform distribution,
        ``(1 - label_smoothing) * Y + label_smoothing / k`` (``k`` classes;
        2 per sigmoid unit): the loss stops rewarding ever larger logits.
        ``"auto"``: 0.1 for ``"adam"`` and ``"sgd"``, 0 for ``"gd"`` and
        ``"lbfgs"`` (which minimise the plain cross-entropy, as the lesson
        does).  ``loss_curve_`` reports the loss against the smoothed targets.

    restore_best : bool or "auto", default="auto"
        In ``fit``, hold out ``validation_fraction`` of the data (as
        ``early_stopping`` does), score the network on it after every epoch
        (its cross-entropy, a finer measure than accuracy, which rows
        hardly move) and keep the weights of the epoch where it was lowest,
        without cutting training short.  ``True``:
        when the split gets at least 20 rows; ``"auto"``: when it gets at
        least 300 (from 3,000 rows at the default ``validation_fraction``),
        enough for the held-out rows to tell epochs apart.  On fewer, every row
        trains and nothing is restored (``epoch_cv`` chooses the epochs
        there by default).  ``partial_fit`` ignores it.

    epoch_cv : int >= 2, "auto" or None, default="auto"
        In ``fit``, choose the number of epochs by ``epoch_cv``-fold
        cross-validation, then train on every row for that many: one network
        per fold trains on the other folds, its cross-entropy on the fold
        left out is taken after every epoch, and the epoch with the lowest
        mean over the folds wins (the folds are shuffled with
        ``random_state`` and stratified when every class can be).  The
        choice of epoch regularises, as ``restore_best``'s does, without
        keeping any row out of the final network, and weight decay is a
        twenty-fifth as strong, as when restoring.  A fold stops once the
        epochs since its best number twice the best one's, so the fit costs
        up to ``epoch_cv + 1`` times as much.  Each fold needs at least 20
        rows; on fewer, every row trains for ``max_iter`` epochs, as with
        ``None``.  ``"auto"``: 5 folds below 3,000 rows (where
        ``restore_best="auto"`` holds nothing out), with ``"adam"``, no
        early stopping, no ``restore_best=True`` and no warm start.  An int
        cannot be combined with ``solver="lbfgs"``, ``early_stopping=True``,
        ``restore_best=True`` or ``warm_start=True``.  ``partial_fit``
        ignores it.

    calibrate : bool, default=False
        With ``restore_best``'s held-out split: after training, fit one
        temperature ``T`` that minimises the held-out cross-entropy of
        ``logits / T`` and fold ``1 / T`` into the output layer's weights
        and biases.  Changes the probabilities, never the predicted classes.
        Held-out rows that are all classified right leave the network as it
        is: they only ever ask for more confident predictions.

    weight_init : {"auto", "glorot", "he"}, default="auto"
        How the initial weights are drawn: ``"he"``, He-uniform
        (``U(+-sqrt(6 / n_in))``) into relu layers and Glorot-uniform
        elsewhere; ``"glorot"``, Glorot-uniform into every layer, as
        MLPClassifier does (smaller first-layer weights where the inputs are
        few and the hidden layer wide: it generalised better on the tabular
        benchmark, see the "Good defaults" page).  ``"auto"``: ``"glorot"``
        for ``"adam"``, ``"he"`` for the solvers the benchmark did not measure
        (``"gd"``'s is the lesson's initialisation).  Logistic layers get 4
        times Glorot's bound either way.  The output layer starts at zero, its
        biases at the classes' log prior.

    input_scaling : {"auto", "smooth_clip", None}, default=None
        What the network does to each input column before anything else.
        ``"smooth_clip"``: centre it on its median, divide it by its
        interquartile range (half its range where the quartiles coincide), then
        bend it smoothly towards +-10 with ``z / sqrt(1 + (z / 10) ** 2)`` (the
        maths of :class:`~skann.SmoothClipScaler` with ``clip=10``), so that
        outliers cannot dominate the first layer, whatever scaler comes before,
        while a skewed column keeps its bulk straight. Columns of at most two
        distinct values (binary, one-hot) pass through. Fitted in the first
        ``fit`` (on the rows weighted by ``sample_weight``) and kept by
        ``partial_fit`` and ``warm_start``; needs dense ``X``. ``"auto"``:
        ``"smooth_clip"`` for dense ``X``, nothing for sparse ``X``. ``None``:
        the columns as given.

    numerical_embedding : {None, "ple", "auto"}, default=None
        What the network gets for each input column. ``None``: the column as
        given. ``"ple"``: its piecewise-linear encoding on its quantile bins,
        fitted in ``fit`` (the encoding of
        :class:`~skann.PiecewiseLinearEncoder`): up to ``n_bins`` inputs
        that fill up bin by bin as the value rises, so that the first layer
        can give every stretch of a feature its own slope. Columns of at most
        two distinct values pass through. The bins of the first ``fit``
        stay: ``partial_fit`` (whose first call fits them on its own rows)
        and ``warm_start`` continue on them. Needs dense ``X``, and makes the
        first layer up to ``n_bins`` times wider. ``"auto"``: ``"ple"`` when
        the rows number at least ten per input the encoding makes (1,000
        rows for a hundred: about a dozen numeric columns at the default
        ``n_bins``), ``None`` on fewer rows and on sparse ``X``; the first
        fit's choice stays, as its bins do.

    n_bins : int, default=8
        The most bins per column of the piecewise-linear encoding.

    n_members : int, default=1
        How many networks of ``hidden_size`` to train together, as members
        of one network: each has hidden layers of its own, drawn from its
        own initial weights; they are trained on the mean of their losses
        and predict the mean of their probabilities, which
        ``predict_proba`` returns.  ``decision_function`` returns its logits
        (the logarithm of the mean probabilities for several classes, the
        logit of the mean probability for binary and multilabel targets);
        ``calibrate`` divides every member's logits by the one temperature
        that suits their mean best.  Averaging members that learned
        differently smooths the predictions, as an ensemble does, in one
        fit: the cost of training grows about as the total width.
        ``warm_start`` and ``partial_fit`` continue with the fitted number.
        ``coefs_`` packs them: the first layer's columns are the members' in
        turn, and every later layer is block-diagonal, one block per member
        (the entries off the blocks are zero).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, the label indices).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` had string column names.
    bin_edges_ : list of ndarray or None
        With ``numerical_embedding="ple"``, the edges of each column's bins
        (an empty array for a column passed through); otherwise None.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(n_in, n_out)``: the weights of layer ``i``
        (``coefs_[0]`` has a row per encoded input with
        ``numerical_embedding``). Views into one flat parameter buffer.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape ``(n_out,)``: the biases of layer ``i``.
    learning_rate_ : float or None
        The step size the last ``fit`` / ``partial_fit`` started from:
        ``learning_rate``, or the solver's value for ``"auto"`` (None with
        ``"lbfgs"``).  A schedule changes the step size from there.
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
    cv_scores_ : ndarray of shape (n_epochs,) or None
        With ``epoch_cv``: after each epoch, minus the held-out
        cross-entropy, averaged over the folds; the final network trained
        for the epochs up to its maximum.
    validation_scores_ : list of float or None
        Held-out accuracy after each epoch (with ``early_stopping`` or
        ``restore_best``).
    best_validation_score_ : float or None
        The best held-out accuracy of any epoch (with ``early_stopping`` or
        ``restore_best``; ``restore_best`` keeps the epoch of the lowest
        held-out cross-entropy, whose accuracy can be lower).
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
    With ``weight_decay`` :math:`\\lambda`, each step at learning rate
    :math:`\\eta` is followed by :math:`W_k \\leftarrow W_k - \\eta \\lambda W_k`.

    Examples
    --------
    The lesson's AND gate, learned by full-batch gradient descent:

    >>> import numpy as np
    >>> from skann import ANNClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 0, 0, 1])
    >>> clf = ANNClassifier(hidden_size=4, solver="gd", learning_rate=0.1,
    ...                     max_iter=10000, random_state=42).fit(X, y)
    >>> clf.predict(X)
    array([0, 0, 0, 1])
    >>> clf.predict([[0.1, 0.2], [0.9, 1.1]])
    array([0, 1])
    >>> [W.shape for W in clf.coefs_]
    [(2, 4), (4, 1)]

    One probability per class, each row summing to 1; for binary targets the
    decision function is the logit of the positive class, positive where
    class 1 is predicted:

    >>> proba = clf.predict_proba(X)
    >>> proba.shape
    (4, 2)
    >>> np.allclose(proba.sum(axis=1), 1)
    True
    >>> clf.classes_[proba.argmax(axis=1)]
    array([0, 0, 0, 1])
    >>> scores = clf.decision_function(X)
    >>> scores.shape
    (4,)
    >>> (scores > 0).astype(int)
    array([0, 0, 0, 1])
    >>> np.allclose(clf.predict_log_proba(X), np.log(proba))
    True

    Far from the training data, where a probability rounds to 0, its
    logarithm stays finite:

    >>> bool(np.isfinite(clf.predict_log_proba([[1e6, 1e6]])).all())
    True
    """

    _parameter_constraints = {
        **BaseANN._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "label_smoothing": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
        "calibrate": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=256,
        activation="relu",
        solver="adam",
        learning_rate="auto",
        alpha="auto",
        weight_decay="auto",
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
        label_smoothing=0.0,
        restore_best="auto",
        epoch_cv="auto",
        calibrate=False,
        weight_init="auto",
        input_scaling=None,
        numerical_embedding=None,
        n_bins=8,
        n_members=1,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.solver = solver
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.weight_decay = weight_decay
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
        self.label_smoothing = label_smoothing
        self.restore_best = restore_best
        self.epoch_cv = epoch_cv
        self.calibrate = calibrate
        self.weight_init = weight_init
        self.input_scaling = input_scaling
        self.numerical_embedding = numerical_embedding
        self.n_bins = n_bins
        self.n_members = n_members

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
        """
        return self._guarded_fit(X, y, sample_weight, classes=None, incremental=False)

    @available_if(is_stochastic)
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

    # ---------------------------------------------- hooks of the fitting machinery
    def _training_data(self, X, y, sample_weight, classes, ctx):
        """Validated ``X``, ``y`` and the classes the network will predict."""
        continuing, incremental = ctx.continuing, ctx.incremental
        if incremental and not ctx.fitted and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "network's output layer needs every class up front."
            )
        # Streaming fast path: plain arrays of known labels skip validate_data
        # and the label checks, whose verdict is then known (see plain_targets).
        multilabel = continuing and self._is_multilabel()
        if (
            continuing
            and incremental
            and plain_targets(self, X, y, classes, multilabel)
        ):
            return X, y, {"classes_": self.classes_}
        X, y = self._validate_xy(X, y, continuing)
        check_classification_targets(y)
        if continuing:
            if not incremental and not multilabel:
                # A warm-start fit trains on the whole problem: a class missing
                # from y would be unlearned, so MLPClassifier refuses it too.
                present = labels_of(y)
                if not np.array_equal(present, self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {present}"
                    )
            check_labels(y, classes, self.classes_, multilabel, self.n_outputs_)
            return X, y, {"classes_": self.classes_}
        return X, y, {"classes_": new_classes(y, classes, type(self).__name__)}

    @staticmethod
    def _encode(y, targets, dtype):
        return _targets.encode(y, targets["classes_"], dtype)

    def _sample_weight(self, X, y, Y, sample_weight, output, ctx):
        """User weights times class weights, and the running class counts that
        ``class_weight="balanced"`` keeps across partial_fit calls.

        Parameters
        ----------
        X : ndarray
            The validated inputs.
        y, Y : ndarray
            The labels and their encoding for the network's ``output`` layer.
        sample_weight : array-like or None
            The user's weights.
        output : str
            The output layer's name (``"softmax"`` or ``"logistic"``).
        ctx : FitContext
            A continuing fit adds its counts to the fitted ones.

        Returns
        -------
        sample_weight : ndarray or None
            The weights to train with; None when every row weighs 1.
        attributes : dict
            ``{"_class_counts": ...}``, fitted with the weights.
        """
        class_counts = self.__dict__.get("_class_counts") if ctx.continuing else None
        if sample_weight is None and self.class_weight is None:
            return None, {"_class_counts": class_counts}
        sw = sample_weights(sample_weight, X)
        if self.class_weight == "balanced":
            class_counts = _targets.weighted_class_counts(Y, sw, output) + (
                0 if class_counts is None else class_counts
            )
            sw = sw * _targets.balanced_weight(Y, class_counts, output).astype(X.dtype)
        elif self.class_weight is not None:
            if y.ndim == 2:
                raise ValueError(
                    "class_weight as a dict weighs the classes of 1-D labels, but "
                    "y is a multilabel indicator matrix. Use class_weight="
                    "'balanced' or sample_weight instead."
                )
            sw = sw * compute_sample_weight(self.class_weight, y).astype(X.dtype)
        check_some_weight(sw)
        if not ctx.incremental and y.ndim == 1 and np.unique(y[sw > 0]).size < 2:
            raise ValueError(
                "Only one class has samples with non-zero weight; the classifier "
                "needs at least two classes to learn."
            )
        return sw, {"_class_counts": class_counts}

    def _split(self, arrays, y, rng):
        """Early stopping's split, stratified when every class can be."""
        stratify = y if _stratifiable(y, 2) else None
        return train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=stratify,
        )

    @staticmethod
    def _folds(k, y, rng):
        """epoch_cv's ``k`` shuffled folds, stratified when every class can be."""
        folds = StratifiedKFold if _stratifiable(y, k) else KFold
        return folds(k, shuffle=True, random_state=rng)

    def _smoothing(self):
        """``label_smoothing`` as a number: for ``"auto"``, the solver's
        (:data:`~skann._base.SOLVER_DEFAULTS`), 0.1 for the minibatch solvers
        and 0 for ``"gd"`` and ``"lbfgs"``."""
        return float(resolve_auto(self.solver, "label_smoothing", self.label_smoothing))

    def _train_targets(self, Y, output):
        return _targets.smooth(Y, output, self._smoothing())

    def _calibrate(self, net, ctx):
        """Temperature scaling on the held-out split
        (:meth:`Network.scale_temperature`), folded into the output layer so
        that every prediction path (and the ONNX export) applies it.  It
        moves no decision boundary: only how confident the probabilities
        are, which label smoothing and restoring an early epoch leave too low
        or too high."""
        if not self.calibrate:
            return
        held_out = ctx.held_out
        Y, _ = _targets.encode(held_out.y, ctx.targets["classes_"], np.float64)
        net.scale_temperature(held_out.X, Y, held_out.sample_weight)

    def _restore_score(self, net, X, y, sample_weight, targets, ties=True):
        """restore_best's score: the lower held-out cross-entropy (against
        the true, unsmoothed labels), ties broken by the higher held-out
        accuracy, which is the score reported (without ``ties``, the
        cross-entropy alone, all that epoch_cv's folds need)."""
        Z = net.prediction_logits(X)
        Y, _ = _targets.encode(y, targets["classes_"], Z.dtype)
        loss = -net.loss(Z, Y, sample_weight)
        if not ties:
            return (loss,)
        return loss, _accuracy(net, Z, y, sample_weight, targets)

    @staticmethod
    def _validation_score(net, X, y, sample_weight, targets):
        """Accuracy on the held-out data."""
        return _accuracy(net, net.prediction_logits(X), y, sample_weight, targets)

    # --------------------------------------------------------------- predicting
    def _is_multilabel(self):
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def decision_function(self, X):
        """Logits of the output layer; with ``n_members`` above 1, the logits
        of the members' mean probabilities (the logarithm of the mean
        probabilities, or the logit of the mean probability of each sigmoid
        unit), whose softmax or sigmoid is :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            For binary targets, the logit of the positive class (1-D).
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
        """
        return _targets.proba(self._logits(X), self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably from the logits.

        Finite everywhere, even far from the training data, where a
        probability rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return _targets.log_proba(self._logits(X), self.out_activation_)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        proba = _targets.proba(self._logits(X), self.out_activation_)
        return _targets.decode(proba, self.classes_, self._is_multilabel())

    # --------------------------------------------------------------- plumbing
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _accuracy(net, Z, y, sample_weight, targets):
    """The accuracy of the classes that the logits ``Z`` predict."""
    proba = _targets.proba(Z, net.output)
    predicted = _targets.decode(proba, targets["classes_"], y.ndim == 2)
    return accuracy_score(y, predicted, sample_weight=sample_weight)


def _stratifiable(y, parts):
    """Whether the labels ``y`` (one per row) can be split into ``parts``
    parts that each hold every class."""
    return y.ndim == 1 and np.unique(y, return_counts=True)[1].min() >= parts
