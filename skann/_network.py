"""The numpy core: a fully connected feed-forward network on one flat buffer.

This module knows nothing about scikit-learn.  It generalises the lesson's
2-layer network to any depth::

    Z1 = X @ W1 + b1          A1 = relu(Z1)          # hidden layer(s)
    Z2 = A1 @ W2 + b2         A2 = sigmoid(Z2)       # output layer
    cost = mean(BCE(Y, A2)) + alpha / 2 * sum(W ** 2) / m
    dZ2 = A2 - Y              dW2 = A1.T @ dZ2 / m   db2 = sum(dZ2) / m
    dZ1 = (dZ2 @ W2.T) * relu'(Z1)
    dW1 = X.T @ dZ1 / m       db1 = sum(dZ1) / m

A regression network ends in identity units with the squared error, or in
``exp`` units (the log link) with the Poisson deviance; each output keeps the
canonical pairing, so ``dZ_out = A_out - Y`` holds for all four outputs.

A network of ``members`` (k) members is k such networks trained together on
the mean of their losses, predicting the mean of their predictions.  They
are packed into the same matrices: the first layer's columns are the
members' (a plain dense product), and every later layer is block-diagonal,
one ``h_in x h_out`` block per member, computed block by block so that the
entries off the blocks are never read by a product nor written by a
gradient: they stay exactly zero under every solver.

All weights live in one flat vector ``params``: first every layer's weight
matrix, then every layer's bias vector (the same order as scikit-learn's
L-BFGS packing).  ``coefs[i]`` and ``intercepts[i]`` are views into it, so a
solver can update all parameters with one vectorised expression, scipy can
optimise the buffer itself, and the L2 penalty touches one contiguous slice.
"""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, log_softmax, logsumexp, xlogy

from ._activations import DERIVATIVES, FORWARD


def _dot(A, W, out=None):
    """``A @ W`` for a dense or sparse ``A``, into ``out`` when given.

    A product with an inner dimension of 1 is an outer product, which sums
    nothing: a broadcast multiply computes it without a matrix product's
    set-up.
    """
    if not isinstance(A, np.ndarray):  # scipy.sparse
        return np.asarray(A @ W)
    if W.shape[0] == 1:
        return np.multiply(A, W, out=out)
    return np.matmul(A, W, out=out)


class Workspace:
    """Scratch arrays for :meth:`Network.loss_grad` on batches of up to ``rows`` rows.

    Training calls ``loss_grad`` hundreds of times per epoch on same-sized
    batches; writing every intermediate (layer outputs, backpropagated
    deltas, loss terms, the gradient) into arrays allocated once per fit
    removes the allocations and keeps the working set in cache.  Row-prefix
    views (``buf[:m]``) serve a smaller last batch.  The fit's scratch object
    (:class:`skann._training.Scratch`) owns it.
    """

    def __init__(self, net, rows, dtype=None):
        dtype = net.params.dtype if dtype is None else np.dtype(dtype)
        widths = net.layer_sizes[1:]
        self.rows, self.dtype = rows, dtype
        self.outputs = [np.empty((rows, n), dtype) for n in widths]
        # deltas[k]: dZ of hidden layer k, shape (rows, widths[k])
        self.deltas = [np.empty((rows, n), dtype) for n in widths[:-1]]
        self.scratch = [np.empty((rows, n), dtype) for n in widths]
        self.scratch2 = np.empty((rows, widths[-1]), dtype)
        self.per_sample = np.empty(rows, dtype)
        # zeros: the entries off a packed network's blocks are never written
        self.grad = np.zeros_like(net.params)
        self.grad_coefs, self.grad_intercepts = net.unpack(self.grad)
        self.grad_weights = self.grad[: net.n_coef]
        self.penalty = np.empty(net.n_coef, net.params.dtype)
        self._views = {}
        self.batch = {}  # gathered minibatch copies, see :meth:`gather`
        self.key = (net.layer_sizes, net.members, dtype)
        self.nbytes = self.size(net, rows, dtype)

    @staticmethod
    def size(net, rows, dtype=None):
        """Bytes of a workspace for ``net`` and ``rows`` rows, its gathered
        batch included."""
        dtype = net.params.dtype if dtype is None else np.dtype(dtype)
        widths = net.layer_sizes[1:]
        return dtype.itemsize * (
            rows * (3 * sum(widths) + 2 * widths[-1] + net.layer_sizes[0] + 2)
            + 2 * net.n_params
        )

    def fits(self, X):
        return X.shape[0] <= self.rows and X.dtype == self.dtype

    def views(self, m):
        """The buffers cut to ``m`` rows: ``(outputs, deltas, scratch,
        scratch2, per_sample)``, cut once per batch size."""
        views = self._views.get(m)
        if views is None:
            views = self._views[m] = (
                [a[:m] for a in self.outputs],
                [a[:m] for a in self.deltas],
                [a[:m] for a in self.scratch],
                self.scratch2[:m],
                self.per_sample[:m],
            )
        return views

    def gather(self, name, A, rows):
        """``A[rows]`` for an index array ``rows``, into a buffer kept here."""
        if not isinstance(A, np.ndarray):  # scipy.sparse
            return A[rows]
        shape = (self.rows, *A.shape[1:])
        buf = self.batch.get(name)
        if buf is None or buf.shape != shape or buf.dtype != A.dtype:
            buf = self.batch[name] = np.empty(shape, A.dtype)
        # mode="clip" skips the bounds check (rows come from a permutation)
        # and lets numpy write straight into ``out`` instead of buffering.
        return np.take(A, rows, axis=0, out=buf[: len(rows)], mode="clip")


