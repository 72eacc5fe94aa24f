"""Numerical embeddings: the piecewise-linear encoding of numeric inputs.

The encoding's maths against its definition (TabM's piecewise-linear
encoding), the transformer's contract, and the estimators' parameter
``numerical_embedding="ple"``: the same encoding inside the estimator, equal to
the transformer in a pipeline to the last bit, honoured by ``partial_fit``,
``warm_start``, ``predict``, pickling, skops and ONNX (with the smooth
clip's tests, in ``test_input_scaling.py``), and changing what is learned.
"""

import functools
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _problems import (
    gradient_error_on,
    make_problem,
    onnx_run,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator

from skann import ANNClassifier, ANNRegressor, PiecewiseLinearEncoder
from skann._network import Network
from skann._preprocessing import encode, fit_bins, layout

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# The embedding alone: the regressor takes its inputs as given, as the
# classifier does by default (input_scaling is tested on its own).
ESTIMATORS = [
    pytest.param(ANNClassifier, id="ANNClassifier"),
    pytest.param(
        functools.partial(ANNRegressor, input_scaling=None, numerical_embedding=None),
        id="ANNRegressor",
    ),
]


def reference_encoding(x, edges):
    """TabM's definition, one value and one bin at a time: bins below ``x``
    full, above it empty, its own the fraction covered; the first bin open
    below and the last open above; a single bin not clipped at all."""
    T = len(edges) - 1
    out = []
    for t in range(1, T + 1):
        value = (x - edges[t - 1]) / (edges[t] - edges[t - 1])
        low = -np.inf if t == 1 else 0.0
        high = np.inf if t == T else 1.0
        out.append(min(max(value, low), high))
    return out


@pytest.fixture(scope="module")
def columns():
    """A skewed column, a column with heavy ties, a binary one, a constant
    one and one whose only quantiles are its minimum and maximum."""
    rng = np.random.RandomState(0)
    n = 101
    X = np.column_stack(
        [
            rng.lognormal(size=n),
            rng.randint(0, 4, size=n).astype(float),
            rng.randint(0, 2, size=n).astype(float),
            np.full(n, 3.0),
            np.r_[np.zeros(n - 2), 5.0, 10.0],
        ]
    )
    return X


def data(estimator, n=200, seed=0):
    if estimator is ANNRegressor:
        X, y = make_regression(n, 5, noise=5, random_state=seed)
        return X, y / y.std()
    return make_classification(n, 5, n_informative=3, random_state=seed)


# ------------------------------------------------------------------- maths
def test_encoding_matches_its_definition(columns):
    encoder = PiecewiseLinearEncoder(n_bins=6).fit(columns)
    rng = np.random.RandomState(1)
    lows, highs = columns.min(axis=0), columns.max(axis=0)
    span = highs - lows + 1
    X = rng.uniform(lows - span, highs + span, size=(50, columns.shape[1]))
    Z = encoder.transform(X)
    for i, x in enumerate(X):
        expected = []
        for j, edges in enumerate(encoder.bin_edges_):
            if edges.size == 0:
                expected.append(x[j])  # passed through
            else:
                expected.extend(reference_encoding(x[j], edges))
        np.testing.assert_allclose(Z[i], expected, rtol=1e-12, atol=1e-12)


def test_bins_are_the_distinct_quantiles_of_each_column(columns):
    edges = fit_bins(columns, 6)
    levels = np.linspace(0, 1, 7)
    expected = np.unique(np.quantile(columns[:, 0], levels, method="inverted_cdf"))
    np.testing.assert_array_equal(edges[0], expected)
    assert edges[0].size == 7 and np.all(np.diff(edges[0]) > 0)
    np.testing.assert_array_equal(edges[1], [0, 1, 2, 3])  # ties: fewer bins
    assert edges[2].size == 0 and edges[3].size == 0  # binary, constant
    np.testing.assert_array_equal(edges[4], [0, 10])  # a single bin


def test_binary_and_constant_columns_pass_through(columns):
    encoder = PiecewiseLinearEncoder(n_bins=6).fit(columns)
    names = encoder.get_feature_names_out()
    Z = encoder.transform(columns)
    for j in (2, 3):
        np.testing.assert_array_equal(Z[:, list(names).index(f"x{j}")], columns[:, j])


def test_a_single_bin_is_min_max_scaling_without_clip(columns):
    encoder = PiecewiseLinearEncoder(n_bins=6).fit(columns)
    Z = encoder.transform(np.tile([[-10.0], [5.0], [20.0]], (1, 5)))
    np.testing.assert_array_equal(Z[:, -1], [-1.0, 0.5, 2.0])


def test_exact_on_the_edges(columns):
    # at edge e_t the first t bins are full and the others empty, exactly
    edges = fit_bins(columns[:, :1], 6)[0]
    Z = encode(edges[:, None], layout([edges]))
    np.testing.assert_array_equal(Z, np.tril(np.ones((7, 6)), k=-1))


def test_monotone_piecewise_linear_and_linear_in_x(columns):
    edges = fit_bins(columns[:, :1], 6)[0]
    grid = np.linspace(edges[0] - 3, edges[-1] + 3, 20001)
    Z = encode(grid[:, None], layout([edges]))
    assert np.all(np.diff(Z, axis=0) >= 0)  # each component non-decreasing
    # between two edges (and beyond the outer ones) the encoding is affine
    pieces = np.searchsorted(edges, grid)
    for piece in np.unique(pieces):
        inside = pieces == piece
        inside[1:] &= inside[:-1]  # drop the first point of a piece (a kink)
        g, z = grid[inside], Z[inside]
        slope = np.diff(z, axis=0) / np.diff(g)[:, None]
        np.testing.assert_allclose(slope, slope[:1].repeat(len(slope), 0), atol=1e-6)
    # x itself is a linear function of its encoding, inside and outside the range
    np.testing.assert_allclose(edges[0] + Z @ np.diff(edges), grid, atol=1e-9)


def test_nan_is_encoded_as_nan_in_its_own_outputs_only(columns):
    X = columns.copy()
    X[::7, 0] = np.nan
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    clean = ~np.isnan(X[:, 0])
    np.testing.assert_array_equal(
        encoder.bin_edges_[0], fit_bins(X[clean][:, :1], 4)[0]
    )
    Z = encoder.transform(X)
    first = encoder.bin_edges_[0].size - 1
    assert np.isnan(Z[::7, :first]).all()
    assert not np.isnan(Z[:, first:]).any() and not np.isnan(Z[clean]).any()


def test_weights_count_as_repeated_rows(columns):
    rng = np.random.RandomState(0)
    weights = rng.randint(0, 4, size=columns.shape[0])
    weighted = PiecewiseLinearEncoder(5).fit(columns, sample_weight=weights)
    repeated = PiecewiseLinearEncoder(5).fit(np.repeat(columns, weights, axis=0))
    for a, b in zip(weighted.bin_edges_, repeated.bin_edges_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(columns, dtype):
    Z = PiecewiseLinearEncoder().fit(columns).transform(columns.astype(dtype))
    assert Z.dtype == dtype


def test_feature_names_out(columns):
    encoder = PiecewiseLinearEncoder(n_bins=2).fit(columns[:, [1, 2]])
    names = encoder.get_feature_names_out(["count", "flag"])
    assert names.tolist() == ["count_bin0", "count_bin1", "flag"]


def test_sparse_input_and_bad_n_bins_are_refused(columns):
    with pytest.raises(TypeError, match="dense data is required"):
        PiecewiseLinearEncoder().fit(sp.csr_matrix(columns))
    with pytest.raises(ValueError, match="n_bins"):
        PiecewiseLinearEncoder(n_bins=1).fit(columns)


def test_encoder_passes_check_estimator():
    check_estimator(PiecewiseLinearEncoder())


# -------------------------------------------------------- in the estimators
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_parameter_equals_the_encoder_in_a_pipeline(Estimator):
    X, y = data(Estimator)
    X[:, 0] = np.exp(X[:, 0])  # skewed
    X[:, 1] = X[:, 1] > 0  # binary: passed through
    weights = np.random.RandomState(0).uniform(0, 2, size=len(y))
    common = dict(random_state=0, max_iter=20)
    inside = Estimator(numerical_embedding="ple", n_bins=8, **common)
    inside.fit(X, y, sample_weight=weights)
    pipe = make_pipeline(PiecewiseLinearEncoder(n_bins=8), Estimator(**common))
    name = pipe.steps[-1][0]
    pipe.fit(
        X,
        y,
        piecewiselinearencoder__sample_weight=weights,
        **{f"{name}__sample_weight": weights},
    )
    for a, b in zip(inside.bin_edges_, pipe[0].bin_edges_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(inside.coefs_, pipe[-1].coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(inside.predict(X * 1.5), pipe.predict(X * 1.5))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_is_the_network_on_the_encoded_rows(Estimator):
    X, y = data(Estimator)
    model = Estimator(numerical_embedding="ple", random_state=0, max_iter=10)
    model.fit(X, y)
    assert model.coefs_[0].shape[0] == layout(model.bin_edges_)["feature"].size
    assert model.n_features_in_ == X.shape[1]
    X_new = X * 2 + 1  # much of it outside the training range
    bins = layout(fit_bins(X, model.n_bins))
    net = Network(model._layer_sizes, model._activation, model.out_activation_)
    net.params[:] = model._params
    Z = net.logits(encode(X_new, bins))
    if Estimator is ANNClassifier:
        np.testing.assert_array_equal(model.decision_function(X_new), Z.ravel())
    else:
        expected = Z.ravel() * model.target_scale_ + model.target_mean_
        np.testing.assert_allclose(model.predict(X_new), expected, rtol=1e-14)


def test_off_leaves_the_network_as_it_was():
    X, y = data(ANNClassifier)
    model = ANNClassifier(random_state=0, max_iter=10).fit(X, y)
    assert model.bin_edges_ is None and model._bins is None
    assert model.coefs_[0].shape[0] == X.shape[1]
    assert ANNClassifier().__sklearn_tags__().input_tags.sparse
    assert (
        not ANNClassifier(numerical_embedding="ple")
        .__sklearn_tags__()
        .input_tags.sparse
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_on_binary_columns_the_embedding_is_the_identity_to_the_last_bit(
    Estimator, solver
):
    # every column passes through: the same network as without the embedding
    X, y = data(Estimator)
    X = (X > 0).astype(float)
    common = dict(solver=solver, random_state=0, max_iter=15)
    plain = Estimator(**common).fit(X, y)
    embedded = Estimator(numerical_embedding="ple", **common).fit(X, y)
    assert all(e.size == 0 for e in embedded.bin_edges_)
    np.testing.assert_array_equal(embedded._params, plain._params)
    np.testing.assert_array_equal(embedded.predict(X), plain.predict(X))


def _converse(y):
    return -y if y.dtype.kind == "f" else 1 - y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_and_warm_start_continue_on_the_fitted_bins(Estimator):
    X, y = data(Estimator)
    first = Estimator(numerical_embedding="ple", n_bins=6, random_state=0)
    first.fit(X, y)
    edges = [e.copy() for e in first.bin_edges_]
    shifted = X * 3 + 5  # other quantiles: bins fitted on them would differ
    kwargs = {"classes": np.unique(y)} if Estimator is ANNClassifier else {}
    first.partial_fit(shifted, _converse(y), **kwargs)
    first.set_params(warm_start=True, max_iter=3).fit(shifted, y)
    for a, b in zip(first.bin_edges_, edges):
        np.testing.assert_array_equal(a, b)
    # the first partial_fit call fits the bins on its own rows
    streamed = Estimator(numerical_embedding="ple", n_bins=6, random_state=0)
    streamed.partial_fit(shifted, y, **kwargs)
    for a, b in zip(streamed.bin_edges_, fit_bins(shifted, 6)):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_equals_the_network_on_the_encoded_rows():
    X, y = data(ANNClassifier)
    model = ANNClassifier(numerical_embedding="ple", n_bins=6, random_state=0)
    model.fit(X[:100], y[:100])
    plain = ANNClassifier(random_state=0)
    encoder = PiecewiseLinearEncoder(6).fit(X[:100])
    plain.fit(encoder.transform(X[:100]), y[:100])
    model.partial_fit(X[100:], y[100:])
    plain.partial_fit(encoder.transform(X[100:]), y[100:])
    np.testing.assert_array_equal(model._params, plain._params)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_changing_the_embedding_to_continue_is_refused_and_changes_nothing(
    Estimator,
):
    X, y = data(Estimator)
    model = Estimator(numerical_embedding="ple", n_bins=6, random_state=0)
    model.fit(X, y)
    before = pickle.dumps(model)
    kwargs = {"classes": np.unique(y)} if Estimator is ANNClassifier else {}
    for params in (dict(n_bins=8), dict(numerical_embedding=None)):
        model.set_params(**params)
        with pytest.raises(ValueError, match="Cannot continue training"):
            model.partial_fit(X, y, **kwargs)
        model.set_params(numerical_embedding="ple", n_bins=6)
        assert pickle.dumps(model) == before
    plain = Estimator(random_state=0, max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="without numerical_embedding"):
        plain.set_params(warm_start=True, numerical_embedding="ple").fit(X, y)


def test_gradient_on_the_encoded_inputs_matches_central_differences():
    X, Y, output, _ = make_problem("multiclass", n_samples=9)
    X[:, 0] = np.exp(X[:, 0])
    error = gradient_error_on(encode(X, layout(fit_bins(X, 3))), Y, output)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


def test_the_embedding_changes_what_is_learned():
    # One feature, the positive class an interval of it: a network without
    # hidden nonlinearity is linear in x and cannot tell it; on the encoding
    # it is piecewise linear in x, and can.
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 1, size=(400, 1))
    y = ((x[:, 0] > 0.35) & (x[:, 0] < 0.65)).astype(int)
    common = dict(activation="identity", hidden_size=4, max_iter=300, random_state=0)
    linear = ANNClassifier(**common).fit(x, y)
    encoded = ANNClassifier(numerical_embedding="ple", n_bins=8, **common).fit(x, y)
    assert linear.score(x, y) < 0.75
    assert encoded.score(x, y) > 0.95


def test_callbacks_see_the_network_of_each_epoch():
    callback = pytest.importorskip("sklearn.callback")
    X, y = data(ANNClassifier)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = ANNClassifier(numerical_embedding="ple", max_iter=4, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    epochs = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(epochs) == 4
    assert epochs[-1]["accuracy"] == pytest.approx(clf.score(X, y))


# ------------------------------------------------------------ persistence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_and_skops_keep_the_bins(Estimator, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = data(Estimator)
    model = Estimator(numerical_embedding="ple", random_state=0, max_iter=5)
    model.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    cls = type(model)
    trusted = f"skann.{cls.__module__.split('.')[-1]}.{cls.__name__}"
    assert sio.get_untrusted_types(file=path) == [trusted]
    for loaded in (
        pickle.loads(pickle.dumps(model)),
        sio.load(path, trusted=[trusted]),
    ):
        np.testing.assert_array_equal(loaded.predict(X * 2), model.predict(X * 2))
        for a, b in zip(loaded.bin_edges_, model.bin_edges_):
            np.testing.assert_array_equal(a, b)


def test_skops_loads_the_encoder(columns, tmp_path):
    sio = pytest.importorskip("skops.io")
    encoder = PiecewiseLinearEncoder().fit(columns)
    path = tmp_path / "encoder.skops"
    sio.dump(encoder, path)
    trusted = sio.get_untrusted_types(file=path)
    assert trusted == ["skann._preprocessing.PiecewiseLinearEncoder"]
    loaded = sio.load(path, trusted=trusted)
    np.testing.assert_array_equal(loaded.transform(columns), encoder.transform(columns))


# -------------------------------------------------------------------- ONNX
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_onnx_reproduces_the_encoder(columns, dtype):
    encoder = PiecewiseLinearEncoder(n_bins=6).fit(columns)
    X_new = (columns * 2 - 1).astype(dtype)
    (Z,) = onnx_run(encoder, X_new)
    np.testing.assert_array_equal(Z, encoder.transform(X_new))


def _two_columns(n_rows):
    X, y = make_regression(n_rows, 2, noise=1.0, random_state=0)
    return X, y


@pytest.mark.parametrize("Estimator", [ANNClassifier, ANNRegressor])
def test_auto_embeds_from_ten_rows_per_encoded_input(Estimator):
    # two continuous columns make 16 encoded inputs at n_bins=8: "auto" is
    # "ple" from 160 rows, to the last bit, and None below, to the last bit
    for n_rows, embeds in ((160, True), (159, False)):
        X, y = _two_columns(n_rows)
        y = y > 0 if Estimator is ANNClassifier else y
        common = dict(input_scaling=None, random_state=0, max_iter=5)
        auto = Estimator(numerical_embedding="auto", **common).fit(X, y)
        chosen = "ple" if embeds else None
        same = Estimator(numerical_embedding=chosen, **common).fit(X, y)
        assert (auto.bin_edges_ is not None) == embeds
        np.testing.assert_array_equal(auto._params, same._params)


def test_auto_leaves_sparse_input_as_it_is():
    X, y = _two_columns(400)
    model = ANNRegressor(input_scaling=None, max_iter=5, random_state=0)
    assert model.__sklearn_tags__().input_tags.sparse
    model.fit(sp.csr_matrix(X), y)
    assert model.bin_edges_ is None
    assert ANNRegressor().fit(X, y).bin_edges_ is not None  # dense: encoded


@pytest.mark.parametrize("first_rows, embeds", [(400, True), (100, False)])
def test_auto_continues_on_what_the_first_fit_chose(first_rows, embeds):
    X, y = _two_columns(400)
    model = ANNRegressor(max_iter=5, random_state=0).fit(X[:first_rows], y[:first_rows])
    assert (model.bin_edges_ is not None) == embeds
    width = model.coefs_[0].shape[0]
    model.partial_fit(X[:50], y[:50])  # too few rows for "auto" alone
    model.set_params(warm_start=True).fit(X, y)  # enough rows
    assert (model.bin_edges_ is not None) == embeds
    assert model.coefs_[0].shape[0] == width
