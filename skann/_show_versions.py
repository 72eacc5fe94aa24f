"""``skann.show_versions()``: what a bug report needs, as scikit-learn's.

pip hides build logs by default, so a failed build of the compiled loop goes
unnoticed; this says plainly whether the compiled loop is in use and, if not,
why skann runs on its numpy core.
"""

import importlib
import platform
import sys

__all__ = ["show_versions"]

_DEPENDENCIES = ["skann", "pip", "numpy", "scipy", "sklearn", "joblib", "threadpoolctl"]


def _version(name):
    try:
        return importlib.import_module(name).__version__
    except Exception:  # not installed, or broken: say so rather than fail
        return None


def compiled_loop_status():
    """One line: whether the compiled minibatch loop is in use, and if not, why."""
    from . import _compiled

    if _compiled.COMPILED and _compiled.enabled:
        return f"in use ({_compiled._loop.__file__})"
    if _compiled.COMPILED:
        return "built, but switched off (skann._compiled.enabled is False): numpy core"
    return (
        "NOT in use: skann runs on its numpy core (same results, slower). "
        "The extension skann._loop was not built when skann was installed "
        "(no C compiler or Python headers, or the build failed; pip hides the "
        f"log) or cannot be loaded: {_compiled.IMPORT_ERROR}. To see why, "
        'reinstall with SKANN_REQUIRE_COMPILED=1 pip install -v "skann".'
    )


def _blas_info():
    from threadpoolctl import threadpool_info

    return threadpool_info()


def show_versions():
    """Print skann's version, its dependencies', BLAS and the compiled loop.

    Paste its output into a bug report.  The line ``compiled loop`` says
    whether skann trains with its compiled minibatch loop or on its numpy core
    alone (see :doc:`/getting_started`).

    Examples
    --------
    >>> import skann
    >>> skann.show_versions()  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    <BLANKLINE>
    System:
        python: ...
    """
    print("\nSystem:")
    for key, value in [
        ("python", sys.version.replace("\n", " ")),
        ("executable", sys.executable),
        ("machine", platform.platform()),
    ]:
        print(f"{key:>14}: {value}")
    print("\nPython dependencies:")
    for name in _DEPENDENCIES:
        print(f"{name:>14}: {_version(name)}")
    print(f"\n{'compiled loop':>14}: {compiled_loop_status()}")
    print("\nthreadpoolctl info:")
    for library in _blas_info():
        print()
        for key, value in library.items():
            print(f"{key:>22}: {value}")
