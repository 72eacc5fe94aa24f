"""SmoothClipScaler: robust scaling and smooth clipping of numeric inputs.

The input handling of RealMLP (Holzmüller et al., 2024), written as a
scikit-learn transformer to put in front of a network: centre each column on
its median, divide by its interquartile range (half its range where the
quartiles coincide), then pass it through ``x / sqrt(1 + (x / 3) ** 2)``,
which is the identity near 0 and bends towards +-3 far out, so that one
outlier cannot dominate a layer's activations.  A transformer rather than an
estimator parameter because scikit-learn moved scaling out of estimators
(``normalize=`` left the linear models in 1.2): the pipeline shows it, it
can be swapped or tuned, and ``predict``, ``partial_fit`` and the ONNX export
of the network stay what they are.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data


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
        """Scale and clip ``X`` (NaN stays NaN).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
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
