"""Activation functions, applied in place, with derivatives taken from outputs.

Each hidden activation ``f`` is stored by name in :data:`ACTIVATIONS` and works
in place on the pre-activations ``Z``, turning them into ``A = f(Z)``.  Its
derivative in :data:`DERIVATIVES` is expressed through ``A`` alone (relu, tanh
and logistic all allow it), so the backward pass never needs ``Z``: it
multiplies the incoming gradient ``delta`` by ``f'(Z)`` in place.

The output layer is handled in :mod:`skann._network` from logits, so that
the cross-entropy loss can be computed without ever taking ``log(0)``.
"""

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax

__all__ = ["ACTIVATIONS", "DERIVATIVES", "OUTPUTS"]


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


ACTIVATIONS = {"identity": identity, "relu": relu, "tanh": tanh, "logistic": logistic}


def identity_derivative(A, delta, scratch=None):
    """``f'(z) = 1``: ``delta`` is unchanged."""


def relu_derivative(A, delta, scratch=None):
    """``f'(z) = 1 if z > 0 else 0``; ``z > 0`` exactly where ``A > 0``.

    A multiplication by the boolean mask is 3x faster than the masked
    assignment ``delta[A <= 0] = 0`` and gives the same values (up to the
    sign of zeros).
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


DERIVATIVES = {
    "identity": identity_derivative,
    "relu": relu_derivative,
    "tanh": tanh_derivative,
    "logistic": logistic_derivative,
}


# Output layers: name -> (probabilities from logits, log-probabilities from logits).
# "logistic" is one independent sigmoid per output unit (binary and multilabel);
# "softmax" is one distribution over the classes (multiclass).
OUTPUTS = {
    "logistic": (expit, log_expit),
    "softmax": (
        lambda Z: softmax(Z, axis=1),
        lambda Z: log_softmax(Z, axis=1),
    ),
}
