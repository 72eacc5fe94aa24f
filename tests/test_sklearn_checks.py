"""scikit-learn's own estimator checks, over several configurations, nothing excused."""

from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from skann import ANNClassifier

CONFIGURATIONS = [
    ANNClassifier(),
    ANNClassifier(solver="gd", learning_rate=0.1),
    ANNClassifier(solver="sgd", learning_rate=0.01),
    ANNClassifier(solver="lbfgs"),
    ANNClassifier(hidden_size=(8, 8)),
    ANNClassifier(activation="tanh"),
    ANNClassifier(class_weight="balanced"),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_check_estimator_passes_whole():
    # on_fail="raise" (the default) fails on the first failing check.
    check_estimator(ANNClassifier())
