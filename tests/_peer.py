"""Run scikit-learn's own MLP tests against skann, as they ship in the wheel.

:class:`PeerMLPClassifier` is ``ANNClassifier`` under ``MLPClassifier``'s
parameter names (the renames of docs/coming_from_mlpclassifier.rst).
:func:`load_peer_module` executes one of scikit-learn's test modules from
its installed file while ``sklearn.neural_network.MLPClassifier`` is the
adapter, so the module's ``MLPClassifier`` -- and every parametrisation
built from it at import -- is skann.  Nothing of scikit-learn's test code
is copied here.
"""

import contextlib
import importlib.util
import inspect

import sklearn.neural_network
from sklearn.utils._param_validation import validate_parameter_constraints

from skann import ANNClassifier

# MLPClassifier's name -> ANNClassifier's name, where they differ.
RENAMES = {
    "hidden_layer_sizes": "hidden_size",
    "learning_rate_init": "learning_rate",
    "learning_rate": "learning_rate_schedule",
}
_ANN_NAMES = ANNClassifier._get_param_names()


class PeerMLPClassifier(ANNClassifier):
    """``ANNClassifier`` constructed, inspected and set with MLPClassifier's
    parameter names; everything else is ANNClassifier's own."""

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
        super().__init__(**{RENAMES.get(k, k): v for k, v in mlp.items()})

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
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in _ANN_NAMES},
            caller_name=type(self).__name__,
        )


def load_peer_module(name):
    """Execute ``sklearn.neural_network.tests.<name>`` from the installed
    scikit-learn with ``MLPClassifier`` bound to the adapter; ``None`` when
    this scikit-learn does not ship it."""
    spec = importlib.util.find_spec(f"sklearn.neural_network.tests.{name}")
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    with _patched(sklearn.neural_network, "MLPClassifier", PeerMLPClassifier):
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
