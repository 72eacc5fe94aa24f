"""Property-based tests: for random finite inputs and small random configurations,
the outputs are well-formed probabilities and predictions agree with them."""

import warnings

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
extreme = st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def problems(draw):
    n_samples = draw(st.integers(4, 30))
    n_features = draw(st.integers(1, 5))
    X = draw(arrays(np.float64, (n_samples, n_features), elements=finite))
    target = draw(st.sampled_from(["binary", "multiclass", "multilabel"]))
    if target == "multilabel":
        n_labels = draw(st.integers(2, 3))
        y = draw(arrays(np.int64, (n_samples, n_labels), elements=st.integers(0, 1)))
    else:
        n_classes = 2 if target == "binary" else draw(st.integers(3, 4))
        y = np.arange(n_samples) % n_classes  # every class present
        y = np.array(draw(st.permutations(list(y))), dtype=np.int64)
    config = dict(
        hidden_size=draw(
            st.one_of(
                st.integers(1, 6), st.tuples(st.integers(1, 4), st.integers(1, 4))
            )
        ),
        activation=draw(st.sampled_from(["relu", "tanh", "logistic", "identity"])),
        solver=draw(st.sampled_from(["gd", "sgd", "adam", "lbfgs"])),
        learning_rate=draw(st.sampled_from([1e-4, 1e-3, 1e-2])),
        alpha=draw(st.sampled_from([0.0, 1e-4, 1.0])),
        batch_size=draw(st.integers(1, 10)),
        max_iter=draw(st.integers(1, 5)),
        random_state=draw(st.integers(0, 1000)),
    )
    X_test = draw(
        arrays(np.float64, (draw(st.integers(1, 8)), n_features), elements=extreme)
    )
    return X, y, X_test, config


def fit(X, y, config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
        return ANNClassifier(**config).fit(X, y)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_probabilities_are_well_formed_and_agree_with_predict(problem):
    X, y, X_test, config = problem
    try:
        clf = fit(X, y, config)
    except ValueError as exc:
        # A step can overflow on inputs as large as 1e6: that must be reported.
        assert "Training diverged" in str(exc)
        event("diverged")
        return
    event("trained")
    for data in (X, X_test):
        proba = clf.predict_proba(data)
        log_proba = clf.predict_log_proba(data)
        assert np.isfinite(proba).all() and np.isfinite(log_proba).all()
        assert ((proba >= 0) & (proba <= 1)).all()
        predicted = clf.predict(data)
        if y.ndim == 1:
            np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
            np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
        else:
            np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))


RTOL = 1e-9  # how closely predict_proba must agree however the rows are batched


def rounding_bound(clf, rows):
    """Per row, how far rounding alone may move a probability when the batch
    changes the order of the products' sums: a product's forward error is at
    most ``n * eps`` times ``|A| @ |W|`` (Higham, ch. 3), carried through
    every layer (each activation grows no magnitude beyond its input's, and
    a probability moves by at most a quarter of its logit).  Ordinary rows
    get a bound far below ``RTOL``; rows of inputs as large as 1e10 whose
    logits cancel get one as large as rounding makes it."""
    magnitude = np.abs(rows)
    terms = 0
    for W, b in zip(clf.coefs_, clf.intercepts_):
        magnitude = magnitude @ np.abs(W) + np.abs(b)
        terms += W.shape[0] + 1
    eps = np.finfo(clf.coefs_[0].dtype).eps
    return 2 * terms * eps * magnitude.max(axis=1)


def decided(proba, multilabel, bound):
    """Where ``predict`` does not hinge on a tie closer than rounding: rows
    whose two most probable classes differ by more than ``RTOL`` and the rows'
    rounding ``bound`` (multilabel: entries not within them of 0.5).  Classes
    tied in real arithmetic -- as many rows of each at the same input --
    differ only by rounding, which the batch may change."""
    if multilabel:
        return np.abs(proba - 0.5) > 2 * (RTOL + bound[:, np.newaxis])
    top = np.sort(proba, axis=1)
    return top[:, -1] - top[:, -2] > 2 * (RTOL * top[:, -1] + bound)


def assert_close(actual, desired, bound):
    """``actual`` equals ``desired`` within ``RTOL`` or each row's rounding bound."""
    excess = np.abs(actual - desired) - (RTOL * np.abs(desired) + bound[:, None])
    assert (excess <= 0).all(), (actual, desired, bound)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_predictions_do_not_depend_on_the_batch(problem, data):
    X, y, X_test, config = problem
    config["solver"] = "lbfgs"  # never diverges: the property is about predict
    clf = fit(X, y, config)
    rows = np.vstack([X, X_test])
    whole = clf.predict_proba(rows)
    order = data.draw(st.permutations(range(rows.shape[0])))
    cut = data.draw(st.integers(1, rows.shape[0]))
    parts = [clf.predict_proba(rows[order[:cut]])]
    if cut < rows.shape[0]:
        parts.append(clf.predict_proba(rows[order[cut:]]))
    bound = rounding_bound(clf, rows)
    assert_close(np.vstack(parts), whole[order], bound[order])
    single = np.vstack(
        [clf.predict_proba(rows[i : i + 1]) for i in range(rows.shape[0])]
    )
    assert_close(single, whole, bound)
    one_by_one = np.concatenate([clf.predict(row[None]) for row in rows])
    clear = decided(whole, y.ndim == 2, bound)
    if not clear.all():
        event("a tie within rounding")
    np.testing.assert_array_equal(one_by_one[clear], clf.predict(rows)[clear])
