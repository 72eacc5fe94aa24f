"""scikit-learn's own ``test_mlp.py``, run against ANNClassifier.

The tests are scikit-learn's, loaded from the installed package (see
``tests/_peer.py``); this file only says which of them cannot apply to skann
(``NOT_APPLICABLE``: skipped, with the reason and, where the test guards a
real behaviour, the name of our own test of it) and which differences skann
keeps on purpose (``DELIBERATE``: xfail, strict, documented on
docs/coming_from_mlpclassifier.rst).
"""

import pytest
from _peer import MLP_REGRESSOR_TESTS, load_peer_module

peer = load_peer_module("test_mlp")
if peer is None:  # pragma: no cover - every supported scikit-learn ships it
    pytest.skip("this scikit-learn ships no test_mlp.py", allow_module_level=True)

OWN = "our own test of the behaviour: "
REGRESSOR = "a regressor test: runs on ANNRegressor in test_mlp_regressor_peer.py"

NOT_APPLICABLE = {
    "test_gradient": "calls MLP's private _loss_grad_lbfgs; "
    + OWN
    + "tests/test_gradients.py (central differences, and MLPClassifier as oracle)",
    "test_learning_rate_warmstart": "reads MLP's private _optimizer; "
    + OWN
    + "test_mlp_behaviour.py::test_invscaling_continues_over_warm_start",
    "test_adaptive_learning_rate": "reads MLP's private _optimizer; "
    + OWN
    + "test_mlp_behaviour.py::test_adaptive_schedule_stops_when_the_rate_vanishes",
    "test_n_iter_no_change": "reads MLP's private _no_improvement_count; "
    + OWN
    + "test_mlp_behaviour.py::test_n_iter_no_change_stops_after_that_many_epochs",
    "test_n_iter_no_change_inf": "reads MLP's private _no_improvement_count; "
    + OWN
    + "test_mlp_behaviour.py::test_n_iter_no_change_inf_runs_max_iter",
    **dict.fromkeys(MLP_REGRESSOR_TESTS, REGRESSOR),
}

DELIBERATE = {
    "test_early_stopping_stratified": "when a class has a single member, skann "
    "holds out an unstratified validation split and trains; MLPClassifier "
    "raises train_test_split's error",
    "test_preserve_feature_names[PeerMLPClassifier]": "skann refuses a y with "
    "a single class (there is nothing to learn); MLPClassifier fits a network "
    "that always predicts it",
    "test_alpha": "skann starts the output layer at zero, so the output weights "
    "grow from zero, and with alpha=1 they grow larger to make up for the "
    "shrunken hidden layer: alpha shrinks the weights as a whole (the sum of "
    "squares, which is what it penalises), not each layer's sum of |w|; "
    + OWN
    + "test_mlp_behaviour.py::test_larger_alpha_gives_smaller_weights",
    "test_lbfgs_classification_maxfun[X1-y1]": "with the output layer starting "
    "at zero, L-BFGS converges on the binary digits with tanh within the 10 "
    "evaluations max_fun allows, so no ConvergenceWarning; the max_fun limit "
    "holds on the 3-class set ([X0-y0]) and "
    + OWN
    + "test_mlp_behaviour.py::test_max_fun_limits_lbfgs",
}

# scikit-learn's tests become this module's; tests/conftest.py applies the
# marks above to them at collection.
globals().update(
    (name, test)
    for name, test in vars(peer).items()
    if name.startswith("test_") and callable(test)
)
