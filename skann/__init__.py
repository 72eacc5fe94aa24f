"""skann: a scikit-learn neural-network classifier on its own small numpy core."""

from ._classifier import ANNClassifier
from ._preprocessing import SmoothClipScaler

__version__ = "0.1.0"
__all__ = ["ANNClassifier", "SmoothClipScaler", "__version__"]