class Network:
    """A feed-forward network whose parameters are views into one flat buffer.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, hidden_1, ..., hidden_k, n_outputs)``: the widths of
        the packed layers, ``members`` times those of one member.
    activation : {"relu", "tanh", "logistic", "identity"}
        Activation of the hidden layers.
    output : {"logistic", "softmax", "identity", "exp"}
        Output layer and its loss: independent sigmoids (binary, multilabel)
        or a softmax with the cross-entropy; identity units with half the
        squared error, or ``exp`` units with half the Poisson deviance.
    params : ndarray of shape (n_params,), optional
        The flat parameter buffer to use (not copied).  Zeros by default.
    dtype : numpy dtype, default=np.float64
        Dtype of a new buffer when ``params`` is not given.
    members : int, default=1
        How many members the layers pack: every layer after the first is
        block-diagonal with one block per member.
    """

    def __init__(
        self,
        layer_sizes,
        activation,
        output,
        params=None,
        dtype=np.float64,
        members=1,
    ):
        self.layer_sizes = tuple(int(size) for size in layer_sizes)
        self.members = int(members)
        if any(size % self.members for size in self.layer_sizes[1:]):
            raise ValueError(
                f"layer sizes {self.layer_sizes} do not pack {self.members} members"
            )
        self.member_sizes = (
            self.layer_sizes[0],
            *(size // self.members for size in self.layer_sizes[1:]),
        )
        self.n_outputs = self.member_sizes[-1]
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
        self.weights = params[: self.n_coef]  # every coefs[i], flat

    def blocks(self, k):
        """``(rows, columns)`` slices of each member's block of layer ``k``:
        its columns of the first layer, its diagonal block of a later one."""
        n_in, n_out = self.member_sizes[k], self.member_sizes[k + 1]
        return [
            (
                slice(None) if k == 0 else slice(i * n_in, (i + 1) * n_in),
                slice(i * n_out, (i + 1) * n_out),
            )
            for i in range(self.members)
        ]

    def unpack(self, flat):
        """Per-layer ``(coefs, intercepts)`` views into a buffer laid out like
        ``params``."""
        coefs, intercepts, start = [], [], 0
        for n_in, n_out in self.shapes:
            coefs.append(flat[start : start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        for _, n_out in self.shapes:
            intercepts.append(flat[start : start + n_out])
            start += n_out
        return coefs, intercepts

    def initialize(self, rng, Y=None, sample_weight=None, scheme="he"):
        """Draw the hidden layers' weights and start the output layer at zero,
        its biases where a network that has learned nothing should be: at the
        log prior of the classes, or at the link of the targets' mean
        (:meth:`output_bias`).

        Parameters
        ----------
        rng : numpy.random.RandomState
            Draws the hidden weights.
        Y : ndarray of shape (n_samples, n_outputs), optional
            The network's targets; without them the output biases are zero.
        sample_weight : ndarray of shape (n_samples,), optional
            Weights of the rows of ``Y``.
        scheme : {"he", "glorot"}, default="he"
            How relu layers are drawn, as the estimators' ``weight_init``.

        Returns
        -------
        self : Network

        Notes
        -----
        Hidden weights are uniform in ``+-sqrt(6 / (fan_in + fan_out))``
        (Glorot), but in ``+-sqrt(6 / fan_in)`` into relu layers with
        ``scheme="he"``, and 4 times Glorot's into logistic layers: Glorot and
        Bengio's gain for the sigmoid, whose slope at 0 is 1/4, so that
        gradients reach the first layers of a deep logistic network as they do
        through tanh.

        Zero output weights make the untrained network predict exactly the
        (weighted) class frequencies or target mean, whatever the scale of the
        inputs: a random output layer starts from outputs of a few units of
        either sign, which training first has to unlearn.  Their first
        gradient, ``A_hidden.T @ (A_out - Y)``, is not zero, and the hidden
        weights are random, so every hidden unit learns something of its own
        from the second step on.

        Each member of a packed network is drawn as a network of its width
        alone (the bounds from its block's fan-in and fan-out), one after the
        other, layer by layer; each starts its output biases at the same
        prior.
        """
        last = len(self.shapes) - 1
        self.params[...] = 0
        for k, W in enumerate(self.coefs[:last]):
            n_in, n_out = self.member_sizes[k], self.member_sizes[k + 1]
            if scheme == "he" and self.activation == "relu":
                bound = np.sqrt(6.0 / n_in)
            else:
                bound = np.sqrt(6.0 / (n_in + n_out))
                if self.activation == "logistic":
                    bound *= 4.0
            for rows, columns in self.blocks(k):  # each member as a network alone
                W[rows, columns] = rng.uniform(-bound, bound, size=(n_in, n_out))
        if Y is not None:
            bias = self.output_bias(Y, sample_weight)
            self.intercepts[-1][...] = np.tile(bias, self.members)
        return self

    def output_bias(self, Y, sample_weight=None):
        """The output bias of a network that has learned nothing but the
        (weighted) mean of ``Y``: its log prior for the classifier's outputs,
        the mean itself for identity units, its log for ``exp`` units."""
        if self.output in ("logistic", "softmax"):
            return self.log_prior(Y, sample_weight)
        mean = self._weighted_mean(Y, sample_weight)
        if self.output == "exp":
            return np.log(np.maximum(mean, 1e-6))
        return mean

    @staticmethod
    def _weighted_mean(Y, sample_weight):
        if sample_weight is None:
            return Y.sum(axis=0) / Y.shape[0]
        return np.einsum("i,ij->j", sample_weight, Y) / sample_weight.sum()

    def log_prior(self, Y, sample_weight=None, floor=1e-6):
        """Logits of the (weighted) target frequencies, each clipped to
        ``[floor, 1 - floor]``: the output bias of a network that has learned
        nothing but the prior.

        The sums avoid BLAS: a multi-threaded product over every sample would
        leave BLAS threads spinning on the other cores into the training."""
        prior = np.clip(self._weighted_mean(Y, sample_weight), floor, 1 - floor)
        if self.output == "softmax":
            return np.log(prior) - np.log(prior).mean()
        return np.log(prior) - np.log1p(-prior)

    # ------------------------------------------------------------------ forward
    def forward(self, X, buffers=None):
        """Layer outputs ``[X, A1, ..., A_{L-1}, Z_L]``: the last entry holds the
        output layer's logits (pre-activations).

        ``buffers`` is an optional list with one array per layer, with exactly
        ``X``'s number of rows, to write the outputs into.
        """
        hidden = FORWARD[self.activation]
        last = len(self.coefs) - 1
        outputs = [X]
        A = X
        for k, W in enumerate(self.coefs):
            out = None if buffers is None else buffers[k]
            if k and self.members > 1:
                Z = self._block_product(k, A, out)  # Z = A_prev @ W, per block
            elif W.shape[0] == 1 or not isinstance(A, np.ndarray):
                Z = _dot(A, W, out)  # Z = A_prev @ W
            else:  # the common case, without _dot's call
                Z = np.matmul(A, W, out=out)
            Z += self.intercepts[k]  # ... + b
            if k < last:
                hidden(Z)  # A = f(Z), in place
            outputs.append(Z)
            A = Z
        return outputs

    def _block_product(self, k, A, out=None):
        """``A @ coefs[k]`` for a block-diagonal layer ``k``: one product per
        member's block, which never reads the zeros off the blocks."""
        W = self.coefs[k]
        if out is None:
            out = np.empty((A.shape[0], W.shape[1]), np.result_type(A, W))
        for rows, columns in self.blocks(k):
            _dot(A[:, rows], W[rows, columns], out[:, columns])
        return out

    def mean_logits(self, Z):
        """The logits of the members' mean prediction, from their packed
        logits ``Z`` of shape ``(m, members * n_outputs)``: the link of the
        mean of their probabilities (the log of the mean softmax, the logit
        of the mean sigmoid) or of their means (identity, ``exp``), computed
        stably.  ``Z`` itself for one member."""
        k = self.members
        if k == 1:
            return Z
        Z = Z.reshape(Z.shape[0], k, self.n_outputs)
        if self.output == "identity":
            return Z.mean(axis=1)
        if self.output == "exp":
            return logsumexp(Z, axis=1) - np.log(k)
        if self.output == "softmax":
            return logsumexp(log_softmax(Z, axis=2), axis=1) - np.log(k)
        # logit(mean p) = log(mean p) - log(mean (1 - p))
        return logsumexp(log_expit(Z), axis=1) - logsumexp(log_expit(-Z), axis=1)

    def prediction_logits(self, X):
        """The logits of the members' mean prediction for ``X``
        (:meth:`mean_logits` of :meth:`logits`)."""
        return self.mean_logits(self.logits(X))

    def logits(self, X, chunk=4096):
        """The output layer's pre-activations for ``X``, computed ``chunk`` rows
        at a time: the hidden layers' outputs stay in cache (faster on large
        inputs, see docs/performance.rst) and in O(chunk x width) memory."""
        m = X.shape[0]
        if m <= chunk:
            return self.forward(X)[-1]
        dtype = np.result_type(X.dtype, self.params.dtype)
        Z = np.empty((m, self.layer_sizes[-1]), dtype)
        buffers = [np.empty((chunk, n), dtype) for n in self.layer_sizes[1:]]
        for start in range(0, m, chunk):
            rows = X[start : start + chunk]
            if rows.shape[0] < chunk:
                buffers = [buf[: rows.shape[0]] for buf in buffers]
            Z[start : start + chunk] = self.forward(rows, buffers)[-1]
        return Z

    # --------------------------------------------------------------- loss, grad
    @staticmethod
    def _mean_loss(per_sample, sample_weight):
        if sample_weight is None:
            # per_sample.mean() without its Python overhead: the sum divided in
            # float64, then rounded to the array's dtype, as ndarray.mean does.
            mean = float(np.add.reduce(per_sample)) / per_sample.shape[0]
            if per_sample.dtype != np.float64:
                mean = float(per_sample.dtype.type(mean))
            return mean
        return float(per_sample @ sample_weight / sample_weight.sum())

    def _sum_units(self, per_unit, per_sample):
        """Per-sample sums over the output units (the one unit, without a copy)."""
        if per_unit.shape[1] == 1:
            return per_unit[:, 0]
        return np.add.reduce(per_unit, axis=1, out=per_sample)

    def loss_and_output_error(self, Z, Y, sample_weight, s1, s2, per_sample):
        """The mean loss from the logits ``Z``, without ``log(0)``; and ``Z``
        turned into the output error ``A_out - Y`` in place (before the sample
        weighting).

        Parameters
        ----------
        Z : ndarray of shape (m, n_outputs)
            The output layer's logits; overwritten with ``A_out - Y``.
        Y : ndarray of shape (m, n_outputs)
            The targets.
        sample_weight : ndarray of shape (m,) or None
            Weights of the samples in the mean.
        s1, s2 : ndarray of shape (m, n_outputs)
            Scratch arrays.
        per_sample : ndarray of shape (m,)
            Scratch array for the loss of each sample.

        Returns
        -------
        loss : float
            The (weighted) mean loss, without the L2 penalty.

        Notes
        -----
        Sigmoid units: ``log(1 + exp(z)) - y z`` per unit, summed over units.
        Softmax: ``-sum(y * log_softmax(z))``.  Both stay finite for any finite
        ``z``.  Identity units: ``(z - y)**2 / 2``, summed over units (so the
        loss is consistent with ``dZ = A - Y`` for any number of outputs).
        ``exp`` units: half the Poisson deviance ``y log(y / e^z) - y + e^z``,
        summed over units.  The mean over samples is weighted by
        ``sample_weight``.

        ``Z`` may hold the logits of several members side by side (``Z`` has
        a multiple of ``Y``'s columns): the loss is then the mean of the
        members' losses against the same ``Y``, and each member's output
        error is its own divided by their number.
        """
        n = Y.shape[1]
        members = Z.shape[1] // n
        if members > 1:  # the mean of the members' losses, and of their errors
            loss = 0.0
            for i in range(members):
                c = slice(i * n, (i + 1) * n)
                loss += self.loss_and_output_error(
                    Z[:, c], Y, sample_weight, s1[:, c], s2[:, c], per_sample
                )
            Z /= members
            return loss / members
        if self.output == "identity":
            Z -= Y  # A_out - Y, with A_out = z
            per_unit = np.multiply(Z, Z, out=s1)
            per_sample = self._sum_units(per_unit, per_sample)
            return 0.5 * self._mean_loss(per_sample, sample_weight)
        if self.output == "exp":
            # y log y - y z - y + e^z, with 0 log 0 = 0 (xlogy)
            A = np.exp(Z, out=s2)
            per_unit = np.multiply(Y, Z, out=s1)
            np.subtract(A, per_unit, out=per_unit)
            per_unit -= Y
            per_unit += xlogy(Y, Y)
            per_sample = self._sum_units(per_unit, per_sample)
            loss = self._mean_loss(per_sample, sample_weight)
            np.subtract(A, Y, out=Z)
            return loss
        if self.output == "logistic":
            per_unit = np.logaddexp(0, Z, out=s1)  # log(1 + e^z)
            per_unit -= np.multiply(Y, Z, out=s2)  # ... - y z
            per_sample = self._sum_units(per_unit, per_sample)
            loss = self._mean_loss(per_sample, sample_weight)
            expit(Z, out=Z)  # A_out = sigmoid(z)
        else:
            # log_softmax as scipy computes it: tmp = Z - max, tmp - log(sum(exp(tmp)))
            z_max = Z.max(axis=1, keepdims=True)
            if not np.isfinite(z_max).all():
                z_max[~np.isfinite(z_max)] = 0
            tmp = np.subtract(Z, z_max, out=s1)
            exp_tmp = np.exp(tmp, out=s2)
            sums = exp_tmp.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore"):
                tmp -= np.log(sums)  # log_softmax(Z)
            tmp *= Y
            np.add.reduce(tmp, axis=1, out=per_sample)
            np.negative(per_sample, out=per_sample)  # sum(-y log p) == -sum(y log p)
            loss = self._mean_loss(per_sample, sample_weight)
            np.divide(exp_tmp, sums, out=Z)  # softmax(Z), as scipy computes it
        Z -= Y
        return loss

    def loss(self, Z, Y, sample_weight=None):
        """The mean loss of the logits ``Z`` against the targets ``Y``, as
        :meth:`loss_and_output_error` computes it (``Z`` is left as it is)."""
        Z = Z.copy()
        per_sample = np.empty(Z.shape[0], Z.dtype)
        scratch = np.empty_like(Z), np.empty_like(Z)
        return self.loss_and_output_error(Z, Y, sample_weight, *scratch, per_sample)

    def scale_temperature(self, X, Y, sample_weight=None):
        """Temperature scaling (Guo et al., 2017): find the one temperature
        ``T`` whose logits ``logits(X) / T`` give the members' mean
        prediction the lowest loss against ``Y``, and fold ``1 / T`` into
        the output layer's weights and biases, so that every prediction path
        applies it.  Nothing changes unless that loss is lower than at
        ``T = 1``, nor when it keeps falling to the sharpest ``T`` searched:
        on rows that the network already classifies right there is no best
        temperature.  Only the confidence of the predictions moves, never
        their ranking."""
        Z = self.logits(X).astype(np.float64)  # every member's

        def loss(log_t):
            return self.loss(self.mean_logits(Z * np.exp(-log_t)), Y, sample_weight)

        low, high = -3.0, 3.0
        best = minimize_scalar(loss, bounds=(low, high), method="bounded")
        if best.x < low + 1e-3:
            # The loss falls all the way to the sharpest temperature allowed:
            # rows the network already separates give no finite best
            # temperature, only ever more confident predictions.
            return
        if best.fun < loss(0.0):
            factor = np.exp(-best.x)
            self.coefs[-1] *= factor
            self.intercepts[-1] *= factor

    def penalty(self, alpha, sw_sum, chunk=10_000):
        """The L2 term ``alpha / 2 * sum(W ** 2) / sw_sum`` (biases are not
        penalised), divided by the number of members: the mean of the members'
        own penalties, as their loss is the mean of theirs.

        ``sum(W ** 2)`` is a sum of BLAS dots over ``chunk``-sized slices:
        OpenBLAS runs longer dots on every core, which stalls when another
        process holds a core, and makes the sum depend on the thread count.
        """
        W = self.weights
        squares = 0.0
        for start in range(0, W.size, chunk):
            w = W[start : start + chunk]
            squares += float(w @ w)
        return 0.5 * (alpha / self.members) * squares / sw_sum

    def loss_grad(
        self,
        X,
        Y,
        alpha=0.0,
        sample_weight=None,
        workspace=None,
    ):
        """Loss and its gradient with respect to ``params``, by backpropagation.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (m, n_features)
        Y : ndarray of shape (m, n_outputs)
            Targets: coded 0/1 for the classifier's outputs, real values for
            identity units, non-negative values for ``exp`` units (one column
            per output unit).
        alpha : float
            L2 penalty strength.
        sample_weight : ndarray of shape (m,), optional
            Weights of the samples; the loss is their weighted mean.
        workspace : Workspace, optional
            Preallocated scratch arrays, used when ``X`` fits in them; every
            intermediate array is written into them.

        Returns
        -------
        loss : float
        grad : ndarray of shape (n_params,)
            ``workspace.grad`` (overwritten by the next call with the same
            workspace), or a new array without one.
        """
        ws = workspace if workspace is not None and workspace.fits(X) else None
        if ws is None:  # fresh arrays, as numpy's temporaries would be
            ws = Workspace(self, X.shape[0], np.result_type(X.dtype, self.params.dtype))
        grad, grad_coefs, grad_intercepts = ws.grad, ws.grad_coefs, ws.grad_intercepts
        m = X.shape[0]
        out_bufs, deltas, scratch, scratch2, per_sample = ws.views(m)
        outputs = self.forward(X, out_bufs)
        sw_sum = m if sample_weight is None else float(sample_weight.sum())

        # dZ_out = A_out - Y, each row weighted by sample_weight / sw_sum; the
        # logits buffer becomes A_out and then dZ_out in place.
        dZ = outputs[-1]
        loss = self.loss_and_output_error(
            dZ, Y, sample_weight, scratch[-1], scratch2, per_sample
        )
        loss += self.penalty(alpha, sw_sum)
        if sample_weight is None:
            dZ /= m
        else:
            dZ *= (sample_weight / sw_sum)[:, np.newaxis]

        derivative = DERIVATIVES[self.activation]
        for k in range(len(self.shapes) - 1, -1, -1):
            A_prev = outputs[k]
            if k and self.members > 1:
                self._block_backward(k, A_prev, dZ, grad_coefs[k], deltas[k - 1])
            elif isinstance(A_prev, np.ndarray):
                _dot(A_prev.T, dZ, out=grad_coefs[k])  # dW = A_prev.T @ dZ / m
            else:  # scipy.sparse input
                grad_coefs[k][...] = _dot(A_prev.T, dZ)
            np.add.reduce(dZ, axis=0, out=grad_intercepts[k])  # db = sum(dZ) / m
            if k:
                if self.members == 1:  # dA_prev = dZ @ W.T
                    dZ = _dot(dZ, self.coefs[k].T, deltas[k - 1])
                else:
                    dZ = deltas[k - 1]
                derivative(A_prev, dZ, scratch[k - 1])  # dZ_prev = dA_prev * f'

        # + alpha * W / m: the penalty's gradient, on the contiguous weight slice.
        decay = alpha / self.members / sw_sum
        penalty = np.multiply(self.weights, decay, out=ws.penalty)
        ws.grad_weights += penalty
        return loss, grad

    def _block_backward(self, k, A_prev, dZ, grad, dA_prev):
        """Block by block, for a block-diagonal layer ``k``: each member's
        ``dW = A_prev.T @ dZ`` into its block of ``grad`` (the entries off the
        blocks are left as they are, zero) and ``dA_prev = dZ @ W.T``."""
        W = self.coefs[k]
        for rows, columns in self.blocks(k):
            dZ_block = dZ[:, columns]
            _dot(A_prev[:, rows].T, dZ_block, grad[rows, columns])
            _dot(dZ_block, W[rows, columns].T, dA_prev[:, rows])
