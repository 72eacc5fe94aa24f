"""The epoch loop of the gradient solvers ("gd", "sgd", "adam").

A fit hands the loop two frozen objects: its :class:`TrainingConfig` (the
hyper-parameters, one field each, read where they are used) and its
:class:`FitContext` (what the call knows about itself: whether it continues
an earlier fit, its random stream, where its epochs and samples start
counting, the rows held out to score epochs on (:class:`HeldOut`), and its
:class:`Scratch`, the arrays every step writes and reads).
:func:`train` is a short loop over epochs; each epoch is :func:`run_epoch`, one
optimizer step per batch of :func:`iter_batches`, and after it come small
pieces, one per concern: :class:`Watch` follows the training loss or the
held-out score (:class:`Plateau` counts epochs without improvement,
:class:`BestWeights` keeps the best epoch's weights),
:func:`scheduled_learning_rate` and :func:`on_plateau` apply the learning-rate
schedule, and the caller's hooks report progress (verbose lines, callbacks).
Nothing here knows about scikit-learn.
"""

import math
import time
from dataclasses import MISSING, dataclass, field, fields
from operator import attrgetter

import numpy as np

from . import _compiled
from ._network import Workspace
from ._optimizers import STEPS, decay_weights


@dataclass(frozen=True)
class TrainingConfig:
    """The hyper-parameters of one fit, frozen.

    Each field is named after the estimator parameter it comes from (see
    :meth:`from_estimator`) and defaults to that parameter's default, except
    ``batch_size``, ``max_iter``, ``learning_rate``, ``alpha`` and
    ``weight_decay``, which the fit resolves ("auto" batches, one epoch per
    ``partial_fit`` call, the solver's step size, penalty and decay for
    "auto").  A new training ingredient is one field here and the code that
    reads it.
    """

    solver: str = "adam"
    learning_rate: float = 0.001  # the initial rate; the current one is state's
    learning_rate_schedule: str = "constant"
    power_t: float = 0.5
    alpha: float = 0.0  # alpha="auto" resolved for adam, see BaseANN._alpha
    weight_decay: float = 0.5  # "auto" resolved for adam, see BaseANN._weight_decay
    batch_size: int = 200
    max_iter: int = 200
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: float = 10
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    max_fun: int = 15000

    @classmethod
    def from_estimator(cls, estimator, **resolved):
        """The configuration of ``estimator``'s fit: every field read from the
        parameter of the same name, except those ``resolved`` by the fit."""
        if not resolved.keys() <= _FIELD_SET:
            raise TypeError(f"no such field: {sorted(resolved.keys() - _FIELD_SET)}")
        # Every field is given, so this does what __init__ does (there is no
        # __post_init__), without a frozen dataclass's object.__setattr__ call
        # per field: partial_fit builds a configuration on every call.
        config = object.__new__(cls)
        config.__dict__.update(zip(_CONFIG_FIELDS, _read_parameters(estimator)))
        config.__dict__.update(resolved)
        return config


_CONFIG_FIELDS = tuple(f.name for f in fields(TrainingConfig))
_FIELD_SET = frozenset(_CONFIG_FIELDS)
_read_parameters = attrgetter(*_CONFIG_FIELDS)


