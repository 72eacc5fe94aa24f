"""Marks for scikit-learn's own MLP tests run against skann (tests/_peer.py).

Each peer test module declares ``NOT_APPLICABLE`` (skipped) and
``DELIBERATE`` (xfail, strict) as ``{test id: reason}``; a test id is a
function name, or a function name with its parameter id (``name[id]``).
Every parametrisation of scikit-learn's that runs on ``MLPRegressor`` is
skipped here: it would test scikit-learn, not skann.
"""

import pytest

REGRESSOR_ONLY = "runs on MLPRegressor: tests scikit-learn, not skann"


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item, "module", None)
        if not hasattr(module, "NOT_APPLICABLE"):
            continue
        name = item.originalname
        reason_skip = module.NOT_APPLICABLE.get(item.name) or module.NOT_APPLICABLE.get(
            name
        )
        if reason_skip is None and "MLPRegressor" in item.name:
            reason_skip = REGRESSOR_ONLY
        reason_xfail = module.DELIBERATE.get(item.name) or module.DELIBERATE.get(name)
        if reason_skip:
            item.add_marker(pytest.mark.skip(reason=reason_skip))
        elif reason_xfail:
            item.add_marker(pytest.mark.xfail(reason=reason_xfail, strict=True))
