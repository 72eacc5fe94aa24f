"""MLPClassifier's contract, in public behaviour: what scikit-learn's own
test_mlp.py checks through MLP internals (see test_mlp_peer.py), and the
contract bugs found by running that suite, each pinned by a test."""

import pickle
import warnings

import numpy as np
import pytest
from _problems import assert_same
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(
    60, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
)


def fitted(**params):
    return ANNClassifier(hidden_size=5, max_iter=20, random_state=0, **params).fit(X, y)


# ------------------------------------------------- assigning coefs_ / intercepts_
def test_assigned_coefs_take_effect_in_predict_and_pickle():
    clf = fitted()
    new = [np.zeros_like(W) for W in clf.coefs_]
    clf.coefs_ = new
    clf.intercepts_[1] = np.array([0.0, 5.0, 0.0])
    # every row now scores only the intercepts: class 1 everywhere
    assert (clf.predict(X) == 1).all()
    loaded = pickle.loads(pickle.dumps(clf))
    assert (loaded.predict(X) == 1).all()
    np.testing.assert_array_equal(loaded.intercepts_[1], [0.0, 5.0, 0.0])
    # and training continues from them
    clf.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert np.abs(clf.coefs_[0]).max() < 0.1


def test_item_assignment_of_coefs_takes_effect():
    clf = fitted()
    clf.coefs_[1] = -clf.coefs_[1]
    clf.intercepts_[1] = -clf.intercepts_[1]
    np.testing.assert_allclose(clf.decision_function(X), -fitted().decision_function(X))


@pytest.mark.parametrize(
    "assign",
    [
        lambda clf: setattr(clf, "coefs_", clf.coefs_[:1]),
        lambda clf: clf.coefs_.__setitem__(0, np.zeros((3, 5))),
        lambda clf: clf.intercepts_.__setitem__(0, np.zeros(4)),
        lambda clf: setattr(clf, "coefs_", "not weights"),
    ],
)
def test_assigned_coefs_of_the_wrong_shape_raise_a_clear_error(assign):
    clf = fitted()
    assign(clf)
    with pytest.raises(ValueError, match="does not fit the network's layer sizes"):
        clf.predict(X)


def test_assigned_non_finite_coefs_raise():
    clf = fitted()
    clf.coefs_[0] = np.full_like(clf.coefs_[0], np.nan)
    with pytest.raises(ValueError, match="NaN or infinite"):
        clf.predict_proba(X)


def test_weights_assigned_before_partial_fit_are_its_starting_point():
    clf = ANNClassifier(hidden_size=2, solver="sgd", learning_rate=0.1, momentum=0)
    clf.coefs_ = [np.full((4, 2), 0.1), np.full((2, 3), 0.2)]
    clf.intercepts_ = [np.zeros(2), np.zeros(3)]
    start = [W.copy() for W in clf.coefs_]
    clf.partial_fit(X[:5], y[:5], classes=[0, 1, 2])
    step = clf.coefs_[0] - start[0]
    assert 0 < np.abs(step).max() < 0.1  # one small step from there, not a new init


# --------------------------------------------------- partial_fit + early_stopping
@pytest.mark.parametrize("first", [True, False])
def test_partial_fit_refuses_early_stopping_and_keeps_state(first):
    clf = ANNClassifier(hidden_size=5, early_stopping=True, random_state=0)
    if not first:
        clf.fit(X, y)
    before = pickle.dumps(clf)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert pickle.dumps(clf) == before
    if not first:
        assert clf.validation_scores_ and clf.best_validation_score_ is not None


# ------------------------------------------------------------------ warm start
@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 3], [0, 1, 2, 3]])
def test_warm_start_fit_refuses_other_classes(labels):
    clf = fitted(warm_start=True)
    state = dict(vars(clf))
    y_other = np.resize(labels, y.shape)
    with pytest.raises(
        ValueError, match="warm_start can only be used where `y` has the same classes"
    ):
        clf.fit(X, y_other)
    assert_same(dict(vars(clf)), state)


