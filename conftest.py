import os

import pytest
from threadpoolctl import threadpool_limits

# scikit-learn's array API checks run only when SciPy's array API support is on;
# it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """The suite's fits are small: threads inside BLAS only add
    synchronisation to them, and pytest-xdist (``-n auto``) already gives
    each core a test of its own."""
    with threadpool_limits(limits=1):
        yield
