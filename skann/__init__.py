"""skann: a scikit-learn neural-network classifier on its own small numpy core."""

from ._classifier import ANNClassifier
from ._show_versions import show_versions

__version__ = "0.1.0"
__all__ = ["ANNClassifier", "show_versions", "__version__"]
