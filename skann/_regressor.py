"""ANNRegressor: the regressor's contract around skann's fitting machinery.

What makes the estimator a regressor: its parameters, the target scale
(targets are standardised inside, predictions come out in the targets'
units), the output layer and loss, predictions and R².  The fitting
machinery it shares with the classifier lives in :mod:`skann._base`.
"""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.model_selection import KFold, train_test_split
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from . import _targets
from ._activations import OUTPUT_MEANS
from ._base import BaseANN, is_stochastic
from ._validation import check_some_weight, plain_values, sample_weights

#: loss -> the output layer it pairs with (its canonical link)
OUTPUT_OF_LOSS = {"squared_error": "identity", "poisson": "exp"}


class ANNRegressor(RegressorMixin, BaseANN):
    """Neural-network regressor on skann's own numpy core.

    A feed-forward network (input, one or more hidden layers, output) trained
    by backpropagation on the squared error (identity output units) or the
    Poisson deviance (``exp`` output units, the log link) with an L2 penalty.
    Targets are standardised inside the estimator by default, so targets in
    any units (house prices in the 100,000s) train as well as unit-scaled
    ones; predictions are in the targets' own units.

    Parameters
    ----------
    hidden_size : int or tuple of int, default=256
        Width of the hidden layer, or one width per hidden layer.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    solver : {"gd", "sgd", "adam", "lbfgs"}, default="adam"
        ``"gd"``: full-batch gradient descent; ``"sgd"``: minibatch gradient
        descent with (Nesterov) momentum; ``"adam"``: minibatch Adam;
        ``"lbfgs"``: scipy's L-BFGS-B on the whole dataset.

    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"squared_error"``: half the squared error, summed over the outputs;
        the output units are the identity.  ``"poisson"``: half the Poisson
        deviance, for non-negative targets such as counts; the output units
        are ``exp`` (the log link), so predictions are positive.

    standardize_target : bool, default=True
        Train on ``(y - mean) / std`` (per output, with the sample weights)
        and predict in ``y``'s units.  With ``loss="poisson"`` the targets are
        divided by their mean only, which keeps them non-negative.  The scale
        is fixed by the first ``fit`` or ``partial_fit`` call of a model and
        kept by ``warm_start`` fits and later ``partial_fit`` calls, whose
        weights were learned on it.  ``False`` trains on ``y`` as it is, as
        MLPRegressor does.

    learning_rate : float or "auto", default="auto"
        Step size of ``"gd"``, ``"sgd"`` and ``"adam"``.  ``"auto"`` picks
        one that suits the solver: for ``"adam"`` 0.001 (0.01 with logistic
        units), as :class:`ANNClassifier`, larger by ``sqrt(100 / width)``
        when the last hidden layer has ``width`` < 100 units (Adam moves
        each weight by about its step, so a narrow layer moves the outputs
        slower).  For ``"gd"`` and ``"sgd"``, a step the loss's curvature
        allows: the loss curves in the output layer by ``1 + mean(|a|^2)``
        over the last hidden layer's outputs ``a`` at the initial weights
        (it grows with the hidden width and the input scale), and in the
        hidden layers by the classifier's estimate (the inputs' scale times
        the square of the activation's steepest slope).  Each takes its own
        step (the output layer 0.5 for ``"gd"`` and 1/3 for ``"sgd"``, the
        hidden layers 0.5 and 0.03, each divided by its curvature), and
        ``"auto"`` is one over the sum of their inverses: a larger step
        diverges or oscillates.  The value used is the fitted attribute
        ``learning_rate_``.

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty on the weights (not on the biases), a
        term of the loss as in MLPRegressor.  ``"auto"``: 0 for ``"adam"``,
        which ``weight_decay`` regularises instead, 0.0001 (MLPRegressor's)
        for the other solvers.

    weight_decay : float or "auto", default="auto"
        Decoupled weight decay, as :class:`ANNClassifier`'s: after each step
        of ``"gd"``, ``"sgd"`` or ``"adam"`` the weights (not the biases)
        shrink by ``learning_rate * weight_decay`` times themselves, at the
        learning rate of the moment.  ``"auto"``: 0.5 for ``"adam"`` (0.05
        with logistic units, whose step is ten times larger), 0 for the other
        solvers; ``"lbfgs"`` accepts only 0.  A twenty-fifth of that in a fit
        that restores its best epoch (``restore_best``).

    batch_size : int or "auto", default="auto"
        Minibatch size of ``"sgd"`` and ``"adam"``; ``"auto"`` is
        ``min(200, n_samples)``.  ``"gd"`` and ``"lbfgs"`` use every sample.

    max_iter : int, default=200
        Maximum number of epochs (iterations for ``"lbfgs"``).

    tol : float, default=1e-4
        Minimum improvement of the training loss (or of the validation R²
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

    warm_start : bool, default=False
        Continue ``fit`` from the current weights instead of starting anew.

    verbose : int, default=0
        Print one line per epoch when positive.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        R² (the score :meth:`score` reports) stops improving and restore the
        best weights.

    validation_fraction : float, default=0.1
        Fraction of the training data held out by ``early_stopping``.

    learning_rate_schedule : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        ``"invscaling"``: ``learning_rate / (t + 1) ** power_t`` after ``t``
        samples; ``"adaptive"``: divide by 5 after ``n_iter_no_change``
        epochs without improvement, until it falls below 1e-6;
        ``"cosine"``: epoch ``e`` runs at
        ``learning_rate * (1 + cos(pi * e / max_iter)) / 2``.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    restore_best : bool or "auto", default="auto"
        In ``fit``, hold out ``validation_fraction`` of the data, score the
        network on it (R²) after every epoch and keep the weights of the best
        epoch, without cutting training short.  ``True``: when the split gets
        at least 20 rows; ``"auto"``: at least 300 (from 3,000 rows at the
        default ``validation_fraction``), enough for the held-out rows to tell
        epochs apart.  On fewer, every row trains and nothing is restored
        (``epoch_cv`` chooses the epochs there by default).  ``partial_fit``
        ignores it.

    epoch_cv : int >= 2, "auto" or None, default="auto"
        In ``fit``, choose the number of epochs by ``epoch_cv``-fold
        cross-validation, then train on every row for that many: one network
        per fold trains on the other folds, its R² on the fold left out is
        taken after every epoch, and the epoch with the highest mean over the
        folds wins (the folds are shuffled with ``random_state``).
        The choice of epoch regularises, as ``restore_best``'s does, without
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

    weight_init : {"auto", "glorot", "he"}, default="auto"
        How the hidden weights are drawn: ``"he"``, He-uniform into relu
        layers and Glorot-uniform elsewhere; ``"glorot"``, Glorot-uniform
        into every layer.  ``"auto"``: ``"glorot"`` for ``"adam"``, ``"he"``
        for the others.  The output layer starts at zero, its biases at the
        (standardised) targets' mean.

    input_scaling : {"auto", "smooth_clip", None}, default="auto"
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

    numerical_embedding : {None, "ple", "auto"}, default="auto"
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
        and predict the mean of their predictions.  Averaging members that
        learned differently smooths the predictions, as an ensemble does, in
        one fit: the cost of training grows about as the total width.
        ``warm_start`` and ``partial_fit`` continue with the fitted number.
        ``coefs_`` packs them: the first layer's columns are the members' in
        turn, and every later layer is block-diagonal, one block per member
        (the entries off the blocks are zero).

    Attributes
    ----------
    target_mean_ : ndarray of shape (n_outputs,)
        What is subtracted from each target before training (0 without
        ``standardize_target`` or with ``loss="poisson"``).
    target_scale_ : ndarray of shape (n_outputs,)
        What each centred target is divided by (1 without
        ``standardize_target``).  The network predicts
        ``(y - target_mean_) / target_scale_``.
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
    n_iter_ : int
        Number of epochs (``"lbfgs"``: iterations) run.
    t_ : int
        Number of training samples seen by the solver.
    loss_ : float
        The loss at the end of training (on the standardised targets).
    loss_curve_ : list of float
        The loss after each epoch (iteration).
    best_loss_ : float or None
        The lowest training loss (None with ``early_stopping``).
    cv_scores_ : ndarray of shape (n_epochs,) or None
        With ``epoch_cv``: the held-out R² after each epoch, averaged over
        the folds; the final network trained for the epochs up to its
        maximum.
    validation_scores_ : list of float or None
        Held-out R² after each epoch (with ``early_stopping``).
    best_validation_score_ : float or None
        The best held-out R² (with ``early_stopping``).
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        ``"identity"`` (squared error) or ``"exp"`` (Poisson).

    See Also
    --------
    ANNClassifier : The classifier on the same core.
    sklearn.linear_model.Ridge : What a network without hidden layers would be.

    Notes
    -----
    ANNRegressor is skann's counterpart of scikit-learn's ``MLPRegressor``.
    The loss of a sample is :math:`\\frac12 \\sum_k (a_k - y_k)^2`, summed
    over the outputs (MLPRegressor averages it over the outputs, but its
    gradient is that of the sum), or half the Poisson deviance
    :math:`\\sum_k y_k \\log(y_k / a_k) - y_k + a_k` with :math:`a = e^z`.  The
    mean over the samples is weighted by ``sample_weight``, plus
    :math:`\\frac{\\alpha}{2 m} \\sum_k \\lVert W_k \\rVert^2`.  Both pair an
    output with its canonical loss, so backpropagation starts from
    :math:`dZ_L = A_L - Y`.
    With ``weight_decay`` :math:`\\lambda`, each step at learning rate
    :math:`\\eta` is followed by :math:`W_k \\leftarrow W_k - \\eta \\lambda W_k`.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import ANNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 2))
    >>> y = 300_000 + 50_000 * X[:, 0] - 20_000 * X[:, 1] ** 2  # house prices
    >>> reg = ANNRegressor(hidden_size=16, solver="lbfgs", random_state=0)
    >>> reg = reg.fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
    >>> reg.predict(X[:2]).round(-3)  # in the targets' units
    array([302000., 310000.])
    """

    _parameter_constraints = {
        **BaseANN._parameter_constraints,
        "loss": [StrOptions(set(OUTPUT_OF_LOSS))],
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=256,
        activation="relu",
        solver="adam",
        loss="squared_error",
        standardize_target=True,
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
        warm_start=False,
        verbose=0,
        max_fun=15000,
        early_stopping=False,
        validation_fraction=0.1,
        learning_rate_schedule="constant",
        power_t=0.5,
        restore_best="auto",
        epoch_cv="auto",
        weight_init="auto",
        input_scaling="auto",
        numerical_embedding="auto",
        n_bins=8,
        n_members=1,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.solver = solver
        self.loss = loss
        self.standardize_target = standardize_target
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
        self.warm_start = warm_start
        self.verbose = verbose
        self.max_fun = max_fun
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.restore_best = restore_best
        self.epoch_cv = epoch_cv
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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (non-negative with ``loss="poisson"``).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : ANNRegressor
            The fitted estimator.
        """
        return self._guarded_fit(X, y, sample_weight, classes=None, incremental=False)

    @available_if(is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``X``, ``y``, continuing from the current state.

        The first call fixes the target scale (see ``standardize_target``)
        from its ``y``; later calls keep it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : ANNRegressor
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skann import ANNRegressor
        >>> rng = np.random.RandomState(0)
        >>> reg = ANNRegressor(hidden_size=16, learning_rate=0.01, random_state=0)
        >>> for _ in range(200):  # a stream of chunks
        ...     X = rng.uniform(-1, 1, size=(20, 1))
        ...     reg = reg.partial_fit(X, 1000 + 100 * X[:, 0])
        >>> reg.n_iter_
        200
        >>> reg.predict([[0.0], [0.5]]).round(-1)
        array([1000., 1050.])
        """
        return self._guarded_fit(X, y, sample_weight, classes=None, incremental=True)

    # ---------------------------------------------- hooks of the fitting machinery
    def _training_data(self, X, y, sample_weight, classes, ctx):
        """Validated ``X``, ``y`` and the target scale: a new one from ``y``
        and the weights, or the fitted one when training continues."""
        continuing = ctx.continuing
        if not (continuing and ctx.incremental and plain_values(self, X, y)):
            X, y = self._validate_xy(X, y, continuing, y_numeric=True)
        if self.loss == "poisson" and y.min() < 0:
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression."
            )
        if continuing:
            if OUTPUT_OF_LOSS[self.loss] != self.out_activation_:
                raise ValueError(
                    "Cannot continue training: the network was fitted with the "
                    f"{self.out_activation_!r} output of another loss than "
                    f"loss={self.loss!r}. Restore loss, or set warm_start=False "
                    "to start anew."
                )
            n_outputs = 1 if y.ndim == 1 else y.shape[1]
            if n_outputs != self.n_outputs_:
                raise ValueError(
                    "y does not have the shape of the targets this model was "
                    f"fitted on: expected {self.n_outputs_} output(s), got shape "
                    f"{y.shape}."
                )
            return X, y, self._target_attributes()
        if not self.standardize_target:
            n_outputs = 1 if y.ndim == 1 else y.shape[1]
            mean, scale = np.zeros(n_outputs), np.ones(n_outputs)
        else:
            sw = self._checked_weights(sample_weight, X)
            mean, scale = _targets.target_scale(y, sw, self.loss == "squared_error")
        return X, y, {"target_mean_": mean, "target_scale_": scale}

    def _target_attributes(self):
        return {"target_mean_": self.target_mean_, "target_scale_": self.target_scale_}

    def _encode(self, y, targets, dtype):
        Y = _targets.standardize(
            y, targets["target_mean_"], targets["target_scale_"], dtype
        )
        return Y, OUTPUT_OF_LOSS[self.loss]

    def _sample_weight(self, X, y, Y, sample_weight, output, ctx):
        """The user's weights, checked, and no attributes to keep with them
        (see :meth:`ANNClassifier._sample_weight`)."""
        return self._checked_weights(sample_weight, X), {}

    @staticmethod
    def _checked_weights(sample_weight, X):
        if sample_weight is None:
            return None
        sw = sample_weights(sample_weight, X)
        check_some_weight(sw)
        return sw

    def _split(self, arrays, y, rng):
        return train_test_split(
            *arrays, test_size=self.validation_fraction, random_state=rng
        )

    @staticmethod
    def _folds(k, y, rng):
        """epoch_cv's ``k`` shuffled folds."""
        return KFold(k, shuffle=True, random_state=rng)

    @staticmethod
    def _validation_score(net, X, y, sample_weight, targets):
        """R² on the held-out data, in the targets' units: the score
        :meth:`score` reports, which does not depend on the targets' units
        (so ``tol`` means the same for any), and MLPRegressor's choice."""
        predicted = _predictions(net.prediction_logits(X), net.output, targets)
        return _r2(y, predicted, sample_weight)

    # --------------------------------------------------------------- predicting
    def predict(self, X):
        """Predicted targets, in the units of the ``y`` the model was fitted on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        Z = self._logits(X)
        return _predictions(Z, self.out_activation_, self._target_attributes())

    # --------------------------------------------------------------- plumbing
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        poisson = self.loss == "poisson"
        tags.target_tags.positive_only = poisson
        # Both losses train on 2-D targets; but scikit-learn's multi-output
        # check feeds negative targets whatever positive_only says, which the
        # Poisson loss must refuse, so poisson does not claim multi-output.
        tags.target_tags.multi_output = not poisson
        return tags


def _predictions(Z, output, targets):
    """The network's logits ``Z`` turned into predictions in the targets' units."""
    with np.errstate(over="ignore"):
        A = OUTPUT_MEANS[output][0](Z)  # the inverse link, in place
    return _targets.unstandardize(A, targets["target_mean_"], targets["target_scale_"])


def _r2(y, predicted, sample_weight):
    """``r2_score(y, predicted, sample_weight=sample_weight)``, computed as it
    computes it, without its checks of the inputs: the held-out rows are
    scored after every epoch, and their checks cost more than the epoch of a
    small data set.  ``y`` holds at least two rows."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(y.shape)
    weight = 1.0 if sample_weight is None else sample_weight[:, None]
    numerator = np.sum(weight * (y - predicted) ** 2, axis=0)
    mean = np.average(y, axis=0, weights=sample_weight)
    denominator = np.sum(weight * (y - mean) ** 2, axis=0)
    # r2_score's force_finite: a constant target scores 1 if predicted
    # exactly, 0 otherwise
    scores = np.where(numerator == 0, 1.0, 0.0)
    valid = denominator != 0
    scores[valid] = 1 - numerator[valid] / denominator[valid]
    return float(np.mean(scores))
