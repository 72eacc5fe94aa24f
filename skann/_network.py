"""The numpy core: a fully connected feed-forward network on one flat buffer.

This module knows nothing about scikit-learn.  It generalises the lesson's
2-layer network to any depth::

    Z1 = X @ W1 + b1          A1 = relu(Z1)          # hidden layer(s)
    Z2 = A1 @ W2 + b2         A2 = sigmoid(Z2)       # output layer
    cost = mean(BCE(Y, A2)) + alpha / 2 * sum(W ** 2) / m
    dZ2 = A2 - Y              dW2 = A1.T @ dZ2 / m   db2 = sum(dZ2) / m
    dZ1 = (dZ2 @ W2.T) * relu'(Z1)
    dW1 = X.T @ dZ1 / m       db1 = sum(dZ1) / m

All weights live in one flat vector ``params``: first every layer's weight
matrix, then every layer's bias vector (the same order as scikit-learn's
L-BFGS packing).  ``coefs[i]`` and ``intercepts[i]`` are views into it, so a
solver can update all parameters with one vectorised expression, scipy can
optimise the buffer itself, and the L2 penalty touches one contiguous slice.
"""

import numpy as np

from ._activations import ACTIVATIONS, DERIVATIVES, OUTPUTS


def _dot(A, W, out=None):
    """``A @ W`` for a dense or sparse ``A``, into ``out`` when given.

    A product with an inner dimension of 1 is an outer product; numpy's
    broadcasting does it several times faster than ``matmul``.
    """
    if not isinstance(A, np.ndarray):  # scipy.sparse
        return np.asarray(A @ W)
    if W.shape[0] == 1:
        return np.multiply(A, W, out=out)
    return np.matmul(A, W, out=out)


