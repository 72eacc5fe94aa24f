"""The one table of names: hidden activations, output layers and solvers.

Three ordered tables, :data:`HIDDEN`, :data:`OUTPUT_LAYERS` and
:data:`SOLVERS`, name everything a user or a fitted model can pick.  A row's
position in its table is its code in the compiled loop; the estimators'
parameter constraints, the numpy core, the compiled loop's glue and the ONNX
converter all read their names from here, and ``tests/test_table.py`` checks
that they agree.  A new hidden activation is one row here, its in-place
function and its derivative (plus, for the compiled loop, its kernel).

Each hidden activation ``f`` works in place on the pre-activations ``Z``,
turning them into ``A = f(Z)``.  Its derivative is expressed through ``A``
alone (relu, tanh and logistic all allow it), so the backward pass never needs
``Z``: it multiplies the incoming gradient ``delta`` by ``f'(Z)`` in place.

The output layer's loss is computed in :mod:`skann._network` from logits, so
that the cross-entropy never takes ``log(0)``; the table gives the functions
that turn a fitted model's logits into predictions: probabilities for the
classifier's outputs, the target's mean for the regressor's (``identity``
with the squared error, ``exp`` -- the log link -- with the Poisson
deviance).  Each output pairs with its canonical loss, so that the gradient
with respect to the logits is ``A - Y`` for all of them.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax

__all__ = [
    "FORWARD",
    "DERIVATIVES",
    "HIDDEN",
    "OUTPUT_MEANS",
    "OUTPUT_LAYERS",
    "SOLVERS",
    "codes",
    "names",
]


def identity(Z):
    """Leave ``Z`` as it is: ``f(z) = z``."""
    return Z


def relu(Z):
    """``f(z) = max(z, 0)``, in place."""
    return np.maximum(Z, 0, out=Z)


def tanh(Z):
    """``f(z) = tanh(z)``, in place."""
    return np.tanh(Z, out=Z)


def logistic(Z):
    """``f(z) = 1 / (1 + exp(-z))``, in place and stable for any finite ``z``."""
    return expit(Z, out=Z)


def identity_derivative(A, delta, scratch=None):
    """``f'(z) = 1``: ``delta`` is unchanged."""


def relu_derivative(A, delta, scratch=None):
    """``f'(z) = 1 if z > 0 else 0``; ``z > 0`` exactly where ``A > 0``.

    A multiplication by the boolean mask gives the same values as the masked
    assignment ``delta[A <= 0] = 0`` (up to the sign of zeros) without
    building an index of the masked entries.
    """
    np.multiply(delta, A > 0, out=delta)


def tanh_derivative(A, delta, scratch=None):
    """``f'(z) = 1 - tanh(z)**2 = 1 - A**2``.

    ``scratch``, an array shaped like ``A``, spares the temporaries.
    """
    s = np.multiply(A, A, out=scratch)
    delta *= np.subtract(1, s, out=s)


def logistic_derivative(A, delta, scratch=None):
    """``f'(z) = s(z) (1 - s(z)) = A (1 - A)``.

    ``scratch``, an array shaped like ``A``, spares the temporaries.
    """
    s = np.subtract(1, A, out=scratch)
    s *= A
    delta *= s


def exp(Z):
    """``e^z``, in place: the log link's inverse."""
    return np.exp(Z, out=Z)


def softmax_rows(Z):
    """One distribution over the classes per row."""
    return softmax(Z, axis=1)


def log_softmax_rows(Z):
    """The logarithm of :func:`softmax_rows`, computed stably."""
    return log_softmax(Z, axis=1)


# ------------------------------------------------------------------ the tables
@dataclass(frozen=True)
class Hidden:
    """A hidden activation: ``forward(Z)`` in place, ``derivative(A, delta,
    scratch)`` multiplies ``delta`` by ``f'`` taken from the outputs ``A``."""

    name: str
    forward: Callable
    derivative: Callable
    onnx: Optional[str]  # the ONNX operator ("Identity": no node); None: none
    compiled: bool = True  # the compiled loop has its kernel


@dataclass(frozen=True)
class Output:
    """An output layer: the predictions from the logits (``mean``), their
    logarithm when they are probabilities (``log_mean``), and the loss it pairs
    with, whose gradient with respect to the logits is ``A - Y``."""

    name: str
    mean: Callable
    log_mean: Optional[Callable]
    loss: str
    onnx: Optional[str]  # the ONNX operator; None: the converter refuses it
    compiled: bool = True  # the compiled loop implements it


@dataclass(frozen=True)
class Solver:
    """An optimizer; its step is ``skann._optimizers.STEPS[name]``."""

    name: str
    compiled: bool = True  # the compiled loop runs its epochs


#: Hidden activations; the position is the compiled loop's code.
HIDDEN = (
    Hidden("identity", identity, identity_derivative, "Identity"),
    Hidden("relu", relu, relu_derivative, "Relu"),
    Hidden("tanh", tanh, tanh_derivative, "Tanh"),
    Hidden("logistic", logistic, logistic_derivative, "Sigmoid"),
)

#: Output layers; the position is the compiled loop's code.  "logistic" is one
#: independent sigmoid per output unit (binary and multilabel), "softmax" one
#: distribution over the classes (multiclass).
OUTPUT_LAYERS = (
    Output("logistic", expit, log_expit, "binary cross-entropy", "Sigmoid"),
    Output("softmax", softmax_rows, log_softmax_rows, "cross-entropy", "Softmax"),
    # Regression (ANNRegressor): the mean of the target, from the logits.
    Output("identity", identity, None, "squared error", "Identity"),
    # Poisson stays on numpy: the regression benchmark trains it rarely.
    Output("exp", exp, None, "Poisson deviance", "Exp", compiled=False),
)

#: Solvers; the position is the compiled loop's code.  L-BFGS runs in scipy.
SOLVERS = (
    Solver("gd"),
    Solver("sgd"),
    Solver("adam"),
    Solver("lbfgs", compiled=False),
)


def names(table):
    """The names of a table's rows, in order."""
    return tuple(row.name for row in table)


def codes(table):
    """``{name: code}`` of the rows the compiled loop implements: a row's code
    is its position in the table."""
    return {row.name: code for code, row in enumerate(table) if row.compiled}


def row(table, name):
    """The row of ``table`` called ``name``."""
    for entry in table:
        if entry.name == name:
            return entry
    raise KeyError(f"{name!r} is none of {names(table)}")


# Name-keyed views of the tables, for the numpy core.
FORWARD = {h.name: h.forward for h in HIDDEN}
DERIVATIVES = {h.name: h.derivative for h in HIDDEN}
OUTPUT_MEANS = {o.name: (o.mean, o.log_mean) for o in OUTPUT_LAYERS}
