"""skann: scikit-learn neural networks on their own small numpy core."""

from ._classifier import ANNClassifier
from ._preprocessing import PiecewiseLinearEncoder, SmoothClipScaler
from ._regressor import ANNRegressor
from ._show_versions import show_versions

__version__ = "0.2.0"
__all__ = [
    "ANNClassifier",
    "ANNRegressor",
    "PiecewiseLinearEncoder",
    "SmoothClipScaler",
    "show_versions",
    "__version__",
]
