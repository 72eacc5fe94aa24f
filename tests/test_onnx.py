"""ONNX export: onnxruntime reproduces predict_proba and predict.

Skipped only when the ``onnx`` extra (skl2onnx, onnxruntime, onnx) is missing.
"""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

onnx = pytest.importorskip("onnx")
rt = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

import skann.onnx  # noqa: E402,F401  (registers the converter)
from skann import ANNClassifier, ANNRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = list(skann.onnx._ONNX_HIDDEN)  # what the converter claims
DEPTHS = {1: 6, 3: (6, 5, 4)}


def _data(target, labels):
    if target == "multilabel":
        X, Y = make_multilabel_classification(
            n_samples=90, n_features=5, n_classes=3, random_state=0
        )
        return X.astype(np.float64) * 3 + 1, Y
    n_classes = 2 if target == "binary" else 3
    X, y = make_classification(
        n_samples=90,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    X = X * 3 + 1  # not standardised: the Pipeline's scaler has work to do
    if labels == "str":
        return X, np.array(["cat", "dog", "eel"])[y]
    return X, np.array([-3, 7, 12])[y]


def _run(onx, X):
    sess = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return sess.run(None, {sess.get_inputs()[0].name: X})


def _proba_from_zipmap(rows, classes):
    assert isinstance(rows, list) and isinstance(rows[0], dict)
    assert set(rows[0]) == set(classes.tolist())
    return np.array([[row[c] for c in classes.tolist()] for row in rows])


def _check(model, X, zipmap, estimator=None):
    """Convert ``model`` and compare onnxruntime's output with scikit-learn's."""
    estimator = model if estimator is None else estimator
    X32 = X.astype(np.float32)
    onx = skl2onnx.to_onnx(model, X32[:1], options={ANNClassifier: {"zipmap": zipmap}})
    onnx.checker.check_model(onx)
    label, proba = _run(onx, X32)
    expected_proba = model.predict_proba(X32)
    expected_label = model.predict(X32)
    if zipmap:
        proba = _proba_from_zipmap(proba, estimator.classes_)
    assert proba.shape == expected_proba.shape
    np.testing.assert_allclose(proba, expected_proba, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(label, expected_label)
    # The model must have learned something for the comparison to mean much.
    assert np.unique(expected_label).size > 1
    assert expected_proba.std(axis=0).min() > 1e-3
    return onx


CASES = [
    ("binary", "int"),
    ("binary", "str"),
    ("multiclass", "int"),
    ("multiclass", "str"),
    ("multilabel", "int"),
]


@pytest.mark.parametrize("zipmap", [False, True])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", sorted(DEPTHS))
@pytest.mark.parametrize("target, labels", CASES)
def test_onnx_matches_estimator(target, labels, depth, activation, zipmap):
    X, y = _data(target, labels)
    clf = ANNClassifier(
        hidden_size=DEPTHS[depth],
        activation=activation,
        learning_rate=0.1,
        max_iter=150,
        random_state=0,
    ).fit((X - X.mean(0)) / X.std(0), y)
    # Convert the bare estimator on standardised data.
    _check(clf, (X - X.mean(0)) / X.std(0), zipmap)


@pytest.mark.parametrize("zipmap", [False, True])
@pytest.mark.parametrize("depth", sorted(DEPTHS))
@pytest.mark.parametrize("target, labels", CASES)
def test_onnx_pipeline_with_scaler(target, labels, depth, zipmap):
    X, y = _data(target, labels)
    pipe = make_pipeline(
        StandardScaler(),
        ANNClassifier(
            hidden_size=DEPTHS[depth], learning_rate=0.1, max_iter=150, random_state=0
        ),
    ).fit(X, y)
    onx = _check(pipe, X, zipmap, estimator=pipe[-1])
    ops = {node.op_type for node in onx.graph.node}
    assert "Scaler" in ops or "Sub" in ops  # the scaler is part of the graph


def test_onnx_default_options_give_zipmap():
    # Without options, skl2onnx's classifier default (zipmap=True) applies.
    X, y = _data("multiclass", "str")
    clf = ANNClassifier(hidden_size=4, max_iter=20, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(clf, X[:1].astype(np.float32))
    assert "ZipMap" in {node.op_type for node in onx.graph.node}
    label, proba = _run(onx, X.astype(np.float32))
    np.testing.assert_allclose(
        _proba_from_zipmap(proba, clf.classes_),
        clf.predict_proba(X.astype(np.float32)),
        atol=1e-5,
    )
    np.testing.assert_array_equal(label, clf.predict(X.astype(np.float32)))


def test_onnx_double_input_runs_in_double():
    X, y = _data("multiclass", "int")
    clf = ANNClassifier(hidden_size=(5, 4), max_iter=20, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(clf, X[:1], options={ANNClassifier: {"zipmap": False}})
    label, proba = _run(onx, X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_onnx_float32_fitted_model():
    # A model fitted on float32 keeps float32 parameters end to end.
    X, y = _data("binary", "int")
    X32 = X.astype(np.float32)
    clf = ANNClassifier(
        hidden_size=5, learning_rate=0.01, max_iter=20, random_state=0
    ).fit(X32, y)  # (a step large enough to predict both classes in 20 epochs)
    assert clf.coefs_[0].dtype == np.float32
    _check(clf, X32, zipmap=False)


def test_onnx_integral_float_labels_become_int64():
    X, y = _data("multiclass", "int")
    y = y.astype(np.float64)
    clf = ANNClassifier(hidden_size=5, max_iter=20, random_state=0).fit(X, y)
    label, _ = _run(
        skl2onnx.to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False}),
        X.astype(np.float32),
    )
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, clf.predict(X.astype(np.float32)))


def test_onnx_probabilities_stay_in_open_interval():
    # Huge inputs saturate the output (unless the inputs are clipped); the
    # export clips like predict_proba.
    X, y = _data("binary", "int")
    clf = ANNClassifier(
        hidden_size=5,
        activation="identity",
        input_scaling=None,
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    X_big = (X * 1e4).astype(np.float32)
    _, proba = _run(skl2onnx.to_onnx(clf, X_big[:1], options={"zipmap": False}), X_big)
    expected = clf.predict_proba(X_big)
    assert expected.max() == np.float64(1 - np.finfo(np.float64).epsneg)
    assert 0 < proba.min() and proba.max() < 1
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-5)


def test_import_skann_does_not_import_onnx():
    code = (
        "import sys, skann; "
        "print('skl2onnx' in sys.modules, 'skann.onnx' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_without_skl2onnx_register_names_the_extra():
    # skann.onnx stays importable (pytest --doctest-modules imports it), and
    # asking for the converter says what to install.
    code = (
        "import sys; sys.modules['skl2onnx'] = None\n"
        "import skann.onnx\n"
        "try:\n"
        "    skann.onnx.register()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install skl2onnx onnx onnxruntime" in out.stdout


def test_onnx_other_classifier_options():
    X, y = _data("multiclass", "str")
    X32 = X.astype(np.float32)
    clf = ANNClassifier(hidden_size=5, max_iter=50, random_state=0).fit(X, y)
    expected = clf.predict_proba(X32)

    def run(**options):
        onx = skl2onnx.to_onnx(clf, X32[:1], options={ANNClassifier: options})
        return _run(onx, X32)

    # One output per class, named after it.
    label, *columns = run(zipmap="columns")
    np.testing.assert_allclose(np.column_stack(columns), expected, atol=1e-5)
    np.testing.assert_array_equal(label, clf.predict(X32))
    # Class indices instead of the labels.
    label, proba = run(zipmap=False, nocl=True)
    np.testing.assert_array_equal(label, np.argmax(expected, axis=1))
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    # The labels as an extra output.
    label, proba, class_labels = run(zipmap=False, output_class_labels=True)
    np.testing.assert_array_equal(class_labels, clf.classes_)
    np.testing.assert_array_equal(label, clf.predict(X32))


# ------------------------------------------------------------------ regressor
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_regressor_matches_predict(loss, n_outputs, activation):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5)) * 3 + 1
    Y = np.exp(0.3 * X[:, :n_outputs] + 1) * 1000  # positive, far from unit scale
    if loss == "poisson":
        Y = rng.poisson(Y / 1000).astype(float)
    y = Y.ravel() if n_outputs == 1 else Y
    model = make_pipeline(
        StandardScaler(),
        ANNRegressor(
            hidden_size=(6, 5),
            activation=activation,
            loss=loss,
            max_iter=30,
            random_state=0,
        ),
    ).fit(X, y)
    for dtype, rtol in [(np.float32, 1e-4), (np.float64, 1e-12)]:
        onx = skl2onnx.to_onnx(model, X[:1].astype(dtype))
        (got,) = _run(onx, X.astype(dtype))
        assert got.dtype == dtype and got.shape == (80, n_outputs)
        np.testing.assert_allclose(
            got, model.predict(X).reshape(80, -1), rtol=rtol, atol=1e-3 * rtol
        )
