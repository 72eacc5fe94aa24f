"""Input transformers to put in front of a network.

:class:`SmoothClipScaler`: the input handling of RealMLP (Holzmüller et al.,
2024): centre each column on its median, divide by its interquartile range
(half its range where the quartiles coincide), then pass it through
``x / sqrt(1 + (x / 3) ** 2)``, which is the identity near 0 and bends
towards +-3 far out, so that one outlier cannot dominate a layer's
activations.

:class:`PiecewiseLinearEncoder`: the piecewise-linear encoding of numeric
features of Gorishniy et al. (2022), which TabM (2025) feeds its members:
each column becomes a short vector that fills up, bin by bin, as its value
rises through the training data's quantiles, so that the first layer can
give every stretch of a feature its own slope.

Both are scikit-learn transformers, to show in a pipeline, swap or tune.
The estimators also apply them inside, fitted in ``fit`` and kept for
``partial_fit``, ``predict`` and the ONNX export: the smooth clip by default
(``input_scaling``), because a network is only as robust as its defaults and
most pipelines put ``StandardScaler`` in front of it, which one outlier
stretches; the encoding on request (``numerical_embedding``).  Their maths
(:func:`fit_smooth_clip`, :func:`smooth_clip`, :func:`fit_bins`,
:func:`encode`) is kept apart from the classes, in plain arrays, for the
estimators to share.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre on the median, scale by the interquartile range, clip smoothly.

    Parameters
    ----------
    clip : float, default=3.0
        Scale of the smooth clip ``x / sqrt(1 + (x / clip) ** 2)``: outputs
        stay within ``(-clip, clip)``.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Median of each column (NaN ignored).
    scale_ : ndarray of shape (n_features,)
        What each centred column is divided by: its interquartile range, or
        half its range where that is 0, or 1 for a constant column.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> SmoothClipScaler().fit_transform(X).round(2).ravel()
    array([-0.95, -0.49,  0.  ,  0.49,  3.  ])
    """

    _parameter_constraints = {"clip": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, clip=3.0):
        self.clip = clip

    def fit(self, X, y=None):
        """Learn each column's median and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data whose quartiles are learned; NaN is ignored.
        y : ignored

        Returns
        -------
        self : SmoothClipScaler
        """
        self._validate_params()
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        q25, center, q75 = np.nanpercentile(X, [25, 50, 75], axis=0)
        scale = q75 - q25
        half_range = 0.5 * (np.nanmax(X, axis=0) - np.nanmin(X, axis=0))
        scale = np.where(scale > 0, scale, half_range)
        self.center_ = np.nan_to_num(center)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X):
        """Scale and clip ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to scale; NaN stays NaN.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Each column centred on its median, divided by its scale and
            clipped smoothly into ``(-clip, clip)``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan", reset=False
        )
        Z = (X - self.center_) / self.scale_
        return Z / np.sqrt(1 + (Z / self.clip) ** 2)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _weighed_values(column, sample_weight):
    """The values of ``column`` that count, and their weights: NaN and rows
    of weight 0 left out (``sample_weight`` None: every row weighs 1)."""
    keep = ~np.isnan(column)
    if sample_weight is None:
        return column[keep], None
    keep &= sample_weight > 0
    return column[keep], sample_weight[keep]


def _passes_through(values):
    """Whether a column of these values is left as it is by the encodings: at
    most two distinct values (binary, one-hot, constant)."""
    return np.unique(values).size <= 2


def weighted_quantiles(values, weights, levels):
    """The ``levels`` quantiles of ``values`` (1-d, no NaN) with positive
    ``weights`` (None: every row weighs 1): for each level, the smallest value
    whose rows, with those below it, make up at least that fraction of the
    total weight, so that a weight of 2 counts as the row repeated."""
    order = np.argsort(values, kind="stable")
    values = values[order]
    if weights is None:
        cumulative = np.arange(1.0, values.size + 1)
    else:
        cumulative = np.cumsum(weights[order], dtype=np.float64)
    rows = np.searchsorted(cumulative, np.asarray(levels) * cumulative[-1])
    return values[np.minimum(rows, values.size - 1)]


def fit_smooth_clip(X, sample_weight=None, clip=3.0):
    """What :func:`smooth_clip` needs for each column of ``X`` (dense, no NaN):
    its median (``center``), its interquartile range or, where the quartiles
    coincide, half its range (``scale``), and ``1 / clip`` (``inverse_clip``).
    The quantiles weigh the rows by ``sample_weight`` as
    :func:`weighted_quantiles` does.  A column of at most two distinct values
    (binary, one-hot, constant) passes through: centre 0, scale 1 and no
    clip, as :class:`PiecewiseLinearEncoder` passes it."""
    n = X.shape[1]
    center, scale = np.zeros(n), np.ones(n)
    inverse_clip = np.zeros(n)
    for j, column in enumerate(X.T):
        values, weights = _weighed_values(column.astype(np.float64), sample_weight)
        if _passes_through(values):
            continue
        q25, q50, q75 = weighted_quantiles(values, weights, (0.25, 0.5, 0.75))
        spread = q75 - q25 if q75 > q25 else 0.5 * (values.max() - values.min())
        center[j], scale[j], inverse_clip[j] = q50, spread, 1.0 / clip
    return {"center": center, "scale": scale, "inverse_clip": inverse_clip}


def smooth_clip(X, scaling):
    """``X`` (dense, float) centred and scaled by the :func:`fit_smooth_clip`
    ``scaling``, then bent smoothly towards ``+-clip``:
    ``z / sqrt(1 + (z / clip) ** 2)``, in ``X``'s dtype."""
    dtype = X.dtype
    Z = (X - scaling["center"].astype(dtype)) / scaling["scale"].astype(dtype)
    bent = np.square(Z * scaling["inverse_clip"].astype(dtype))
    bent += 1
    np.sqrt(bent, out=bent)
    Z /= bent
    return Z


