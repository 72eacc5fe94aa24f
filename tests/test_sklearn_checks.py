"""scikit-learn's own estimator checks, nothing excused.

Every configuration a user can pick by solver and activation, at two sizes
(one hidden layer of 5, two of (4, 3)), without and with the numerical
embedding and with the smooth clip of the inputs, with every other
parameter at its default.  Then a few more defaults-only variations.
"""

import pytest
from _problems import every_configuration
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from skann import ANNClassifier

# The input encoding changes what every solver trains on (more columns, which
# fill up together), and the smooth clip the inputs' scale and tails, so
# every configuration is checked with each of them as well.
SWEEP = [
    *every_configuration(ANNClassifier),
    *every_configuration(ANNClassifier, numerical_embedding="ple"),
    *every_configuration(ANNClassifier, input_scaling="smooth_clip"),
]
MORE = [
    ANNClassifier(),
    ANNClassifier(hidden_size=(8, 8)),
    ANNClassifier(class_weight="balanced"),
    ANNClassifier(numerical_embedding="ple"),
    ANNClassifier(input_scaling="smooth_clip"),
    # the number of epochs chosen by cross-validation, on any number of rows
    ANNClassifier(epoch_cv=3),
    ANNClassifier(solver="sgd", epoch_cv=2, n_members=2),
    # members in one network
    ANNClassifier(n_members=4),
    ANNClassifier(solver="lbfgs", activation="tanh", n_members=2),
    ANNClassifier(solver="sgd", activation="logistic", hidden_size=(4, 3), n_members=3),
]


# The checks fit every configuration on small, unscaled data within its
# max_iter; whether a fit converges there is not what they check, so the
# ConvergenceWarnings they provoke are expected.
CHECKS_DO_NOT_CONVERGE = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@CHECKS_DO_NOT_CONVERGE
@parametrize_with_checks(SWEEP + MORE)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@CHECKS_DO_NOT_CONVERGE
def test_check_estimator_passes_whole():
    # on_fail="raise" (the default) fails on the first failing check.
    check_estimator(ANNClassifier())
