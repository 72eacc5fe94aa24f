"""ANNClassifier in the workflows users build: inputs, labels, weights, pipelines,
grid search, persistence and incremental learning."""

import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skann import ANNClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


def test_grid_search_over_learning_rate_and_hidden_size_in_a_pipeline(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("ann", ANNClassifier(max_iter=30, random_state=0)),
        ]
    )
    grid = {"ann__learning_rate": [1e-3, 1e-2], "ann__hidden_size": [16, (16, 16)]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8  # 30 epochs; chance is 0.1
    assert search.best_estimator_.named_steps["ann"].n_iter_ == 30


def test_joblib_round_trip_gives_identical_probabilities(digits, tmp_path):
    X, y = digits
    clf = ANNClassifier(hidden_size=(20, 10), max_iter=20, random_state=0).fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # The views are rebuilt on load: they share memory with the flat buffer again.
    assert all(np.shares_memory(W, loaded._params) for W in loaded.coefs_)
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(loaded._params, clf._params)


def test_coefs_are_views_of_one_flat_buffer_shaped_like_mlpclassifier(digits):
    X, y = digits
    clf = ANNClassifier(hidden_size=(20, 10), max_iter=2, random_state=0).fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(64, 20), (20, 10), (10, 10)]
    assert [b.shape for b in clf.intercepts_] == [(20,), (10,), (10,)]
    assert (
        clf.n_layers_ == 4 and clf.n_outputs_ == 10 and clf.out_activation_ == "softmax"
    )
    clf.coefs_[0][0, 0] = 123.0
    assert 123.0 in clf._params


def test_same_random_state_gives_bit_identical_weights(digits):
    X, y = digits
    a = ANNClassifier(max_iter=5, random_state=7).fit(X, y)
    b = ANNClassifier(max_iter=5, random_state=7).fit(X, y)
    c = ANNClassifier(max_iter=5, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a._params, b._params)
    assert not np.array_equal(a._params, c._params)


def test_string_labels_binary_and_multiclass():
    X, y = make_classification(200, 6, n_informative=4, n_classes=3, random_state=0)
    names = np.array(["cat", "dog", "emu"])[y]
    clf = ANNClassifier(solver="lbfgs", random_state=0).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= set(names) and clf.score(X, names) > 0.8
    binary = np.where(y == 0, "no", "yes")
    clf = ANNClassifier(solver="lbfgs", random_state=0).fit(X, binary)
    assert clf.decision_function(X).shape == (200,)
    assert clf.predict_proba(X).shape == (200, 2)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"


def test_multilabel_targets():
    X, Y = make_multilabel_classification(200, 10, n_classes=4, random_state=0)
    clf = ANNClassifier(hidden_size=32, solver="lbfgs", random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape and set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert clf.score(X, Y) > 0.5  # subset accuracy


def test_float32_is_kept_end_to_end():
    X, y = make_classification(300, 8, random_state=0)
    clf = ANNClassifier(max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert clf._params.dtype == np.float32
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    clf.partial_fit(X, y)  # float64 input is cast to the model's dtype
    assert clf._params.dtype == np.float32
    clf64 = ANNClassifier(max_iter=5, random_state=0).fit(X, y)
    assert clf64._params.dtype == np.float64


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_equals_dense(fmt):
    X, y = make_classification(150, 20, random_state=0)
    X[np.abs(X) < 1] = 0
    dense = ANNClassifier(
        hidden_size=10, solver="lbfgs", max_iter=50, random_state=0
    ).fit(X, y)
    sparse = ANNClassifier(
        hidden_size=10, solver="lbfgs", max_iter=50, random_state=0
    ).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse._params, dense._params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)),
        dense.predict_proba(X),
        rtol=1e-6,
        atol=1e-9,
    )


