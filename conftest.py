import os

# scikit-learn's array API checks run only when SciPy's array API support is on;
# it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
