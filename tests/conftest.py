"""Marks for scikit-learn's own MLP tests run against skann (tests/_peer.py).

Each peer test module declares ``NOT_APPLICABLE`` (skipped) and
``DELIBERATE`` (xfail, strict) as ``{test id: reason}``; a test id is a
function name, or a function name with its parameter id (``name[id]``).
Every parametrisation of scikit-learn's that runs on ``MLPRegressor`` is
skipped here: it would test scikit-learn, not skann -- except in a module
that declares ``REGRESSOR_TESTS`` (its ``MLPRegressor`` is skann's): there
only those tests, and the parametrisations on the regressor, are collected.
"""

import pytest

REGRESSOR_ONLY = "runs on MLPRegressor: see test_mlp_regressor_peer.py"


def _about_the_classifier_only(item):
    regressor_tests = getattr(getattr(item, "module", None), "REGRESSOR_TESTS", None)
    return (
        regressor_tests is not None
        and item.originalname not in regressor_tests
        and "Regressor" not in item.name
    )


def pytest_collection_modifyitems(config, items):
    deselected = [item for item in items if _about_the_classifier_only(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not _about_the_classifier_only(item)]
    for item in items:
        module = getattr(item, "module", None)
        if not hasattr(module, "NOT_APPLICABLE"):
            continue
        name = item.originalname
        reason_skip = module.NOT_APPLICABLE.get(item.name) or module.NOT_APPLICABLE.get(
            name
        )
        if (
            reason_skip is None
            and "MLPRegressor" in item.name
            and not hasattr(module, "REGRESSOR_TESTS")
        ):
            reason_skip = REGRESSOR_ONLY
        reason_xfail = module.DELIBERATE.get(item.name) or module.DELIBERATE.get(name)
        if reason_skip:
            item.add_marker(pytest.mark.skip(reason=reason_skip))
        elif reason_xfail:
            item.add_marker(pytest.mark.xfail(reason=reason_xfail, strict=True))


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture of that name (its conftest is not loaded here),
    at its default seed."""
    return 42