def test_n_iter_counts_the_epochs_of_a_warm_start_fit():
    clf = ANNClassifier(hidden_size=2, solver="sgd", warm_start=True, max_iter=3, tol=0)
    clf.fit(X, y)
    clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 4  # partial_fit counts on


def test_invscaling_continues_over_warm_start():
    X4, y4 = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    clf = ANNClassifier(
        solver="sgd",
        hidden_size=4,
        learning_rate=0.001,
        learning_rate_schedule="invscaling",
        max_iter=1,
        power_t=0.25,
        warm_start=True,
    )
    clf.fit(X4, y4).fit(X4, y4)
    assert clf.t_ == 8
    assert clf._optimizer_state["learning_rate"] == pytest.approx(0.001 / 9**0.25)


# -------------------------------------------------------------- stopping rules
def test_n_iter_no_change_inf_runs_max_iter():
    clf = ANNClassifier(solver="sgd", tol=1e9, n_iter_no_change=np.inf, max_iter=30)
    clf.fit(X, y)
    assert clf.n_iter_ == 30


@pytest.mark.parametrize("patience", [1, 2, 5])
def test_n_iter_no_change_stops_after_that_many_epochs(patience):
    # tol=1e9: no epoch after the first improves by tol
    clf = ANNClassifier(solver="sgd", tol=1e9, n_iter_no_change=patience, max_iter=300)
    clf.fit(X, y)
    assert clf.n_iter_ == patience + 2


def test_adaptive_schedule_stops_when_the_rate_vanishes():
    clf = ANNClassifier(
        tol=0.5, max_iter=3000, solver="sgd", learning_rate_schedule="adaptive"
    ).fit([[3, 2], [1, 6]], [1, 0])
    assert clf.n_iter_ < clf.max_iter
    assert clf._optimizer_state["learning_rate"] < 1e-6


def test_validation_set_too_small_is_a_clear_error():
    clf = ANNClassifier(early_stopping=True, validation_fraction=0.1)
    Xs, ys = X[:10], np.resize([0, 1], 10)
    with pytest.raises(ValueError, match="The validation set is too small"):
        clf.fit(Xs, ys)


def test_verbose_lines_read_like_mlpclassifier(capsys):
    ANNClassifier(solver="sgd", max_iter=2, verbose=1).fit(X, y)
    assert capsys.readouterr().out.startswith("Iteration 1, loss = ")


def test_warm_start_with_early_stopping_keeps_scoring():
    Xi, yi = load_iris(return_X_y=True)
    clf = ANNClassifier(
        max_iter=10, random_state=0, warm_start=True, early_stopping=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(Xi, yi)
        clf.set_params(max_iter=20).fit(Xi, yi)
    assert len(clf.validation_scores_) > 0


# --------------------------------------------------------------- regularisation
def test_larger_alpha_gives_smaller_weights():
    # What the L2 penalty promises: a larger alpha, a smaller sum of squared
    # weights (scikit-learn's test_alpha asks it of each layer's sum of |w|).
    digits = load_digits(n_class=2)
    X2, y2 = digits.data[:100] / 16, digits.target[:100]
    squares = [
        sum(
            float(np.sum(W**2))
            for W in ANNClassifier(hidden_size=10, alpha=alpha, random_state=1)
            .fit(X2, y2)
            .coefs_
        )
        for alpha in (0.0, 1.0, 10.0)
    ]
    assert squares[0] > squares[1] > squares[2]


def test_max_fun_limits_lbfgs():
    with pytest.warns(ConvergenceWarning, match="F,G EVALUATIONS"):
        clf = ANNClassifier(
            solver="lbfgs", hidden_size=50, max_fun=10, max_iter=150, random_state=1
        ).fit(X, y)
    assert clf.n_iter_ <= 10
