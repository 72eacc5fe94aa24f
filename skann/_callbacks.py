"""The adapter to scikit-learn's callback API (``set_callbacks``).

The API is experimental upstream (scikit-learn >= 1.9), so everything that
touches it lives here: the mixin that gives estimators ``set_callbacks``, and
:class:`EpochHooks`, which reports each epoch to the ``verbose`` printout and
to the callbacks.  On older releases the mixin is absent and only the
printout remains.
"""

from ._network import Network
from ._weights import model_attributes

try:  # scikit-learn >= 1.9: the (experimental) callback API
    from sklearn.callback import CallbackSupportMixin

    CALLBACK_BASES = (CallbackSupportMixin,)
except ImportError:  # older releases: no set_callbacks, everything else works
    CALLBACK_BASES = ()

# Attributes the callback machinery keeps on the estimator during a fit; they
# survive the rollback of a failed fit so that callbacks are still torn down.
CALLBACK_ATTRIBUTES = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


class EpochHooks:
    """What happens around each epoch besides training: the ``verbose`` lines
    and scikit-learn's callbacks (``set_callbacks``, scikit-learn >= 1.9).

    Callbacks see one root task per ``fit``/``partial_fit`` call and one
    subtask per epoch; ``ScoringMonitor`` gets a model that predicts with the
    weights of that epoch.

    Parameters
    ----------
    estimator : ANNClassifier or ANNRegressor
        The estimator being fitted.
    net : Network
        The network being trained; its weights at each epoch are the model
        the callbacks see.
    fit_context : FitContext
        The fit's :class:`~skann._training.FitContext`: the fitted target
        attributes (such as ``classes_``) a model needs besides the weights,
        and the number of the first epoch.
    """

    def __init__(self, estimator, net, fit_context):
        self.estimator, self.net = estimator, net
        self.targets = fit_context.targets
        # epochs are numbered as n_iter_ counts them (see BaseANN._commit)
        self.first_epoch = fit_context.epoch
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
                max_subtasks = 1 if fit_context.incremental else estimator.max_iter
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
                f"Iteration {self.first_epoch + history.n_iter}, "
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

    def training_end(self, line):
        """The closing ``verbose`` line: why training stopped, and which
        epoch's weights were kept."""
        if self.estimator.verbose:
            print(line, flush=True)

    def _snapshot(self):
        net = Network(
            self.net.layer_sizes,
            self.net.activation,
            self.net.output,
            self.net.params.copy(),
            members=self.net.members,
        )
        attributes = model_attributes(net, self.targets)
        encoded = ("_bins", "_scaling")
        if any(attributes.get(name) is not None for name in encoded):
            # An epoch's callbacks get the rows the network trains on, already
            # scaled and encoded (input_scaling, numerical_embedding): the
            # snapshot is the network alone.
            attributes.update(
                _scaling=None,
                _bins=None,
                bin_edges_=None,
                n_features_in_=net.layer_sizes[0],
                feature_names_in_=None,
            )
        return attributes
