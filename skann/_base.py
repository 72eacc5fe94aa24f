"""What every skann estimator shares: the fitting machinery.

:class:`BaseANN` holds the shared parameters' constraints, the
``fit``/``partial_fit`` skeleton (validation, network and optimizer start,
L-BFGS or the epoch loop, commit of the fitted attributes, rollback on
failure), the logits of a fitted network and pickling.  Pieces of their own
live beside it: the input encoding (:mod:`skann._embedding`), the rows held
out to score epochs on (:mod:`skann._held_out`) and the weights as
attributes (:mod:`skann._weights`).

Each call makes one :class:`~skann._training.FitContext`, which says whether
it continues an earlier fit (``ctx.incremental``, ``ctx.fitted``,
``ctx.continuing``) and, once the data are known, holds their target
attributes (``ctx.targets``) and held-out rows.  A subclass states its
contract through a few hooks that read it:

- ``_training_data(X, y, sample_weight, classes, ctx)``: validated ``X``,
  ``y`` and ``targets``, the fitted target attributes (``{"classes_": ...}``,
  or the regressor's target scale, which the sample weights enter);
- ``_encode(y, targets, dtype)``: the network's targets ``Y`` and its output
  layer's name;
- ``_sample_weight(X, y, Y, sample_weight, output, ctx)``: the weights to
  train with, and attributes to keep with them;
- ``_split(arrays, y, rng)``: the held-out rows' ``train_test_split``;
- ``_validation_score(net, X, y, sample_weight, targets)``: the held-out score.
"""

import math
import sys
import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.extmath import row_norms
from sklearn.utils.validation import check_is_fitted

from ._activations import DERIVATIVES, FORWARD, HIDDEN, SOLVERS, names
from ._blas import blas_threads_for
from ._callbacks import CALLBACK_ATTRIBUTES, CALLBACK_BASES, EpochHooks
from ._embedding import embed, fit_embedding
from ._held_out import Rows, check_epoch_cv, cv_folds, hold_out, score_epochs
from ._network import Network, Workspace
from ._optimizers import lbfgs, resume_or_start
from ._training import (
    DivergenceError,
    FitContext,
    LossGrowth,
    OverflowDivergence,
    Plateau,
    Scratch,
    TrainingConfig,
    check_weights,
    merged_rows,
    stopping_line,
    train,
)
from ._validation import ACCEPT_SPARSE, FLOATS, plain_array, validate
from ._weights import (
    copy_weights_into,
    fitted_network,
    model_attributes,
    sync_weights,
    weight_attributes,
)

# partial_fit keeps its scratch memory for the next call unless its batch
# buffers take more than this: re-allocating them matters for calls on a few
# rows, not for batches large enough to fill this.
_KEPT_SCRATCH_BYTES = 4 << 20
# What to do about inputs too large to train on.
SCALE_INPUTS = (
    "The input data may contain very large values and need to be scaled "
    "(e.g. with StandardScaler)."
)


# The packages between a user's line and skann's warnings: a Pipeline, a
# search or joblib may call fit for the user.
_CALLERS_OF_FIT = ("skann", "sklearn", "joblib")


