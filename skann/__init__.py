"""skann: scikit-learn neural networks on their own small numpy core."""

from ._classifier import ANNClassifier
from ._regressor import ANNRegressor

__version__ = "0.1.0"
__all__ = ["ANNClassifier", "ANNRegressor", "__version__"]
