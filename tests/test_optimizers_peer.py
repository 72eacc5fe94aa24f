"""scikit-learn's own ``test_stochastic_optimizers.py``, run on skann's
``sgd_step`` and ``adam_step`` through the adapters of ``tests/_peer.py``."""

import pytest
from _peer import load_peer_module

peer = load_peer_module("test_stochastic_optimizers")
if peer is None:  # pragma: no cover
    pytest.skip(
        "this scikit-learn ships no test_stochastic_optimizers.py",
        allow_module_level=True,
    )

NOT_APPLICABLE = {
    "test_base_optimizer": "MLP's BaseOptimizer.trigger_stopping is its internal "
    "API; skann's adaptive schedule is tested in public terms in "
    "test_mlp_behaviour.py::test_adaptive_schedule_stops_when_the_rate_vanishes",
    "test_sgd_optimizer_trigger_stopping": "as test_base_optimizer",
}
DELIBERATE = {}

globals().update(
    (name, test)
    for name, test in vars(peer).items()
    if name.startswith("test_") and callable(test)
)