class Network:
    """A feed-forward network whose parameters are views into one flat buffer.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, hidden_1, ..., hidden_k, n_outputs)``.
    activation : {"relu", "tanh", "logistic", "identity"}
        Activation of the hidden layers.
    output : {"logistic", "softmax"}
        Output layer: independent sigmoids (binary, multilabel) or a softmax.
    params : ndarray of shape (n_params,), optional
        The flat parameter buffer to use (not copied).  Zeros by default.
    dtype : numpy dtype, default=np.float64
        Dtype of a new buffer when ``params`` is not given.
    """

    def __init__(self, layer_sizes, activation, output, params=None, dtype=np.float64):
        self.layer_sizes = tuple(int(size) for size in layer_sizes)
        self.activation = activation
        self.output = output
        self.shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_coef = sum(n_in * n_out for n_in, n_out in self.shapes)
        self.n_params = self.n_coef + sum(n_out for _, n_out in self.shapes)
        if params is None:
            params = np.zeros(self.n_params, dtype=dtype)
        if params.shape != (self.n_params,):
            raise ValueError(
                f"params has shape {params.shape}, expected ({self.n_params},) "
                f"for layer sizes {self.layer_sizes}"
            )
        self.params = params
        self.coefs, self.intercepts = self.unpack(params)

    def unpack(self, flat):
        """Per-layer ``(coefs, intercepts)`` views into a buffer laid out as ``params``."""
        coefs, intercepts, start = [], [], 0
        for n_in, n_out in self.shapes:
            coefs.append(flat[start : start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        for _, n_out in self.shapes:
            intercepts.append(flat[start : start + n_out])
            start += n_out
        return coefs, intercepts

    def initialize(self, rng, Y=None, sample_weight=None):
        """Draw weights from ``rng``: He-uniform into relu layers, Glorot-uniform
        elsewhere.  Hidden biases start at zero; the output biases start at the
        log prior of the targets ``Y`` when given (weighted by
        ``sample_weight``), so the untrained network predicts the class
        frequencies instead of a random guess."""
        last = len(self.shapes) - 1
        for k, ((n_in, n_out), W) in enumerate(zip(self.shapes, self.coefs)):
            if self.activation == "relu" and k < last:
                bound = np.sqrt(6.0 / n_in)
            else:
                bound = np.sqrt(6.0 / (n_in + n_out))
            W[...] = rng.uniform(-bound, bound, size=W.shape)
        self.params[self.n_coef :] = 0
        if Y is not None:
            self.intercepts[-1][...] = self.log_prior(Y, sample_weight)
        return self

    def log_prior(self, Y, sample_weight=None, floor=1e-6):
        """Logits of the (weighted) target frequencies, each clipped to
        ``[floor, 1 - floor]``: the output bias of a network that has learned
        nothing but the prior."""
        w = np.ones(Y.shape[0]) if sample_weight is None else sample_weight
        prior = np.clip((w @ Y) / w.sum(), floor, 1 - floor)
        if self.output == "softmax":
            return np.log(prior) - np.log(prior).mean()
        return np.log(prior) - np.log1p(-prior)

    # ------------------------------------------------------------------ forward
    def forward(self, X, buffers=None):
        """Layer outputs ``[X, A1, ..., A_{L-1}, Z_L]``: the last entry holds the
        output layer's logits (pre-activations).

        ``buffers`` is an optional list with one array per layer, at least
        ``X.shape[0]`` rows each, to write the outputs into.
        """
        hidden = ACTIVATIONS[self.activation]
        last = len(self.shapes) - 1
        outputs = [X]
        for k, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            out = None if buffers is None else buffers[k][: X.shape[0]]
            Z = _dot(outputs[-1], W, out)  # Z = A_prev @ W
            Z += b  # ... + b
            if k < last:
                hidden(Z)  # A = f(Z), in place
            outputs.append(Z)
        return outputs

    def logits(self, X):
        """The output layer's pre-activations for ``X``."""
        return self.forward(X)[-1]

    # --------------------------------------------------------------- loss, grad
    def loss_from_logits(self, Z, Y, sample_weight=None):
        """Mean cross-entropy, computed from the logits ``Z`` without ``log(0)``.

        Sigmoid units: ``log(1 + exp(z)) - y z`` per unit, summed over units.
        Softmax: ``-sum(y * log_softmax(z))``.  Both stay finite for any finite
        ``z``.  The mean over samples is weighted by ``sample_weight``.
        """
        if self.output == "logistic":
            per_unit = np.logaddexp(0, Z)
            per_unit -= Y * Z
        else:
            per_unit = OUTPUTS["softmax"][1](Z)
            per_unit *= -Y
        per_sample = per_unit.sum(axis=1)
        if sample_weight is None:
            return float(per_sample.mean())
        return float(per_sample @ sample_weight / sample_weight.sum())

    def penalty(self, alpha, sw_sum):
        """The L2 term ``alpha / 2 * sum(W ** 2) / sw_sum`` (biases are not penalised)."""
        W = self.params[: self.n_coef]
        return 0.5 * alpha * float(W @ W) / sw_sum

    def loss_grad(self, X, Y, alpha=0.0, sample_weight=None, grad=None, buffers=None):
        """Loss and its gradient with respect to ``params``, by backpropagation.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (m, n_features)
        Y : ndarray of shape (m, n_outputs)
            Targets coded 0/1 (one column per output unit).
        alpha : float
            L2 penalty strength.
        sample_weight : ndarray of shape (m,), optional
            Weights of the samples; the loss is their weighted mean.
        grad : ndarray of shape (n_params,), optional
            Buffer to write the gradient into.
        buffers : list of ndarray, optional
            Scratch arrays for the layer outputs, see :meth:`forward`.

        Returns
        -------
        loss : float
        grad : ndarray of shape (n_params,)
        """
        if grad is None:
            grad = np.empty_like(self.params)
        grad_coefs, grad_intercepts = self.unpack(grad)
        outputs = self.forward(X, buffers)
        m = X.shape[0]
        sw_sum = m if sample_weight is None else float(sample_weight.sum())
        loss = self.loss_from_logits(outputs[-1], Y, sample_weight)
        loss += self.penalty(alpha, sw_sum)

        # dZ_out = A_out - Y, each row weighted by sample_weight / sw_sum; the
        # logits buffer becomes A_out and then dZ_out in place.
        dZ = OUTPUTS[self.output][0](outputs[-1])
        dZ -= Y
        if sample_weight is None:
            dZ /= m
        else:
            dZ *= (sample_weight / sw_sum)[:, np.newaxis]

        derivative = DERIVATIVES[self.activation]
        for k in range(len(self.shapes) - 1, -1, -1):
            A_prev = outputs[k]
            grad_coefs[k][...] = _dot(A_prev.T, dZ)  # dW = A_prev.T @ dZ / m
            np.sum(dZ, axis=0, out=grad_intercepts[k])  # db = sum(dZ) / m
            if k:
                dZ = _dot(dZ, self.coefs[k].T)  # dA_prev = dZ @ W.T
                derivative(A_prev, dZ)  # dZ_prev = dA_prev * f'(Z_prev)

        # + alpha * W / m: the penalty's gradient, on the contiguous weight slice.
        grad[: self.n_coef] += (alpha / sw_sum) * self.params[: self.n_coef]
        return loss, grad