class Scratch:
    """The scratch memory of a fit: arrays that one step writes and reads,
    never state carried from one step to the next.

    The fit creates it and passes it down: :func:`train` → :func:`run_epoch`
    → :meth:`Network.loss_grad` (:meth:`workspace`) and the optimizer step
    (:meth:`arrays`); the compiled loop keeps its stepper in :attr:`stepper`.
    Each getter checks that what it holds fits the request and replaces it
    otherwise, so a scratch may serve the next fit of the same estimator
    (``partial_fit`` keeps one, see ``BaseANN``).  It holds nothing worth
    pickling, and one fit at a time may use it: estimators cloned into
    parallel fits each have their own.
    """

    def __init__(self):
        self._workspace = None
        self._arrays = ()
        self.stepper = None  # the compiled loop's, see skann._compiled.stepper

    def __reduce__(self):
        # A copy (pickle, copy.deepcopy) is a new, empty scratch: the arrays
        # hold nothing to keep, and a copy must not share them.
        return (Scratch, ())

    def workspace(self, net, rows):
        """A :class:`~skann._network.Workspace` for ``net`` and batches of up to
        ``rows`` rows."""
        ws = self._workspace
        key = (net.layer_sizes, net.members, net.params.dtype)
        if ws is None or ws.key != key or ws.rows < rows:
            ws = self._workspace = Workspace(net, rows)
        return ws

    def arrays(self, like, n):
        """``n`` (up to 2) arrays shaped like ``like``, for a step's intermediates."""
        held = self._arrays
        if not held or held[0].shape != like.shape or held[0].dtype != like.dtype:
            held = self._arrays = (np.empty_like(like), np.empty_like(like))
        return held[:n]


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Rows held out of training, on which the network of each epoch is scored.

    ``scorer(net, X, y, sample_weight)`` scores a network on them.  For early
    stopping it returns a number, which the plateau watches instead of the
    training loss.  With ``restores`` (``restore_best``) it returns a tuple,
    compared item by item (its later items break ties), and the plateau
    keeps watching the training loss.  Either way the network ends with the
    weights of its best-scored epoch, and :attr:`History.validation_scores`
    records the scores (a tuple's last item: the score the estimator
    reports, which its earlier items may rank differently).

    With ``restores`` and a ``patience``, training also stops once the
    epochs since the best one number ``patience`` times the best one's
    (and ``n_iter_no_change`` at least): the best epoch is then likely
    behind, and the epochs after it are only scored, not kept
    (``epoch_cv``'s folds).
    """

    X: object
    y: object
    sample_weight: object
    scorer: object
    restores: bool = False
    patience: float = None

    def score(self, net):
        return self.scorer(net, self.X, self.y, self.sample_weight)


@dataclass(frozen=True, eq=False)
class FitContext:
    """What one ``fit`` or ``partial_fit`` call knows about itself, frozen.

    The estimator makes it at the start of the call from what it knows then
    (the flags, the offsets and the scratch memory), and completes it once
    (:meth:`completed`) when the data have given the rest (the target
    attributes, the random stream and the held-out rows).  The estimator's
    hooks, the epoch hooks and :func:`train` read it.
    """

    #: a ``partial_fit`` call: one epoch, the optimizer state carried on
    incremental: bool = False
    #: the estimator was fitted before this call
    fitted: bool = False
    #: training continues the fitted network (``partial_fit``, ``warm_start``)
    continuing: bool = False
    #: epochs that earlier ``partial_fit`` calls trained since the last
    #: ``fit``: this call's first epoch is ``epoch + 1``
    epoch: int = 0
    #: samples seen by earlier calls that trained this network
    #: (the ``"invscaling"`` schedule counts on from there)
    t: int = 0
    #: the ``"cosine"`` schedule's cycle, in epochs (``max_iter``); None:
    #: the configuration's ``max_iter``
    period: int = None
    #: the fitted target attributes (``classes_``, or the regressor's scale)
    #: and those of the input encoding
    targets: dict = None
    #: the random stream of the initial weights, the split and the
    #: shuffles; None when nothing is random
    rng: object = None
    #: the rows scored after each epoch, or None
    held_out: HeldOut = None
    #: the scratch memory of the call (``partial_fit`` reuses the last one's)
    scratch: Scratch = field(default_factory=Scratch)

    @classmethod
    def make(cls, **given):
        """A context of the ``given`` fields, the others at their defaults.

        It does what ``__init__`` does (there is no ``__post_init__``)
        without a frozen dataclass's ``object.__setattr__`` call per field:
        every ``partial_fit`` call makes and completes a context."""
        context = _new_context(_CONTEXT_FIELDS, given)
        if "scratch" not in given:
            context.__dict__["scratch"] = Scratch()
        return context

    def completed(self, **given):
        """This context with the ``given`` fields filled in (a new one, as
        :func:`dataclasses.replace` makes)."""
        return _new_context(self.__dict__, given)


def _new_context(base, given):
    """A :class:`FitContext` of the fields ``base`` updated with ``given``."""
    if not given.keys() <= _CONTEXT_FIELDS.keys():
        raise TypeError(f"no such field: {sorted(given - _CONTEXT_FIELDS.keys())}")
    context = object.__new__(FitContext)
    context.__dict__.update(base, **given)
    return context


# Every field of FitContext and its default (the scratch's, a new one).
_CONTEXT_FIELDS = {
    f.name: None if f.default is MISSING else f.default for f in fields(FitContext)
}


class DivergenceError(ValueError):
    """Training produced a non-finite loss, a loss that grew without bound or
    blown-up weights."""


class OverflowDivergence(DivergenceError):
    """Training overflowed the floating-point range on inputs too large for
    it, whatever the step size."""


#: How many times its loss scale an epoch's loss may reach (see
#: :class:`LossGrowth`) before training is deemed to have diverged.
GROWTH_LIMIT = 1e4


class LossGrowth:
    """Catches a training loss that grows without bound, as a non-finite loss
    is caught.

    A step size too large for the problem makes gradient descent overshoot by
    more at every step, and the loss climbs by a factor at each epoch; it may
    stay finite for hundreds of epochs (dead ReLU units, saturated outputs)
    while the model becomes useless.  Training that works brings its loss
    down from where it started, and its setbacks stay orders of magnitude
    short of that.  So an epoch's loss is measured against the fit's *loss
    scale*: the larger of
    the loss at chance -- that of a network whose outputs are all zero, which
    predicts uniform probabilities, or zero in the regressor's standardised
    units -- and the loss training started from.  An epoch whose loss exceeds
    the scale :data:`GROWTH_LIMIT` times has diverged.

    The starting loss of a fresh network is known before its first epoch: its
    output layer's weights are zero, so it outputs its output biases whatever
    the inputs (the classes' prior, the targets' mean), and its loss is that
    of those constant outputs plus the penalty on its first weights.  A network
    that continues training (``warm_start``, ``partial_fit`` after the first
    call, assigned weights) starts from a loss only its first epoch measures:
    that epoch sets the scale and is not judged, as a few rows it gets wrong
    may rightly cost much more than chance.  The loss at chance is computed
    once it is needed.
    """

    def __init__(self, net, Y, sample_weight, alpha, n_batches):
        self.net, self.Y, self.sample_weight = net, Y, sample_weight
        self.scale = None
        self.start = None
        if not net.coefs[-1].any():  # constant outputs: the starting loss is known
            weight = Y.shape[0] if sample_weight is None else sample_weight.sum()
            # the penalty as an epoch loss counts it, once per batch
            penalty = net.penalty(alpha, float(weight) / n_batches)
            shape = (Y.shape[0], net.layer_sizes[-1])  # every member's outputs
            outputs = np.broadcast_to(net.intercepts[-1], shape)
            self.start = net.loss(outputs, Y, sample_weight) + penalty
            self.scale = max(self.start, self.chance())

    def chance(self):
        """The loss of a network whose outputs are all zero."""
        return self.net.loss(np.zeros_like(self.Y), self.Y, self.sample_weight)

    def check(self, loss):
        """Raise :class:`DivergenceError` if ``loss``, an epoch's, has grown
        beyond the limit; the first epoch of a continuing network sets the
        scale instead."""
        if not math.isfinite(loss):
            raise DivergenceError(f"the training loss became {loss}")
        if self.scale is None:
            self.start = loss
            self.scale = max(loss, self.chance())
        elif loss > GROWTH_LIMIT * self.scale:
            raise DivergenceError(
                f"the training loss grew from {self.start:.3g} to {loss:.3g}"
            )


def check_moments(state):
    """Raise :class:`OverflowDivergence` when Adam's second moment estimates
    (running means of squared gradients) have overflowed.  Adam's steps divide
    by their square root, so from then on its steps are zero: training would
    go on without learning."""
    v = state.get("v")
    if v is not None and not v.max(initial=0) < np.inf:  # NaN fails too
        raise OverflowDivergence(
            "Adam's running mean of squared gradients overflowed, so its steps "
            "became zero"
        )


def weight_bound(dtype):
    """``max_float ** (1/4)`` (1e77 in float64, 4e9 in float32): weights beyond
    it mean a diverged run, whose logits overflow on ordinary inputs."""
    return float(np.finfo(dtype).max) ** 0.25


def merged_rows(X, Y, sample_weight):
    """The training rows for a full-batch solver: each distinct row of
    ``(X, Y)`` once, in sorted order, weighing the summed weight of its copies;
    rows of weight 0 left out; dense ``X`` only (sparse rows come back as
    they are).

    L-BFGS multiplies the last-bit differences between two sums of the same
    terms in another order into different fits, so rows repeated and rows
    weighted by their count must reach it as the same rows in the same order.
    Returns ``(X, Y, sample_weight)``, ``sample_weight`` None when every row
    weighs 1 and none was merged."""
    if not isinstance(X, np.ndarray):
        return X, Y, sample_weight
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    kept = weights > 0
    X, Y, weights = X[kept], Y[kept], weights[kept]
    rows = np.hstack([X, Y.astype(X.dtype, copy=False)])
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weights)
    if sample_weight is None and first.size == kept.size:
        return X[first], Y[first], None
    return X[first], Y[first], summed.astype(X.dtype)


def check_weights(params):
    """Raise :class:`DivergenceError` unless every weight is finite and below
    :func:`weight_bound` in magnitude (NaN fails the comparison too)."""
    bound = weight_bound(params.dtype)
    if not (params.max(initial=0) < bound and -params.min(initial=0) < bound):
        raise DivergenceError(
            f"the weights became non-finite or larger than {bound:.0e}"
        )


def iter_batches(n_samples, batch_size, order=None):
    """Yield the rows of each minibatch: slices in order, or slices of the
    index array ``order`` (a permutation of the rows)."""
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        yield slice(start, stop) if order is None else order[start:stop]


def run_epoch(net, X, Y, sample_weight, order, state, config, scratch):
    """One pass over the minibatches, one optimizer step per batch.

    Dense float arrays go through the compiled loop of :mod:`skann._compiled`,
    which does per batch what the numpy loop below does.  Every batch is
    gathered into, and computed in, the arrays of ``scratch``: no allocation
    per batch and no copy of ``X`` beyond one batch.

    Parameters
    ----------
    net : Network
        The network to train, in place.
    X, Y, sample_weight : ndarray
        The training rows: inputs, targets and weights (or None).
    order : ndarray or None
        The rows in the order to visit them (a permutation), or None: in
        order.
    state : dict
        The optimizer state, updated in place.
    config : TrainingConfig
        The hyper-parameters (``batch_size``, ``alpha``, ...).
    scratch : Scratch
        The arrays a step writes and reads.

    Returns
    -------
    loss : float
        The epoch loss: the batch losses averaged with the batches'
        (weighted) sizes.
    """
    if _compiled.applies(net, X, Y, sample_weight):
        loss, diverged = _compiled.run_epoch(
            net, X, Y, sample_weight, order, state, config, scratch
        )
        if diverged:
            raise DivergenceError(f"the training loss became {loss}")
        return loss
    step = STEPS[state["solver"]]
    total_loss = total_weight = 0.0
    ws = None
    for rows in iter_batches(X.shape[0], config.batch_size, order):
        if isinstance(rows, slice):  # views, no copy
            if rows.start == 0 and rows.stop == Y.shape[0]:  # full batch
                Xb, Yb, sw = X, Y, sample_weight
            else:
                Xb, Yb = X[rows], Y[rows]
                sw = None if sample_weight is None else sample_weight[rows]
            m = Yb.shape[0]
        else:
            m = rows.shape[0]
        if ws is None:  # the first batch is the largest
            ws = scratch.workspace(net, m)
        if not isinstance(rows, slice):
            Xb, Yb = ws.gather("X", X, rows), ws.gather("Y", Y, rows)
            sw = None if sample_weight is None else ws.gather("sw", sample_weight, rows)
        weight = float(m if sw is None else sw.sum())
        if weight == 0:  # every sample of the batch has weight 0: nothing to learn
            continue
        loss, grad = net.loss_grad(Xb, Yb, config.alpha, sw, workspace=ws)
        if not math.isfinite(loss):
            raise DivergenceError(f"the training loss became {loss}")
        step(net.params, grad, state, config, scratch)
        if config.weight_decay:
            decay_weights(net.params, net.n_coef, state, config, scratch)
        total_loss += loss * weight
        total_weight += weight
    return total_loss / total_weight if total_weight else 0.0


@dataclass
class Plateau:
    """Counts the epochs in a row whose value did not improve on the best by ``tol``."""

    tol: float
    patience: int
    higher_is_better: bool = False
    best: float = None
    count: int = 0

    def update(self, value):
        """Record ``value``; return True when it is a new best."""
        sign = 1.0 if self.higher_is_better else -1.0
        if self.best is None:
            self.best = value
            self.count = 0
            return True
        if sign * (value - self.best) < self.tol:
            self.count += 1
        else:
            self.count = 0
        if sign * (value - self.best) > 0:
            self.best = value
            return True
        return False

    @property
    def exhausted(self):
        return self.count > self.patience


def scheduled_learning_rate(config, learning_rate, t):
    """The learning rate after an epoch: ``"invscaling"`` decays the initial
    rate with the number of samples seen ``t``; the others keep the current
    one (``"adaptive"`` divides it on a plateau, see :func:`on_plateau`;
    ``"cosine"`` sets it before each epoch, see :func:`cosine_learning_rate`)."""
    if config.learning_rate_schedule == "invscaling":
        return config.learning_rate / (t + 1) ** config.power_t
    return learning_rate


def on_plateau(plateau, state, config):
    """What an exhausted ``plateau`` means; True when training has converged.

    With the ``"adaptive"`` schedule, a five times smaller learning rate and
    fresh patience, until the rate is no more than 1e-6; otherwise convergence.
    """
    if config.learning_rate_schedule == "adaptive" and state["learning_rate"] > 1e-6:
        state["learning_rate"] /= 5
        plateau.count = 0
        return False
    return True


class BestWeights:
    """Early stopping's keeper: a copy of the weights of the best epoch so
    far, put back into the network at the end of training."""

    def __init__(self):
        self.params = None
        self.epoch = None  # the epoch (1-based) whose weights are kept

    def keep(self, net, epoch):
        if self.params is None:
            self.params = net.params.copy()
        else:
            self.params[...] = net.params
        self.epoch = epoch

    def restore(self, net):
        """Put the kept weights back; their epoch, or None if none were kept."""
        if self.params is not None:
            net.params[...] = self.params
        return self.epoch


class Watch:
    """What :func:`train` watches after each epoch: the training loss or,
    with early stopping, the held-out score (its :class:`Plateau`), and the
    weights of the best-scored epoch (its :class:`BestWeights`), for the
    :class:`HeldOut` rows ``held_out`` (None: the training loss alone)."""

    def __init__(self, config, held_out):
        self.held_out = held_out
        #: early stopping: the plateau watches the held-out score
        self.early = held_out is not None and not held_out.restores
        self.plateau = Plateau(config.tol, config.n_iter_no_change, self.early)
        self.best = BestWeights()
        self.best_score = None  # restore_best's best so far
        self.least_patience = config.n_iter_no_change

    def out_of_patience(self, n_iter):
        """After epoch ``n_iter``, the held-out rows' ``patience`` has run
        out (see :class:`HeldOut`)."""
        held_out, best = self.held_out, self.best.epoch
        if held_out is None or held_out.patience is None or best is None:
            return False
        waited = n_iter - best
        return waited >= max(self.least_patience, held_out.patience * best)

    def epoch_end(self, net, loss, history):
        """Record the epoch that ``history`` ends with, its loss ``loss``."""
        if self.held_out is None:
            self.plateau.update(loss)
            return
        score = self.held_out.score(net)
        if self.early:
            history.validation_scores.append(score)
            if self.plateau.update(score):
                self.best.keep(net, history.n_iter)
            return
        self.plateau.update(loss)
        history.validation_scores.append(score[-1])
        if self.best_score is None or score > self.best_score:
            self.best_score = score
            self.best.keep(net, history.n_iter)


def cosine_learning_rate(initial, epoch, period):
    """The ``"cosine"`` schedule's rate for ``epoch`` (0-based): half a cosine
    from ``initial`` down towards 0 over ``period`` epochs, then again from
    the top (a warm restart, so that ``partial_fit`` past ``period`` epochs
    keeps learning).  The last epoch of a period runs at
    ``initial * (1 - cos(pi / period)) / 2``, small but not zero."""
    phase = (epoch % period) / period
    return initial * 0.5 * (1.0 + math.cos(math.pi * phase))


@dataclass
class History:
    """What happened during :func:`train`."""

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    converged: bool = False
    interrupted: bool = False
    # why training stopped: "plateau" (of the training loss), "validation"
    # (early stopping's plateau), "callback", "interrupted", "max_iter" or
    # "chosen" (the epochs that epoch_cv chose)
    stopped: str = "max_iter"
    kept_epoch: int = None  # the epoch whose weights the network ends with


def stopping_line(history, config):
    """The closing line of a ``verbose`` fit: why training stopped, and which
    epoch's weights the network keeps (as MLPClassifier's last line)."""
    patience = (
        f"more than tol={config.tol:g} for {config.n_iter_no_change} consecutive epochs"
    )
    why = {
        "plateau": f"Training loss did not improve {patience}",
        "validation": f"Validation score did not improve {patience}",
        "callback": "A callback asked to stop",
        "interrupted": "Training was interrupted",
        "max_iter": f"Reached max_iter={config.max_iter} epochs before converging",
        "chosen": "Trained for the epochs that cross-validation chose",
    }[history.stopped]
    n, kept = history.n_iter, history.kept_epoch
    if kept == n:
        keeping = "keeping the weights of that last epoch"
    else:
        score = history.validation_scores[kept - 1]
        keeping = (
            f"keeping the weights of epoch {kept}, the best on the held-out "
            f"rows (validation score {score:.6f})"
        )
    return f"{why}: stopped after epoch {n}, {keeping}."


class NoHooks:
    """Progress reporting that reports nothing: the hooks :func:`train` calls
    around each epoch (``skann._callbacks.EpochHooks`` is the estimator's)."""

    def epoch_begin(self):
        pass

    def epoch_end(self, history, seconds):
        """True would stop training."""
        return False


def train(net, X, Y, sample_weight, state, config, context=None, hooks=None):
    """Train ``net`` in place for up to ``config.max_iter`` epochs.

    Parameters
    ----------
    net : Network
        The network to train.
    X, Y, sample_weight : ndarray
        The training rows: inputs, targets and weights (or None).
    state : dict
        The optimizer state (:func:`skann._optimizers.init_state`), updated
        in place.
    config : TrainingConfig
        The hyper-parameters.
    context : FitContext, optional
        The call's: its ``rng`` shuffles the rows before each epoch when
        ``config.shuffle``; its ``held_out`` rows, scored after each epoch,
        turn on early stopping or restore_best (see :class:`HeldOut`); the
        schedules count on from its ``epoch`` (``"cosine"``, over cycles of
        its ``period``) and ``t`` (``"invscaling"``); its ``scratch`` holds
        the arrays of every step.  By default a fresh one.
    hooks : object, optional
        Hear of each epoch's beginning and end (:class:`NoHooks` by default).

    Returns
    -------
    history : History
    """
    context = FitContext() if context is None else context
    hooks = NoHooks() if hooks is None else hooks
    period = config.max_iter if context.period is None else context.period
    n_samples = X.shape[0]
    shuffles = config.shuffle and config.batch_size < n_samples
    watch, history = Watch(config, context.held_out), History()
    # Overflow is detected (a non-finite loss or weights) and reported as a
    # DivergenceError, so numpy's own floating-point warnings are noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        n_batches = -(-n_samples // config.batch_size)
        growth = LossGrowth(net, Y, sample_weight, config.alpha, n_batches)
        for _ in range(config.max_iter):
            started = time.perf_counter()
            try:
                hooks.epoch_begin()
                if config.learning_rate_schedule == "cosine":
                    state["learning_rate"] = cosine_learning_rate(
                        config.learning_rate, context.epoch + history.n_iter, period
                    )
                order = context.rng.permutation(n_samples) if shuffles else None
                loss = run_epoch(
                    net, X, Y, sample_weight, order, state, config, context.scratch
                )
            except KeyboardInterrupt:
                history.interrupted = True
                history.stopped = "interrupted"
                break
            check_moments(state)
            growth.check(loss)
            history.n_iter += 1
            history.t += n_samples
            history.loss_curve.append(loss)
            watch.epoch_end(net, loss, history)
            state["learning_rate"] = scheduled_learning_rate(
                config, state["learning_rate"], context.t + history.t
            )
            stop = hooks.epoch_end(history, time.perf_counter() - started)
            if stop:
                history.stopped = "callback"
            if watch.plateau.exhausted and on_plateau(watch.plateau, state, config):
                history.converged = stop = True
                history.stopped = "validation" if watch.early else "plateau"
            elif watch.out_of_patience(history.n_iter):
                history.converged = stop = True
                history.stopped = "validation"
            if stop:
                break
    history.kept_epoch = watch.best.restore(net) or history.n_iter
    # Non-finite weights already show as a non-finite loss in the next batch;
    # this also catches weights that grew huge but stayed finite.
    check_weights(net.params)
    return history