def test_pandas_dataframe_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(100, 3, n_informative=2, n_redundant=0, random_state=0)
    df = pd.DataFrame(X, columns=["age", "height", "weight"])
    clf = ANNClassifier(max_iter=5, random_state=0).fit(df, pd.Series(y))
    assert list(clf.feature_names_in_) == ["age", "height", "weight"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_text_columns_get_a_pointer_to_the_recipe_that_encodes_them():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": list("rgbr")})
    y = [0, 1, 0, 1]
    recipe = r"could not convert string to float: 'r'\. .*OneHotEncoder.*"
    recipe += "'Categorical and text columns' in skann's tuning guide"
    with pytest.raises(ValueError, match=recipe):
        ANNClassifier().fit(X, y)
    with pytest.raises(ValueError, match=recipe):  # categories too
        ANNClassifier().fit(X.astype({"colour": "category"}), y)
    fitted = ANNClassifier(max_iter=2).fit(X[["size"]].assign(c=0.0), y)
    with pytest.raises(ValueError, match=recipe):  # and at predict time
        fitted.predict(X.rename(columns={"colour": "c"}))


def test_class_weight_equals_the_matching_sample_weight():
    X, y = make_classification(120, 5, weights=[0.8], random_state=0)
    for class_weight in ["balanced", {0: 1.0, 1: 4.0}]:
        a = ANNClassifier(
            solver="lbfgs", class_weight=class_weight, random_state=0
        ).fit(X, y)
        b = ANNClassifier(solver="lbfgs", random_state=0).fit(
            X, y, sample_weight=compute_sample_weight(class_weight, y)
        )
        np.testing.assert_allclose(a._params, b._params, rtol=1e-6, atol=1e-9)


def test_balanced_class_weight_of_multilabel_targets_is_scikit_learns():
    # Each label's positives and negatives balanced, a sample's weight the
    # product over its labels: compute_sample_weight's multi-output meaning.
    X, Y = make_multilabel_classification(150, 5, n_classes=4, random_state=0)
    balanced = compute_sample_weight("balanced", Y)
    assert balanced.std() > 0.1  # the labels are unbalanced
    a = ANNClassifier(solver="lbfgs", class_weight="balanced", random_state=0)
    b = ANNClassifier(solver="lbfgs", random_state=0)
    a.fit(X, Y)
    b.fit(X, Y, sample_weight=balanced)
    np.testing.assert_allclose(a._params, b._params, rtol=1e-6, atol=1e-9)


def test_a_class_weight_dict_with_multilabel_targets_is_refused():
    X, Y = make_multilabel_classification(40, 5, n_classes=3, random_state=0)
    clf = ANNClassifier(class_weight={0: 1.0, 1: 2.0})
    with pytest.raises(ValueError, match="multilabel.*'balanced' or sample_weight"):
        clf.fit(X, Y)
    assert not hasattr(clf, "n_features_in_")


def test_balanced_class_weight_improves_the_minority_class():
    X, y = make_classification(
        600, 5, weights=[0.95], flip_y=0, class_sep=0.5, random_state=1
    )
    plain = ANNClassifier(hidden_size=8, max_iter=100, random_state=0).fit(X, y)
    balanced = ANNClassifier(
        hidden_size=8, max_iter=100, class_weight="balanced", random_state=0
    ).fit(X, y)
    recall = lambda clf: np.mean(clf.predict(X[y == 1]) == 1)  # noqa: E731
    assert recall(balanced) > recall(plain)


def test_partial_fit_runs_one_epoch_and_carries_optimizer_state(digits):
    X, y = digits
    clf = ANNClassifier(hidden_size=16, learning_rate=0.01, random_state=0)
    clf.partial_fit(X[:100], y[:100], classes=np.arange(10))
    assert clf.n_iter_ == 1 and clf.t_ == 100 and len(clf.loss_curve_) == 1
    steps = clf._optimizer_state["t"]
    assert steps == 1  # one minibatch of 100 (batch_size="auto" is min(200, n))
    for start in range(100, 600, 100):
        clf.partial_fit(X[start : start + 100], y[start : start + 100])
    assert clf.n_iter_ == 6 and clf.t_ == 600 and clf._optimizer_state["t"] == 6
    for _ in range(20):
        clf.partial_fit(X, y)
    assert clf.score(X, y) > 0.9


def test_partial_fit_with_balanced_class_weight_uses_running_counts():
    X, y = make_classification(400, 5, weights=[0.9], random_state=0)
    clf = ANNClassifier(class_weight="balanced", random_state=0)
    clf.partial_fit(X[:200], y[:200], classes=[0, 1])
    clf.partial_fit(X[200:], y[200:])
    counts = np.bincount(y)
    np.testing.assert_allclose(clf._class_counts, [[counts[0], counts[1]]])


def test_lbfgs_has_no_partial_fit():
    clf = ANNClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError) as excinfo:
        clf.partial_fit([[0.0]], [0], classes=[0, 1])
    assert "solver='lbfgs'" in str(excinfo.value.__cause__)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