def fit_bins(X, n_bins, sample_weight=None):
    """The bin edges of each column of ``X``: its distinct quantiles at
    ``0, 1 / n_bins, ..., 1`` (the smallest value whose rows, with those
    below it, make up at least that fraction of the total ``sample_weight``,
    so a weight of 2 counts as a row repeated and a weight of 0 as a row
    removed; NaN ignored), or an empty array for a column of at most two
    distinct values, which the encoding passes through."""
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    edges = []
    for column in X.T:
        values, weights = _weighed_values(column, sample_weight)
        if _passes_through(values):
            edges.append(np.empty(0))
            continue
        picked = weighted_quantiles(values, weights, levels)
        edges.append(np.unique(picked).astype(np.float64))
    return edges


def layout(edges):
    """What :func:`encode` needs, as one plain array per quantity, one entry
    per output column: the input column it reads (``feature``), the left
    edge and width of its bin, and the bounds of its clip.

    A column with edges ``e_0 < ... < e_T`` gives T outputs
    ``(x - e_{t-1}) / (e_t - e_{t-1})`` clipped into ``[0, 1]``, except that
    the first is open below and the last open above, so that values outside
    the training range keep a slope (a single bin is min-max scaling); a
    column without edges gives ``x`` itself (left 0, width 1, no clip).
    """
    parts = {"feature": [], "left": [], "width": [], "low": [], "high": []}
    for j, e in enumerate(edges):
        n = max(e.size - 1, 1)
        low, high = np.zeros(n), np.ones(n)
        low[0], high[-1] = -np.inf, np.inf
        passed = e.size == 0
        parts["feature"].append(np.full(n, j, dtype=np.intp))
        parts["left"].append(np.zeros(1) if passed else e[:-1])
        parts["width"].append(np.ones(1) if passed else np.diff(e))
        parts["low"].append(low)
        parts["high"].append(high)
    return {key: np.concatenate(value) for key, value in parts.items()}