def warn(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line: the first frame of the
    stack outside skann and the scikit-learn and joblib code that calls it."""
    level, frame = 2, sys._getframe(1)  # level 2: warn's caller
    while frame is not None and (
        frame.f_globals.get("__name__", "").partition(".")[0] in _CALLERS_OF_FIT
    ):
        level += 1
        frame = frame.f_back
    warnings.warn(message, category, stacklevel=level)


def curvature_scaled(base, output_base):
    """A default step size for the plain gradient solvers ("gd", "sgd"):
    ``base`` divided by how sharply the loss curves at the start, when that
    exceeds 1.

    Their stable step shrinks as the curvature grows.  For the classifier's
    cross-entropy, whose curvature in the logits is bounded, it grows with
    the inputs the first layer sees (:func:`_input_curvature`), and shrinks
    with the slope of the activation those inputs pass through on their way
    to the rest of the network: ``base`` is divided by the square of that
    slope times the input curvature.  So raw features of a large size get a
    step smaller by its square instead of diverging, while logistic units,
    whose slope is a quarter at most, keep a step large enough to learn.

    The regressor's squared error and Poisson deviance are not bounded so:
    they curve in the output layer's weights as well, by ``1 + mean(|a|^2)``
    over the last hidden layer's outputs ``a`` at the initial weights (the
    trace of that layer's Hessian, which bounds its largest eigenvalue), and
    the curvatures of the layers add up.  The output layer's weights start at
    zero, so at first the loss curves in it alone; the hidden layers' share
    appears as they grow, and a step that ignored it would leave full-batch
    descent past its stable step on unscaled inputs, oscillating.  Each share
    takes its own step: the hidden layers the classifier's, ``base`` over
    their curvature; the output layer, where the loss is a least-squares
    problem in its weights, ``output_base`` over its curvature, a quarter of
    the solver's stable step there.  The regressor's step is the one both
    allow: one over the sum of the two curvatures, each divided by its step.

    A network of several members is trained on the mean of their losses: a
    member's gradient, and its curvature, is its own divided by their
    number.  The step is that many times larger, so that each member takes
    the step it would take alone (the output layer's curvature is one
    member's, the mean over the members).
    """

    def learning_rate(X, activation, net=None, sample_weight=None):
        members = 1 if net is None else net.members
        with np.errstate(over="ignore", invalid="ignore"):
            hidden = _steepest_slope(activation) ** 2 * _input_curvature(
                X, sample_weight
            )
            if net is not None and net.output in ("identity", "exp"):
                squares, _ = _moments(
                    X, sample_weight, lambda rows: net.forward(rows)[-2]
                )
                output = 1.0 + squares / members
                step = 1.0 / (hidden / base + output / output_base)
            else:
                step = base / max(1.0, hidden)
        if not (math.isfinite(hidden) and step > 0):  # a step of 0 learns nothing
            raise ValueError(
                "The inputs' squares overflow the floating-point range, so "
                f"learning_rate='auto' has no step size to give. {SCALE_INPUTS}"
            )
        return members * step

    return learning_rate


def _input_curvature(X, sample_weight):
    """How sharply the classifier's loss curves in the first layer's weights
    for the inputs ``X``: their mean square per column, or twice the length
    of their mean (the vector of the columns' means) when that is larger.

    The mean square follows the inputs' scale: at the initial weights, the
    first layer's curvature grows with it.  The mean's length follows what
    the rows share: inputs far from centred -- raw positive features, or a
    numerical embedding, whose columns of one feature fill up together --
    move every row the same way, and as the layers learn the gain along that
    shared direction, gradient descent's stable step shrinks with its length
    (docs/good_defaults.rst has the measurements).  Centred inputs have no
    such direction; the mean square alone measures them.
    """
    squares, mean = _moments(X, sample_weight)
    return max(squares / X.shape[1], 2.0 * float(np.linalg.norm(mean)))


def _steepest_slope(activation):
    """The hidden activation's largest slope: at 0 (from the right, for relu),
    read from the activation table's derivative."""
    A = FORWARD[activation](np.array([np.finfo(np.float64).tiny]))
    slope = np.ones(1)
    DERIVATIVES[activation](A, slope)
    return float(slope[0])


def _moments(X, sample_weight, transform=None, chunk=4096):
    """The (weighted) means over the rows of ``|x|^2`` and of ``x``, or of
    ``transform(x)``, ``chunk`` rows at a time: weighted and repeated rows
    give the same values."""
    transform = transform or (lambda rows: rows)
    squares, total = 0.0, 0.0
    for start in range(0, X.shape[0], chunk):
        rows = transform(X[start : start + chunk])
        row_squares = row_norms(rows, squared=True)
        if sample_weight is None:
            squares += float(row_squares.sum())
            total = total + np.asarray(rows.sum(axis=0, dtype=np.float64)).ravel()
        else:
            weights = sample_weight[start : start + chunk]
            squares += float(row_squares @ weights)
            total = total + weights @ rows
    weight = X.shape[0] if sample_weight is None else float(sample_weight.sum())
    return squares / weight, total / weight


def per_activation(default, **exceptions):
    """A default that depends on the hidden activation: ``default``, or
    ``exceptions[activation]``."""

    def value(X, activation, net=None, sample_weight=None):
        return exceptions.get(activation, default)

    return value


def width_scaled(rule, width=100):
    """A default step size for Adam: ``rule``'s, times the square root of how
    much narrower than ``width`` the last hidden layer is (a member's, in a
    network of several members).

    Adam moves every weight by about its step whatever the gradient's size,
    so the outputs move by about the step times the number of hidden units
    that feed them: a network with a narrow last hidden layer learns its
    outputs slower, and a small one underfits in ``max_iter`` epochs where
    the default widths learn.  ``rule``'s step is the one measured at the
    default widths, ``width`` units and more, which keep it; a narrower
    layer gets a step larger by the square root of the ratio, the smaller
    of the two rules that let small networks learn in the default epochs
    (docs/good_defaults.rst).
    """

    def value(X, activation, net=None, sample_weight=None):
        step = rule(X, activation, net, sample_weight)
        if net is None:
            return step
        return step * math.sqrt(max(1.0, width / net.member_sizes[-2]))

    return value


# What a parameter left at "auto" means, per solver: one table to extend, with
# a value or a function of the training inputs ``X``, the hidden activation
# and the network training starts from.  A step size that suits one solver is
# far off for another -- full-batch "gd" takes one step per epoch, Adam's
# steps are normalised per weight (so need no input scaling) -- and no single
# value trains every solver in max_iter=200 epochs.  Adam's step (MLPClassifier's),
# its regularisation and its initialisation come from the tabular and
# regression benchmarks (docs/good_defaults.rst; larger steps overfit there).
# Adam regularises by decoupled weight decay and no L2 penalty: Adam divides
# the penalty's gradient by that gradient's own running scale, so a weight
# that learns nothing from the data (into a unit that never fires, from an
# input that is always zero) shrank by a fixed fraction per step, within a few
# epochs into the subnormal numbers on which processors compute slowly, while
# decoupled decay shrinks it by learning_rate * weight_decay per step: the
# same fraction for every activation (logistic units' larger step gets a
# smaller decay; as much decay per step as the others' kept a deep logistic
# network from learning scikit-learn's check_classifiers_train blobs).
# Logistic networks get a larger step, as deep ones learn too slowly at
# Adam's usual one (docs/good_defaults.rst).  The benchmarks measured Adam
# only: the other solvers keep skann 0.1's He weights and small penalty --
# for "gd", the lesson's algorithm, the lesson's cost falls at every epoch;
# full-batch "sgd" without momentum learns slower from Glorot's smaller
# weights; they decay no weights (their penalty is small); a larger penalty
# makes L-BFGS end its fits on weighted and on repeated rows in different
# minima (scikit-learn's check_sample_weight_equivalence).
# The classifier's label_smoothing="auto" smooths the minibatch solvers'
# targets only: "gd" and "lbfgs" minimise the plain cross-entropy, as the
# lesson does.
SOLVER_DEFAULTS = {
    "gd": {
        # the output layer's stable step is 2 / curvature
        "learning_rate": curvature_scaled(0.5, output_base=0.5),
        "alpha": 0.0001,
        "weight_decay": 0.0,
        "weight_init": "he",
        "label_smoothing": 0.0,
    },
    "sgd": {
        # with momentum (any, Nesterov's or not) it is at least 4/3 / curvature
        "learning_rate": curvature_scaled(0.03, output_base=1 / 3),
        "alpha": 0.0001,
        "weight_decay": 0.0,
        "weight_init": "he",
        "label_smoothing": 0.1,
    },
    "adam": {
        "learning_rate": width_scaled(per_activation(0.001, logistic=0.01)),
        "alpha": 0.0,
        "weight_decay": per_activation(0.5, logistic=0.05),
        "weight_init": "glorot",
        "label_smoothing": 0.1,
    },
    "lbfgs": {
        "learning_rate": None,
        "alpha": 0.0001,
        "weight_decay": 0.0,  # no step size, nothing to decay by
        "weight_init": "he",
        "label_smoothing": 0.0,
    },
}


def resolve_auto(
    solver,
    name,
    value,
    X=None,
    activation=None,
    net=None,
    sample_weight=None,
):
    """``value``, or the default of ``solver`` for ``name`` when ``value`` is
    ``"auto"``.

    Parameters
    ----------
    solver : str
        The estimator's ``solver``: a key of :data:`SOLVER_DEFAULTS`.
    name : str
        The parameter: ``"learning_rate"``, ``"alpha"``, ``"weight_decay"``,
        ``"weight_init"`` or ``"label_smoothing"``.
    value : object
        What the user set.
    X, activation, net, sample_weight : optional
        What a default computed from the data needs: the training inputs as
        the network sees them, the hidden activation, the network training
        starts from and the rows' weights.

    Returns
    -------
    value : object
        ``value`` itself, or the resolved default.
    """
    if not (isinstance(value, str) and value == "auto"):
        return value
    default = SOLVER_DEFAULTS[solver][name]
    if callable(default):
        return default(X, activation, net, sample_weight)
    return default


# In a fit that restores its best epoch (restore_best), the held-out choice of
# epoch regularises, as early stopping does, and the "auto" decay is this
# fraction of its own: the full one kept larger data sets from fitting what
# they could (docs/good_defaults.rst).
RESTORING_DECAY = 1 / 25

# Parameters that models pickled by earlier versions lack, with their defaults
# (see BaseANN.__setstate__).
_ADDED_PARAMETERS = {
    "weight_decay": "auto",
    "input_scaling": None,
    "n_members": 1,
    "epoch_cv": None,
}


def is_stochastic(estimator):
    """``available_if`` check of ``partial_fit``: not with L-BFGS."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is not available with solver='lbfgs': L-BFGS needs the "
            "whole dataset at once. Use solver='adam', 'sgd' or 'gd' to learn "
            "incrementally."
        )
    return True


class BaseANN(*CALLBACK_BASES, BaseEstimator):
    """Base of skann's estimators: fitting, logits and pickling.

    Not for direct use; subclasses provide ``__init__``, the public ``fit`` /
    ``partial_fit`` / ``predict`` and the hooks listed in the module's
    docstring.
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "activation": [StrOptions(set(names(HIDDEN)))],
        "solver": [StrOptions(set(names(SOLVERS)))],
        "learning_rate": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "alpha": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "weight_decay": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="left"),
        ],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "learning_rate_schedule": [
            StrOptions({"constant", "invscaling", "adaptive", "cosine"})
        ],
        "restore_best": ["boolean", StrOptions({"auto"})],
        "epoch_cv": [
            Interval(Integral, 2, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "weight_init": [StrOptions({"auto", "he", "glorot"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "input_scaling": [StrOptions({"auto", "smooth_clip"}), None],
        "numerical_embedding": [StrOptions({"ple", "auto"}), None],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------ fitting
    def _guarded_fit(self, X, y, sample_weight, classes, incremental):
        # Training works on copies and publishes its results in _commit, so
        # the only state touched before success is what validation sets
        # (n_features_in_, feature_names_in_): restore it all on failure.
        snapshot = dict(self.__dict__)
        n_losses = len(snapshot.get("loss_curve_", ()))
        try:
            return self._fit(X, y, sample_weight, classes, incremental)
        except BaseException:
            kept = {k: v for k, v in vars(self).items() if k in CALLBACK_ATTRIBUTES}
            self.__dict__.clear()
            self.__dict__.update(snapshot, **kept)
            if "loss_curve_" in snapshot:  # _commit extends it in place
                del self.loss_curve_[n_losses:]
            raise

    def _fit(self, X, y, sample_weight, classes, incremental):
        weight_decay = self._weight_decay()
        check_epoch_cv(self)
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: the validation "
                "split needs the whole dataset at once. Use fit, or set "
                "early_stopping=False."
            )
        ctx = self._context(incremental)
        X, y, targets = self._training_data(X, y, sample_weight, classes, ctx)
        dtype = self._params.dtype if ctx.continuing else X.dtype
        X = X.astype(dtype, copy=False)
        Y, output = self._encode(y, targets, dtype)
        sample_weight, sw_attributes = self._sample_weight(
            X, y, Y, sample_weight, output, ctx
        )
        # The input encoding joins the attributes that make the network predict.
        targets = {**targets, **fit_embedding(self, X, sample_weight, ctx.continuing)}
        given = (X, y, sample_weight)  # what the callbacks see of the fit
        Y = self._train_targets(Y, output)
        rows = Rows(embed(X, targets), Y, y, sample_weight)
        batch_size = self._batch_size(X.shape[0])
        rng = self._rng(ctx, shuffles=self.shuffle and batch_size < X.shape[0])
        net = self._start_network(rows, output, rng, ctx)
        state = self._start_optimizer(net, rows, ctx)
        config = TrainingConfig.from_estimator(
            self,
            batch_size=batch_size,
            max_iter=1 if incremental else self.max_iter,
            learning_rate=state["learning_rate_init"],
            alpha=self._alpha(),
            weight_decay=weight_decay,
        )
        held_out = folds = cv_scores = None
        if not incremental and config.solver != "lbfgs":
            folds = cv_folds(self, rows, rng)
            if folds is None:
                rows, held_out = hold_out(self, rows, rng, targets)
        if folds is not None or held_out is not None and held_out.restores:
            config = replace(config, weight_decay=self._weight_decay(restores=True))
        ctx = ctx.completed(targets=targets, rng=rng, held_out=held_out)
        if folds is not None:
            cv_scores = score_epochs(self, folds, rows, output, config, ctx)
            config = replace(config, max_iter=int(np.argmax(cv_scores)) + 1)
        single_row_batch = batch_size == 1 or X.shape[0] % batch_size == 1
        with blas_threads_for(batch_size, net.layer_sizes, single_row_batch):
            hooks = EpochHooks(self, net, ctx)
            hooks.fit_begin(*given)
            if config.solver == "lbfgs":
                result = self._fit_lbfgs(net, rows, config, ctx, hooks)
            else:
                result = self._fit_stochastic(net, rows, state, config, ctx, hooks)
            result["cv_scores"] = cv_scores
            self._commit(net, state, sw_attributes, result, ctx)
            self._keep_scratch(net, config, ctx)
            hooks.fit_end(*given)
        return self

    def _context(self, incremental):
        """The :class:`~skann._training.FitContext` of a ``fit``
        (``incremental`` False) or ``partial_fit`` call, as far as it is known
        before the data are: the flags, the offsets, the scratch memory."""
        fitted = hasattr(self, "_params")
        if fitted:
            sync_weights(self)
        continuing = fitted and (incremental or self.warm_start)
        return FitContext.make(
            incremental=incremental,
            fitted=fitted,
            continuing=continuing,
            # n_iter_ counts the epochs of every partial_fit call since the
            # last fit, t_ the samples since training started (see _commit)
            epoch=self.n_iter_ if continuing and incremental else 0,
            t=self.t_ if continuing else 0,
            period=self.max_iter,
            # the fit's scratch memory; partial_fit reuses the previous call's
            scratch=self.__dict__.get("_scratch") or Scratch(),
        )

    def _keep_scratch(self, net, config, ctx):
        """partial_fit keeps its scratch memory for the next call, as the private
        ``_scratch`` (neither pickled nor copied); fit keeps none."""
        small = Workspace.size(net, config.batch_size) <= _KEPT_SCRATCH_BYTES
        if ctx.incremental and small:
            self._scratch = ctx.scratch
        else:
            self.__dict__.pop("_scratch", None)

    def _validate_xy(self, X, y, continuing, y_numeric=False):
        """``validate_data`` on training data; a column ``y`` becomes 1-D;
        ``y_numeric``: a ``y`` of objects becomes floats (regression)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        X, y = validate(
            self,
            X,
            y,
            accept_sparse=ACCEPT_SPARSE,
            multi_output=True,
            y_numeric=y_numeric,
            dtype=FLOATS,
            reset=not continuing,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            warn(  # scikit-learn's words (column_or_1d's), at the user's line
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples, ), for example using ravel().",
                DataConversionWarning,
            )
            y = column_or_1d(y)
        return X, y

    def _start_network(self, rows, output, rng, ctx):
        """The network to train on ``rows`` (:class:`~skann._held_out.Rows`):
        a copy of the fitted one, one made of the weights a user assigned to an
        unfitted model (``partial_fit`` and ``warm_start``, as MLPClassifier),
        or a new one, initialised from ``rng``."""
        k = self.n_members
        widths = (*self._hidden_sizes(), rows.Y.shape[1])
        layer_sizes = (rows.X.shape[1], *(k * width for width in widths))
        if ctx.continuing:
            self._check_architecture(layer_sizes)
            params = self._params.copy()
            return Network(layer_sizes, self.activation, output, params, members=k)
        net = Network(
            layer_sizes, self.activation, output, dtype=rows.X.dtype, members=k
        )
        assigned = "coefs_" in self.__dict__ or "intercepts_" in self.__dict__
        if assigned and (self.warm_start or ctx.incremental):
            return copy_weights_into(self, net)
        scheme = resolve_auto(self.solver, "weight_init", self.weight_init)
        return net.initialize(rng, rows.Y, rows.sample_weight, scheme=scheme)

    def _start_optimizer(self, net, rows, ctx):
        """The optimizer state to train ``net`` with: partial_fit carries the
        last call's on, fit starts afresh (see
        :func:`~skann._optimizers.resume_or_start`).  The initial step size is
        ``learning_rate``, or for ``"auto"`` the solver's default
        (:data:`SOLVER_DEFAULTS`) on the rows as the network sees them."""

        def resolve():
            return resolve_auto(
                self.solver,
                "learning_rate",
                self.learning_rate,
                rows.X,
                net.activation,
                net,
                rows.sample_weight,
            )

        previous = self.__dict__.get("_optimizer_state")
        return resume_or_start(
            previous if ctx.incremental and ctx.fitted else None,
            self.solver,
            net.params,
            self.learning_rate,
            resolve,
        )

    def _alpha(self):
        """``alpha`` as a number, the solver's (:data:`SOLVER_DEFAULTS`) for
        ``"auto"``."""
        return float(resolve_auto(self.solver, "alpha", self.alpha))

    def _weight_decay(self, restores=False):
        """``weight_decay`` as a number, the solver's (:data:`SOLVER_DEFAULTS`)
        for ``"auto"``, times :data:`RESTORING_DECAY` in a fit that
        ``restores`` its best epoch; an error for a decay L-BFGS cannot
        take."""
        if self.solver == "lbfgs" and self.weight_decay not in ("auto", 0):
            raise ValueError(
                f"weight_decay={self.weight_decay!r} does not apply to "
                "solver='lbfgs': L-BFGS takes no steps of a set size for the "
                "weights to decay with. Use alpha (the L2 penalty in the loss) "
                "with 'lbfgs', or a gradient solver ('adam', 'sgd', 'gd')."
            )
        value = self.weight_decay
        decay = resolve_auto(
            self.solver, "weight_decay", value, activation=self.activation
        )
        if restores and value == "auto":
            decay *= RESTORING_DECAY
        return float(decay)

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

    def _check_architecture(self, layer_sizes):
        members = self.__dict__.get("_members", 1)
        if members != self.n_members:
            raise ValueError(
                f"Cannot continue training: the network was fitted with "
                f"n_members={members}, but n_members={self.n_members} now. "
                "Restore n_members, or set warm_start=False to start anew."
            )
        old = self._layer_sizes
        if old != layer_sizes or self._activation != self.activation:
            raise ValueError(
                "Cannot continue training: the network has layer sizes "
                f"{old} and activation {self._activation!r}, but the parameters ask "
                f"for {layer_sizes} and {self.activation!r}. Restore hidden_size and "
                "activation, or set warm_start=False to start anew."
            )

    def _rng(self, incremental):
        if incremental and isinstance(self.random_state, Integral):
            # A fresh, reproducible stream per partial_fit call.
            return np.random.RandomState(
                (self.random_state + getattr(self, "n_iter_", 0)) % 2**32
            )
        return check_random_state(self.random_state)

    def _rng(self, ctx, shuffles):
        """The call's one random stream, for the initial weights, the held-out
        split and the shuffles (when ``shuffles``); None when nothing is random
        (seeding a RandomState is not free)."""
        splits = not ctx.incremental and (self.early_stopping or self.restore_best)
        if ctx.continuing and not (shuffles or splits):
            return None
        if ctx.incremental and isinstance(self.random_state, Integral):
            # A fresh, reproducible stream per partial_fit call.
            return np.random.RandomState((self.random_state + ctx.epoch) % 2**32)
        return check_random_state(self.random_state)

    def _batch_size(self, n_samples):
        if self.solver in ("gd", "lbfgs"):  # full batch
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "samples; using every sample in one batch."
            )
        return min(self.batch_size, n_samples)

    def _fit_lbfgs(self, net, rows, config, ctx, hooks):
        X, Y, sample_weight = merged_rows(rows.X, rows.Y, rows.sample_weight)
        workspace = ctx.scratch.workspace(net, X.shape[0])  # one for all evaluations
        # tol and n_iter_no_change stop L-BFGS as they stop the other solvers,
        # once the loss has stalled (MLPClassifier's L-BFGS ignores
        # n_iter_no_change).  Past that point L-BFGS creeps along the flat
        # directions the small L2 penalty leaves, where rounding steers it.
        plateau = Plateau(config.tol, config.n_iter_no_change)

        def stalled(loss):
            plateau.update(loss)
            return plateau.exhausted

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            growth = LossGrowth(net, Y, sample_weight, config.alpha, n_batches=1)
            result = lbfgs(
                lambda params: net.loss_grad(
                    X, Y, config.alpha, sample_weight, workspace
                ),
                net.params,
                config,
                stop=stalled,
            )
        try:
            for loss in [*result.loss_curve, result.fun]:
                growth.check(loss)
            check_weights(net.params)
        except DivergenceError as exc:
            raise self._divergence(exc, None) from None
        if result.status != 0:
            warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"(status={result.status}): {result.message}. Increase max_iter "
                "or max_fun, or scale the data.",
                ConvergenceWarning,
            )
        hooks.training_end(
            f"L-BFGS stopped after {result.nit} iterations ({result.message}), "
            "keeping the weights of the last one."
        )
        return {
            "n_iter": max(result.nit, 1),
            "t": max(result.nit, 1) * rows.X.shape[0],
            "loss": float(result.fun),
            "loss_curve": result.loss_curve or [float(result.fun)],
            "validation_scores": None,
        }

    def _fit_stochastic(self, net, rows, state, config, ctx, hooks):
        """Train ``net`` with a gradient solver, epoch by epoch.

        Parameters
        ----------
        net : Network
            The network to train, in place.
        rows : Rows
            The rows to train on (without the held-out ones).
        state : dict
            The optimizer state, updated in place.
        config : TrainingConfig
        ctx : FitContext
        hooks : EpochHooks
            The verbose lines and callbacks of each epoch.

        Returns
        -------
        result : dict
            What :meth:`_commit` publishes: ``n_iter``, ``t``, ``loss``,
            ``loss_curve`` and ``validation_scores``.
        """
        if ctx.held_out is not None:
            config = replace(config, batch_size=min(config.batch_size, rows.X.shape[0]))
        hooks.set_data(rows.X, rows.y, rows.sample_weight)
        try:
            history = train(
                net, rows.X, rows.Y, rows.sample_weight, state, config, ctx, hooks
            )
        except DivergenceError as exc:
            raise self._divergence(exc, state["learning_rate_init"]) from None
        if ctx.held_out is not None and ctx.held_out.restores:
            self._calibrate(net, ctx)
        if history.interrupted:
            warn(
                f"Training interrupted after {history.n_iter} epochs: keeping the "
                "weights learned so far.",
                UserWarning,
            )
            if history.n_iter == 0:
                raise KeyboardInterrupt
        elif not ctx.incremental and not history.converged:
            if config.max_iter < self.max_iter:  # as many epochs as epoch_cv chose
                history.stopped = "chosen"
            else:
                warn(
                    f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if not ctx.incremental:  # a partial_fit call is one epoch, not a run
            hooks.training_end(stopping_line(history, config))
        return {
            "n_iter": history.n_iter,
            "t": history.t,
            "loss": history.loss_curve[-1],
            "loss_curve": history.loss_curve,
            "validation_scores": (
                None if ctx.held_out is None else history.validation_scores
            ),
        }

    def _calibrate(self, net, ctx):
        """Adjust ``net``'s output layer on restore_best's held-out rows,
        ``ctx.held_out`` (the classifier's ``calibrate``); by default nothing
        to do."""

    def _train_targets(self, Y, output):
        """The targets the loss is computed against (label smoothing, in the
        classifier); by default the encoded ones."""
        return Y

    def _restore_score(self, net, X, y, sample_weight, targets, ties=True):
        """restore_best's held-out score, a tuple compared item by item
        (without ``ties``, its first item alone); by default the
        early-stopping score alone."""
        return (self._validation_score(net, X, y, sample_weight, targets),)

    def _divergence(self, error, learning_rate):
        """The ValueError a user sees for a :class:`DivergenceError`."""
        if isinstance(error, OverflowDivergence):
            advice = SCALE_INPUTS
        elif learning_rate is None:
            advice = (
                "Scale the inputs (e.g. with StandardScaler), or try a larger alpha."
            )
        else:
            advice = (
                f"Try a lower learning_rate (now {learning_rate}), scale the "
                "inputs (e.g. with StandardScaler), or a larger alpha."
            )
        return ValueError(
            f"Training diverged: {error}. The model was left as it was before this "
            f"call. {advice}"
        )

    def _commit(self, net, state, sw_attributes, result, ctx):
        """Publish the trained network and its history as fitted attributes.

        ``n_iter_`` counts the epochs of this ``fit`` (a warm start included,
        as MLPClassifier), and of every ``partial_fit`` call since the last
        ``fit``; ``t_``, the samples seen, keeps counting across warm starts,
        as the ``"invscaling"`` schedule does."""
        vars(self).update(model_attributes(net, ctx.targets))
        self._optimizer_state = state
        self.learning_rate_ = state["learning_rate_init"]
        vars(self).update(sw_attributes)
        self.n_iter_ = ctx.epoch + result["n_iter"]
        self.t_ = ctx.t + result["t"]
        self.loss_ = result["loss"]
        if ctx.continuing:  # in place: O(1) per partial_fit call, undone on failure
            self.loss_curve_.extend(result["loss_curve"])
        else:
            self.loss_curve_ = list(result["loss_curve"])
        self.cv_scores_ = result["cv_scores"]
        scores = result["validation_scores"]
        self.validation_scores_ = scores
        self.best_validation_score_ = None if scores is None else max(scores)
        if scores is not None:
            self.best_loss_ = None
        elif ctx.continuing and self.best_loss_ is not None:  # O(1) per call
            self.best_loss_ = min(self.best_loss_, *result["loss_curve"])
        else:
            self.best_loss_ = min(self.loss_curve_)

    # --------------------------------------------------------------- predicting
    def _network(self):
        return fitted_network(self, self._params)

    def _logits(self, X):
        if "_params" not in self.__dict__:
            check_is_fitted(self)
        sync_weights(self)
        if plain_array(self, X) is None:
            X = validate(
                self, X, accept_sparse=ACCEPT_SPARSE, dtype=FLOATS, reset=False
            )
        X = embed(X, self.__dict__)
        with np.errstate(over="ignore", invalid="ignore"):
            Z = self._network().prediction_logits(X)
        if not np.isfinite(Z).all():
            if np.isnan(Z).any():
                raise ValueError(
                    "The network's activations overflowed on this input (inf - inf "
                    "gave NaN): the input is too large for the learned weights. "
                    "Scale the inputs the way the training data was scaled."
                )
            np.nan_to_num(Z, copy=False)  # +-inf logits: the largest finite floats
        return Z

    # --------------------------------------------------------------- plumbing
    def __sklearn_is_fitted__(self):
        # What check_is_fitted would infer from the "_"-suffixed attributes,
        # in O(1): _fit_context asks on every partial_fit call.
        return "_params" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = (
            self.numerical_embedding != "ple" and self.input_scaling != "smooth_clip"
        )
        return tags

    def __getstate__(self):
        # coefs_ and intercepts_ are views into _params: pickle the buffer once
        # and rebuild the views on load.  partial_fit's scratch memory holds
        # nothing to keep (and is never shared by copies): not pickled either.
        if "_params" in self.__dict__:
            sync_weights(self)  # an assigned coefs_ is pickled, not lost
        state = dict(super().__getstate__())
        for name in ("coefs_", "intercepts_", "_weight_views", "_scratch"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        # A model pickled before a parameter existed gets its default, as a
        # model made now: it predicts as before and can be refitted or cloned.
        super().__setstate__({**_ADDED_PARAMETERS, **state})
        if "_params" in state:
            vars(self).update(weight_attributes(self._network()))