def test_every_solver_learns_digits(digits, solver):
    X, y = digits
    lr = {"gd": 0.5, "sgd": 0.05, "adam": 0.01, "lbfgs": 0.001}[solver]
    clf = ANNClassifier(
        hidden_size=32, solver=solver, learning_rate=lr, max_iter=100, random_state=0
    ).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert (
        clf.n_iter_ >= 1 and clf.t_ >= X.shape[0] and clf.loss_ == clf.loss_curve_[-1]
    )
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_convergence_warning_when_max_iter_is_reached(digits):
    X, y = digits
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        ANNClassifier(max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ANNClassifier(max_iter=500, tol=1e-2, random_state=0).fit(X, y)


def test_fast_paths_give_the_validated_paths_results(digits):
    # Plain float arrays skip validate_data in predict and partial_fit; lists,
    # other dtypes and memory layouts take the full path. Both must agree.
    X, y = digits
    a = ANNClassifier(hidden_size=16, random_state=0)
    b = ANNClassifier(hidden_size=16, random_state=0)
    a.partial_fit(X[:50], y[:50], classes=np.arange(10))
    b.partial_fit(X[:50].tolist(), y[:50].tolist(), classes=list(range(10)))
    for start in range(50, 300, 50):
        a.partial_fit(X[start : start + 50], y[start : start + 50])
        b.partial_fit(X[start : start + 50].tolist(), y[start : start + 50].tolist())
    np.testing.assert_array_equal(a._params, b._params)
    expected = a.predict_proba(X[:5])
    for variant in (X[:5].tolist(), np.asfortranarray(X[:5])):
        np.testing.assert_allclose(a.predict_proba(variant), expected, rtol=1e-12)
    counts = np.rint(X[:5] * 16)  # digits are integers 0..16
    np.testing.assert_allclose(
        a.predict_proba(counts.astype(np.int64)), a.predict_proba(counts), rtol=1e-12
    )
    np.testing.assert_array_equal(a.predict(X[:1]), a.predict(X[:1].tolist()))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_fast_path_still_rejects_bad_rows(digits, method):
    X, y = digits
    clf = ANNClassifier(hidden_size=8, max_iter=2, random_state=0).fit(X, y)
    bad = X[:2].copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(clf, method)(bad)
    bad[1, 3] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        getattr(clf, method)(bad)
    with pytest.raises(ValueError, match="X has 63 features"):
        getattr(clf, method)(X[:2, :63])
    with pytest.raises(ValueError, match="0 sample"):
        getattr(clf, method)(X[:0])


def test_partial_fit_fast_path_still_rejects_unknown_labels(digits):
    X, y = digits
    clf = ANNClassifier(hidden_size=8, random_state=0)
    clf.partial_fit(X[:50], y[:50] % 3, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        clf.partial_fit(X[:1], np.array([7]))
    with pytest.raises(ValueError, match="Input y contains NaN"):
        clf.partial_fit(X[:2], np.array([0.0, np.nan]))