def encode(X, bins):
    """The piecewise-linear encoding of ``X`` (dense, float) on the
    :func:`layout` ``bins``, in ``X``'s dtype; NaN stays NaN.  One gather
    and four passes over the output, whatever the number of features."""
    Z = np.take(X, bins["feature"], axis=1)  # C order, as X[:, ...] is not
    for key, step in (
        ("left", np.subtract),
        ("width", np.divide),
        ("low", np.maximum),  # (np.clip costs more on a few rows)
        ("high", np.minimum),
    ):
        step(Z, bins[key].astype(Z.dtype, copy=False), out=Z)
    return Z


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    """Encode each numeric column piecewise-linearly on its quantile bins.

    The piecewise-linear encoding (PLE) of Gorishniy et al. (2022), with which
    TabM (Gorishniy et al., 2025) feeds numeric features to its network. In
    ``fit``, each column's bin edges ``e_0 < e_1 < ... < e_T`` are its
    distinct quantiles at ``0, 1 / n_bins, ..., 1``: training values, each the
    smallest below or at which lies that fraction of the rows (of their
    weight). A value ``x`` then becomes ``T`` numbers, one per bin,

    .. math::

        \\operatorname{clip}\\left(\\frac{x - e_{t-1}}{e_t - e_{t-1}},
        0, 1\\right), \\quad t = 1, \\dots, T,

    that is ``[1, ..., 1, fraction of its bin, 0, ..., 0]``: bins below ``x``
    are full, bins above it empty. The first number is not clipped below and
    the last not above, so that values beyond the training range keep a
    slope; a column with a single bin is scaled to ``[0, 1]`` by its minimum
    and maximum. A column of at most two distinct values (binary, one-hot,
    constant) passes through unchanged.

    A linear layer on the encoding can give each bin of each feature its own
    slope, so a network's first layer learns a piecewise-linear function of
    every feature rather than a linear one. The encoding is invariant to any
    increasing transform of a column (scaling, logarithm): it needs no scaler
    before it. Its output has up to ``n_bins`` columns per input column,
    which multiplies the memory of the data and the work of the first layer.

    Parameters
    ----------
    n_bins : int, default=8
        The most bins per column (at least 2). Columns with fewer distinct
        quantiles get fewer. More bins give finer slopes but overfit sooner
        and widen the first layer further (see the "Good defaults" page).

    Attributes
    ----------
    bin_edges_ : list of ndarray of shape (n_edges,)
        The distinct edges of each column's bins (an empty array for a column
        passed through).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.preprocessing.SplineTransformer : B-spline bases of each column;
        ``degree=1`` on quantile knots spans the same functions with hat-shaped
        components.
    sklearn.preprocessing.KBinsDiscretizer : the step-wise counterpart (one-hot
        or ordinal bins).

    Notes
    -----
    Dense input only: the encoding of 0 is not 0, so a sparse input would not
    stay sparse. NaN is encoded as NaN in each of its column's outputs.

    Examples
    --------
    >>> import numpy as np
    >>> from skann import PiecewiseLinearEncoder
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [5.0, 1.0]])
    >>> encoder = PiecewiseLinearEncoder(n_bins=2).fit(X)
    >>> encoder.bin_edges_[0]
    array([0., 1., 5.])
    >>> encoder.transform([[0.5, 0.0], [3.0, 1.0], [9.0, 1.0]])
    array([[0.5, 0. , 0. ],
           [1. , 0.5, 1. ],
           [1. , 2. , 1. ]])
    """

    _parameter_constraints = {"n_bins": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, n_bins=8):
        self.n_bins = n_bins

    def fit(self, X, y=None, sample_weight=None):
        """Learn each column's bin edges.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the quantiles: a weight of 2 counts as the
            row repeated, 0 as the row left out.

        Returns
        -------
        self : PiecewiseLinearEncoder
        """
        self._validate_params()
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        self.bin_edges_ = fit_bins(X, self.n_bins, sample_weight)
        self._bins = layout(self.bin_edges_)
        return self

    def transform(self, X):
        """Encode ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Each column's encoding side by side, in the order of the columns.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan", reset=False
        )
        return encode(X, self._bins)

    def get_feature_names_out(self, input_features=None):
        """The output's column names: ``"<name>_bin<t>"`` for the bins of an
        encoded column, its own name for a column passed through.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's column names; by default ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        out = []
        for name, edges in zip(names, self.bin_edges_):
            bins = range(max(edges.size - 1, 1))
            out.extend([name] if edges.size == 0 else (f"{name}_bin{t}" for t in bins))
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
