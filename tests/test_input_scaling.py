"""Robust inputs: the estimators' ``input_scaling``.

The scaling's maths against its definition (median, interquartile range,
``z / sqrt(1 + (z / 3) ** 2)``) and against :class:`skann.SmoothClipScaler`,
sample weights as repeated rows, and the parameter: equal to the network
trained on the rows scaled with a clip of 10 to the last bit, off leaving
the network as it was, honoured by ``partial_fit``, ``warm_start``,
``predict``, pickling and ONNX, ``"auto"`` leaving sparse input alone, and
changing what is learned.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _problems import (
    assert_onnx_predicts_as,
    gradient_error_on,
    make_problem,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.utils.estimator_checks import check_estimator

from skann import ANNClassifier, ANNRegressor, SmoothClipScaler
from skann._preprocessing import fit_smooth_clip, smooth_clip, weighted_quantiles

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [ANNClassifier, ANNRegressor]


def data(Estimator, n=120):
    """A heavy-tailed column, a binary one and three plain ones."""
    if Estimator is ANNClassifier:
        X, y = make_classification(n, 5, n_informative=3, random_state=0)
    else:
        X, y = make_regression(n, 5, noise=5.0, random_state=0)
    X[:, 0] = np.exp(2 * X[:, 0])
    X[:, 1] = X[:, 1] > 0
    return X, y


def test_quantiles_are_the_inverted_cdf():
    rng = np.random.RandomState(0)
    values = rng.standard_normal(37)
    levels = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
    expected = np.percentile(values, np.multiply(levels, 100), method="inverted_cdf")
    np.testing.assert_array_equal(weighted_quantiles(values, None, levels), expected)


def test_scaling_matches_its_definition_and_the_scaler():
    X, _ = data(ANNRegressor, n=101)  # odd: the quartiles need no interpolation
    scaling = fit_smooth_clip(X)
    q25, q50, q75 = np.percentile(X[:, 0], [25, 50, 75], method="inverted_cdf")
    assert scaling["center"][0] == q50 and scaling["scale"][0] == q75 - q25
    z = (X[:, 0] - q50) / (q75 - q25)
    np.testing.assert_allclose(
        smooth_clip(X, scaling)[:, 0], z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-15
    )
    plain = [0, 2, 3, 4]  # the binary column is the scaler's exception
    np.testing.assert_allclose(
        smooth_clip(X, scaling)[:, plain],
        SmoothClipScaler().fit_transform(X)[:, plain],
        rtol=1e-12,
        atol=1e-15,
    )
    assert np.abs(smooth_clip(X * 1e6, scaling)[:, plain]).max() <= 3


def test_binary_constant_and_tied_columns():
    X = np.column_stack(
        [
            np.r_[np.zeros(20), np.ones(5)],  # binary: passed through
            np.full(25, 7.0),  # constant: passed through
            np.r_[np.zeros(22), 1.0, 2.0, 4.0],  # quartiles equal: half range
        ]
    )
    scaling = fit_smooth_clip(X)
    np.testing.assert_array_equal(scaling["center"], [0, 0, 0])
    np.testing.assert_array_equal(scaling["scale"], [1, 1, 2])
    np.testing.assert_array_equal(scaling["inverse_clip"], [0, 0, 1 / 3])
    np.testing.assert_array_equal(smooth_clip(X, scaling)[:, :2], X[:, :2])


def test_weights_count_as_repeated_rows():
    X, _ = data(ANNRegressor, n=40)
    counts = np.random.RandomState(1).randint(0, 4, size=len(X))
    weighted = fit_smooth_clip(X, counts.astype(float))
    repeated = fit_smooth_clip(np.repeat(X, counts, axis=0))
    for key in weighted:
        np.testing.assert_array_equal(weighted[key], repeated[key])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dtype_is_kept(dtype):
    X, _ = data(ANNRegressor)
    X = X.astype(dtype)
    assert smooth_clip(X, fit_smooth_clip(X)).dtype == dtype


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_parameter_equals_the_network_on_the_scaled_rows(Estimator):
    X, y = data(Estimator)
    weights = np.random.RandomState(0).uniform(0, 2, size=len(y))
    common = dict(random_state=0, max_iter=20)
    inside = Estimator(input_scaling="smooth_clip", **common)
    inside.fit(X, y, sample_weight=weights)
    scaling = fit_smooth_clip(X, weights, clip=10.0)  # as documented
    outside = Estimator(input_scaling=None, **common)
    outside.fit(smooth_clip(X, scaling), y, sample_weight=weights)
    for a, b in zip(inside.coefs_, outside.coefs_):
        np.testing.assert_array_equal(a, b)
    X_new = X * 3 + 1  # much of it outside the training range
    np.testing.assert_array_equal(
        inside.predict(X_new), outside.predict(smooth_clip(X_new, scaling))
    )
    # "auto" is the smooth clip on dense input.
    auto = Estimator(input_scaling="auto", **common)
    auto.fit(X, y, sample_weight=weights)
    for a, b in zip(auto.coefs_, inside.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_off_leaves_the_network_as_it_was(Estimator):
    X, y = data(Estimator)
    model = Estimator(input_scaling=None, random_state=0, max_iter=10).fit(X, y)
    assert model._scaling is None
    assert model.coefs_[0].shape[0] == X.shape[1]
    dense = Estimator(input_scaling="smooth_clip")
    assert not dense.__sklearn_tags__().input_tags.sparse
    assert Estimator(input_scaling="auto").__sklearn_tags__().input_tags.sparse


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_auto_leaves_sparse_input_alone(Estimator):
    X, y = data(Estimator)
    X[:, 0] = np.log(X[:, 0])  # no outliers: the plain network is fine here
    common = dict(random_state=0, max_iter=5)
    model = Estimator(input_scaling="auto", **common).fit(sp.csr_matrix(X), y)
    assert model._scaling is None
    plain = Estimator(input_scaling=None, **common).fit(X, y)
    for a, b in zip(model.coefs_, plain.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_and_warm_start_continue_on_the_fitted_scaling(Estimator):
    X, y = data(Estimator)
    kwargs = {"classes": np.unique(y)} if Estimator is ANNClassifier else {}
    model = Estimator(input_scaling="auto", random_state=0)
    model.partial_fit(X[:60], y[:60], **kwargs)
    first = {k: v.copy() for k, v in model._scaling.items()}
    model.partial_fit(X[60:] * 10, y[60:])
    for key in first:
        np.testing.assert_array_equal(model._scaling[key], first[key])
    model.set_params(warm_start=True, max_iter=3).fit(X * 10, y)
    for key in first:
        np.testing.assert_array_equal(model._scaling[key], first[key])
    np.testing.assert_array_equal(fit_smooth_clip(X[:60])["center"], first["center"])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_changing_the_scaling_to_continue_is_refused_and_changes_nothing(Estimator):
    X, y = data(Estimator)
    kwargs = {"classes": np.unique(y)} if Estimator is ANNClassifier else {}
    model = Estimator(input_scaling="auto", random_state=0, max_iter=5).fit(X, y)
    before = pickle.dumps(model)
    model.set_params(input_scaling=None)
    with pytest.raises(ValueError, match="Cannot continue training"):
        model.partial_fit(X, y, **kwargs)
    model.set_params(input_scaling="auto")  # on sparse X: the network needs dense
    with pytest.raises(TypeError, match="needs dense X"):
        model.partial_fit(sp.csr_matrix(X), y, **kwargs)
    assert pickle.dumps(model) == before
    plain = Estimator(input_scaling=None, random_state=0, max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="fitted without its inputs"):
        plain.set_params(warm_start=True, input_scaling="smooth_clip").fit(X, y)


def test_gradient_on_the_scaled_inputs_matches_central_differences():
    X, Y, output, _ = make_problem("multiclass", n_samples=9)
    X[:, 0] = np.exp(4 * X[:, 0])
    error = gradient_error_on(smooth_clip(X, fit_smooth_clip(X)), Y, output)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


def test_the_scaling_changes_what_is_learned():
    # A target that levels off, and a few rows far out: without the clip, a
    # prediction further out follows the network's last slope wherever it
    # goes; with it, every input far out looks like the edge of the data.
    rng = np.random.RandomState(0)
    x = rng.standard_normal(400)
    x[:4] = [60.0, 80.0, -70.0, 90.0]
    y = np.clip(x, -2, 2) + 0.1 * rng.standard_normal(400)
    X = x[:, None]
    common = dict(random_state=0, max_iter=300)
    clipped = ANNRegressor(**common).fit(X, y)
    plain = ANNRegressor(input_scaling=None, **common).fit(X, y)
    assert not np.allclose(clipped.coefs_[0], plain.coefs_[0])
    far = np.array([[1e4], [-1e4]])
    assert np.abs(clipped.predict(far)).max() < 5
    assert np.abs(plain.predict(far)).max() > 20


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_and_skops_keep_the_scaling(Estimator, tmp_path):
    X, y = data(Estimator)
    model = Estimator(input_scaling="auto", random_state=0, max_iter=5).fit(X, y)
    loaded = [pickle.loads(pickle.dumps(model))]
    sio = pytest.importorskip("skops.io")
    sio.dump(model, tmp_path / "model.skops")
    cls = type(model)
    trusted = [f"skann.{cls.__module__.split('.')[-1]}.{cls.__name__}"]
    loaded.append(sio.load(tmp_path / "model.skops", trusted=trusted))
    for copy in loaded:
        np.testing.assert_array_equal(copy.predict(X * 5), model.predict(X * 5))


def test_a_model_pickled_before_the_parameter_keeps_its_inputs():
    X, y = data(ANNClassifier)
    model = ANNClassifier(input_scaling=None, random_state=0, max_iter=5).fit(X, y)
    state = model.__getstate__()
    del state["input_scaling"], state["_scaling"]
    old = ANNClassifier.__new__(ANNClassifier)
    old.__setstate__(state)
    assert old.input_scaling is None
    np.testing.assert_array_equal(old.predict_proba(X), model.predict_proba(X))
    old.partial_fit(X, y)  # continues as it was fitted


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_regressor_with_the_scaling_passes_check_estimator():
    check_estimator(ANNRegressor(input_scaling="smooth_clip"))


# Both input encodings, the smooth clip and the piecewise-linear encoding.
ENCODINGS = [
    pytest.param(dict(input_scaling="smooth_clip"), id="smooth_clip"),
    pytest.param(dict(numerical_embedding="ple"), id="ple"),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_input_is_refused_clearly(Estimator, encoding):
    X, y = data(Estimator)
    model = Estimator(**encoding, random_state=0, max_iter=5)
    with pytest.raises(TypeError, match="needs dense X"):
        model.fit(sp.csr_matrix(X), y)
    assert not hasattr(model, "coefs_")
    model.fit(X, y)
    with pytest.raises(TypeError, match="needs dense X"):
        model.predict(sp.csr_matrix(X))
    before = pickle.dumps(model)
    kwargs = {"classes": np.unique(y)} if Estimator is ANNClassifier else {}
    with pytest.raises(TypeError, match="needs dense X"):
        model.partial_fit(sp.csr_matrix(X), y, **kwargs)
    assert pickle.dumps(model) == before


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_onnx_reproduces_the_network_on_its_encoded_inputs(Estimator, encoding, dtype):
    X, y = data(Estimator)
    X = X.astype(dtype)
    model = Estimator(**encoding, random_state=0, max_iter=20).fit(X, y)
    assert_onnx_predicts_as(model, (X * 3 + 1).astype(dtype))  # outside the range too
