"""Run scikit-learn's own MLP tests against skann, as they ship in the wheel.

The optimizer adapters run ``test_stochastic_optimizers.py`` on skann's step
functions: MLP's lists of arrays are packed into one flat buffer, stepped,
and unpacked.

:class:`PeerMLPClassifier` is ``ANNClassifier`` under ``MLPClassifier``'s
parameter names (the renames of docs/coming_from_mlpclassifier.rst), and
:class:`PeerMLPRegressor` is ``ANNRegressor`` under ``MLPRegressor``'s.
:func:`load_peer_module` executes one of scikit-learn's test modules from
its installed file while ``sklearn.neural_network.MLPClassifier`` (and, for
``"test_mlp_regressor"``, ``MLPRegressor``) is the adapter, so the module's
estimators -- and every parametrisation built from them at import -- are
skann.  Nothing of scikit-learn's test code is copied here.
"""

import contextlib
import importlib.util
import inspect

import numpy as np
import sklearn.neural_network
from sklearn.neural_network import _stochastic_optimizers
from sklearn.utils._param_validation import validate_parameter_constraints

from skann import ANNClassifier, ANNRegressor
from skann._optimizers import adam_step, sgd_step
from skann._training import TrainingConfig

# MLPClassifier's name -> ANNClassifier's name, where they differ.
RENAMES = {
    "hidden_layer_sizes": "hidden_size",
    "learning_rate_init": "learning_rate",
    "learning_rate": "learning_rate_schedule",
}


class _MLPNames:
    """Parameters by MLP's names, stored under skann's (see :data:`RENAMES`)."""

    @classmethod
    def _mlp_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep=True):
        return {k: getattr(self, RENAMES.get(k, k)) for k in self._mlp_names()}

    def set_params(self, **params):
        unknown = set(params) - set(self._mlp_names())
        if unknown:
            raise ValueError(f"Invalid parameters {sorted(unknown)} for {self!r}.")
        for k, v in params.items():
            setattr(self, RENAMES.get(k, k), v)
        return self

    def _validate_params(self):
        skann_class = type(self).__mro__[2]  # (Peer, _MLPNames, ANN...)
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in skann_class._get_param_names()},
            caller_name=type(self).__name__,
        )


class PeerMLPClassifier(_MLPNames, ANNClassifier):
    """``ANNClassifier`` constructed, inspected and set with MLPClassifier's
    parameter names; everything else is ANNClassifier's own, but for the
    regularisation, MLPClassifier's: its ``alpha`` and no decoupled weight
    decay (MLPClassifier has none)."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        mlp = dict(locals())
        del mlp["self"], mlp["__class__"]
        super().__init__(
            **{RENAMES.get(k, k): v for k, v in mlp.items()}, weight_decay=0.0
        )


class PeerMLPRegressor(_MLPNames, ANNRegressor):
    """``ANNRegressor`` constructed, inspected and set with MLPRegressor's
    parameter names; everything else (``standardize_target=True`` included)
    is ANNRegressor's own, but for the regularisation, as in
    :class:`PeerMLPClassifier`, and the inputs, taken as given
    (``input_scaling=None``, ``numerical_embedding=None``), as MLPRegressor
    takes them."""

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        mlp = dict(locals())
        del mlp["self"], mlp["__class__"]
        super().__init__(
            **{RENAMES.get(k, k): v for k, v in mlp.items()},
            weight_decay=0.0,
            input_scaling=None,
            numerical_embedding=None,
        )


class _FlatStep:
    """MLP's optimizer interface (lists of arrays, state as attributes) over
    one of skann's step functions (one flat buffer, state as a dict)."""

    def update_params(self, params, grads):
        flat = _pack(params)
        state = {"learning_rate": self.learning_rate, **self._state()}
        self._step(flat, _pack(grads), state)
        for param, value in zip(params, _unpack(flat, params)):
            param[...] = value
        self._keep(state, params)


class PeerSGDOptimizer(_FlatStep):
    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate, self.momentum, self.nesterov = (
            learning_rate_init,
            momentum,
            nesterov,
        )
        self.velocities = [np.zeros_like(p) for p in params]

    def _state(self):
        return {"velocity": _pack(self.velocities)}

    def _step(self, params, grad, state):
        sgd_step(
            params,
            grad,
            state,
            TrainingConfig(momentum=self.momentum, nesterovs_momentum=self.nesterov),
        )

    def _keep(self, state, params):
        self.velocities = _unpack(state["velocity"], params)


class PeerAdamOptimizer(_FlatStep):
    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def _state(self):
        return {"t": self.t, "m": _pack(self.ms), "v": _pack(self.vs)}

    def _step(self, params, grad, state):
        adam_step(
            params,
            grad,
            state,
            TrainingConfig(
                beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon
            ),
        )

    def _keep(self, state, params):
        self.t, self.ms, self.vs = (
            state["t"],
            _unpack(state["m"], params),
            _unpack(state["v"], params),
        )


def _pack(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _unpack(flat, like):
    out, start = [], 0
    for a in like:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


#: scikit-learn's tests of MLPRegressor alone, in its test_mlp.py: they run on
#: ANNRegressor in test_mlp_regressor_peer.py, not in test_mlp_peer.py.
MLP_REGRESSOR_TESTS = frozenset(
    {
        "test_lbfgs_regression",
        "test_lbfgs_regression_maxfun",
        "test_multioutput_regression",
        "test_partial_fit_regression",
        "test_nonfinite_params",
        "test_shuffle",
        "test_mlp_regressor_dtypes_casting",
        "test_mlp_loading_from_joblib_partial_fit",
        "test_mlp_diverging_loss",
        "test_mlp_sample_weight_with_early_stopping",
        "test_mlp_vs_poisson_glm_equivalent",
        "test_minimum_input_sample_size",
    }
)

# What each peer module's names are bound to while it is imported.
_ADAPTERS = {
    "test_mlp": [(sklearn.neural_network, "MLPClassifier", PeerMLPClassifier)],
    "test_mlp_regressor": [
        (sklearn.neural_network, "MLPClassifier", PeerMLPClassifier),
        (sklearn.neural_network, "MLPRegressor", PeerMLPRegressor),
    ],
    "test_stochastic_optimizers": [
        (_stochastic_optimizers, "SGDOptimizer", PeerSGDOptimizer),
        (_stochastic_optimizers, "AdamOptimizer", PeerAdamOptimizer),
    ],
}


def load_peer_module(name, adapters=None):
    """Execute ``sklearn.neural_network.tests.<name>`` from the installed
    scikit-learn with its estimator or optimizers bound to skann's adapters
    (those of :data:`_ADAPTERS` ``[adapters or name]``); ``None`` when this
    scikit-learn does not ship it."""
    spec = importlib.util.find_spec(f"sklearn.neural_network.tests.{name}")
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    with contextlib.ExitStack() as stack:
        for owner, attribute, adapter in _ADAPTERS[adapters or name]:
            stack.enter_context(_patched(owner, attribute, adapter))
        spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _patched(owner, name, value):
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)
