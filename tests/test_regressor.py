"""ANNRegressor: scikit-learn's checks, target scaling, early stopping,
weights, outputs, dtypes, continuing fits, persistence and the callbacks."""

import copy
import re
import warnings

import numpy as np
import pytest
from _problems import every_configuration, house_prices
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_linnerud, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import d2_tweedie_score, r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from skann import ANNRegressor
from skann._held_out import Rows
from skann._training import FitContext

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONFIGURATIONS = [
    ANNRegressor(),
    # The checks' data are not scaled (features up to ~10): a fixed step of
    # 0.01 diverges there on the (unbounded) squared error; "auto" divides
    # the step by the loss's curvature in the layers, which grows with that
    # scale.
    ANNRegressor(solver="gd"),
    ANNRegressor(solver="sgd"),
    ANNRegressor(solver="lbfgs"),
    ANNRegressor(hidden_size=(32, 32)),
    ANNRegressor(activation="tanh"),
    ANNRegressor(loss="poisson"),
    ANNRegressor(standardize_target=False),
]
# Each of them again on the numerical embedding's inputs.
CONFIGURATIONS += [
    clone(estimator).set_params(numerical_embedding="ple")
    for estimator in CONFIGURATIONS
]
# Members in one network.
CONFIGURATIONS += [
    ANNRegressor(n_members=4),
    ANNRegressor(solver="lbfgs", activation="tanh", n_members=2),
    # (logistic units learn too slowly under sgd at (4, 3) to pass the
    # checks, with one member as with three)
    ANNRegressor(solver="sgd", activation="relu", hidden_size=(4, 3), n_members=3),
]
# The number of epochs chosen by cross-validation, on any number of rows.
CONFIGURATIONS += [ANNRegressor(epoch_cv=3), ANNRegressor(solver="sgd", epoch_cv=2)]

# Every configuration a user can pick by solver and activation, at two sizes,
# with every other parameter at its default (so with the inputs' smooth clip).
EVERY_CONFIGURATION = every_configuration(ANNRegressor)


@parametrize_with_checks(CONFIGURATIONS + EVERY_CONFIGURATION)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_check_estimator_passes_whole():
    check_estimator(ANNRegressor())


@pytest.mark.parametrize(
    "solver, base, output_base", [("gd", 0.5, 0.5), ("sgd", 0.03, 1 / 3)]
)
def test_auto_step_of_plain_gradient_solvers_follows_the_curvature(
    solver, base, output_base
):
    # The squared error curves in the output weights as the last hidden
    # layer's outputs square: 1 + mean(|a|^2) at the initial weights (wider
    # and larger ones, a smaller step), and in the hidden layers as the
    # classifier's loss does: the inputs' mean square per column, or twice
    # the length of their mean.  Each share takes its own step; the "auto"
    # step is one over the sum of the two curvatures, each over its step.
    X, y = house_prices(300)
    X = X * 10  # unscaled inputs
    reg = ANNRegressor(
        solver=solver, hidden_size=(8, 64), input_scaling=None, random_state=0
    )
    Y = ((y - y.mean()) / y.std())[:, np.newaxis]
    rng = np.random.RandomState(0)  # what random_state=0 draws the weights from
    net = reg._start_network(Rows(X, Y, y, None), "identity", rng, FitContext())
    output = 1 + np.mean(np.sum(net.forward(X)[-2] ** 2, axis=1))
    hidden = max(np.mean(X**2), 2 * np.linalg.norm(X.mean(axis=0)))  # relu
    reg.fit(X, y)
    step = 1 / (hidden / base + output / output_base)
    assert reg.learning_rate_ == pytest.approx(step, rel=1e-12)
    assert output > 100 and hidden > 10  # far from scaled inputs
    assert reg.score(X, y) > 0.5  # trains, not diverges


def test_auto_step_of_gd_is_stable_on_uncentred_sparse_inputs():
    # Uncentred unscaled inputs (which the smooth clip leaves as they are
    # when sparse) make the hidden layers' curvature grow as the output
    # weights do.  A step set by the output layer's curvature alone sat past
    # gd's stable step there: the fit oscillated, and rounding differences
    # between weighted and repeated rows grew to a thousandth of the
    # predictions.
    rng = np.random.RandomState(42)
    X = sparse.csr_array(rng.rand(15, 30))
    y = rng.randint(0, 3, size=15).astype(float)
    sw = rng.randint(1, 5, size=15)
    repeated = sparse.csr_array(X.toarray().repeat(sw, axis=0))
    for activation in ("identity", "tanh"):
        reg = ANNRegressor(solver="gd", activation=activation, hidden_size=5)
        a = clone(reg).set_params(random_state=0).fit(repeated, y.repeat(sw))
        b = clone(reg).set_params(random_state=0).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)


def test_unscaled_targets_train_well_by_default():
    X, y = house_prices()
    reg = ANNRegressor(hidden_size=32, random_state=0).fit(X[:300], y[:300])
    assert reg.score(X[300:], y[300:]) > 0.9
    # predictions in the targets' units, the network on standardised ones
    assert abs(reg.predict(X[300:]).mean() - y[300:].mean()) < 10_000
    assert reg.target_mean_ == pytest.approx([y[:300].mean()])
    assert reg.target_scale_ == pytest.approx([y[:300].std()])
    # the pitfall it removes: the same network trained on raw targets
    raw = ANNRegressor(hidden_size=32, standardize_target=False, random_state=0)
    assert raw.fit(X[:300], y[:300]).score(X[300:], y[300:]) < 0.5
    mlp = MLPRegressor(hidden_layer_sizes=32, random_state=0)
    assert mlp.fit(X[:300], y[:300]).score(X[300:], y[300:]) < 0.5


def test_standardize_target_false_trains_on_y_itself():
    X, y = house_prices(60)
    reg = ANNRegressor(
        standardize_target=False, input_scaling=None, max_iter=2, random_state=0
    )
    reg.fit(X, y / 1e5)
    np.testing.assert_array_equal(reg.target_mean_, [0.0])
    np.testing.assert_array_equal(reg.target_scale_, [1.0])
    Z = reg._network().logits(X)
    np.testing.assert_array_equal(reg.predict(X), Z.ravel())


def test_sample_weights_enter_the_target_scale():
    X, y = house_prices(50)
    sw = np.arange(50) % 3
    reg = ANNRegressor(max_iter=1, random_state=0).fit(X, y, sample_weight=sw)
    assert reg.target_mean_ == pytest.approx([np.average(y, weights=sw)])
    mean = np.average(y, weights=sw)
    assert reg.target_scale_ == pytest.approx(
        [np.sqrt(np.average((y - mean) ** 2, weights=sw))]
    )


def test_constant_target_gets_scale_one():
    X = np.random.RandomState(0).normal(size=(20, 3))
    reg = ANNRegressor(solver="lbfgs", random_state=0).fit(X, np.full(20, 7.0))
    np.testing.assert_array_equal(reg.target_scale_, [1.0])
    np.testing.assert_allclose(reg.predict(X), 7.0, atol=0.01)


def test_partial_fit_fixes_the_scale_at_the_first_call():
    X, y = house_prices(600)
    reg = ANNRegressor(hidden_size=32, learning_rate=0.01, random_state=0)
    reg.partial_fit(X[:100], y[:100])
    mean, scale = reg.target_mean_.copy(), reg.target_scale_.copy()
    for _ in range(20):
        for start in range(100, 500, 100):
            reg.partial_fit(X[start : start + 100], y[start : start + 100] + 0.0)
    np.testing.assert_array_equal(reg.target_mean_, mean)
    np.testing.assert_array_equal(reg.target_scale_, scale)
    assert reg.score(X[500:], y[500:]) > 0.9


def test_warm_start_keeps_the_scale_its_weights_were_learned_on():
    X, y = house_prices(200)
    reg = ANNRegressor(max_iter=5, random_state=0).fit(X, y)
    mean = reg.target_mean_.copy()
    before = reg.score(X, y)
    reg.set_params(warm_start=True).fit(X, y + 1000)
    np.testing.assert_array_equal(reg.target_mean_, mean)
    assert reg.score(X, y + 1000) > before  # the weights went on learning


def test_early_stopping_scores_r2_and_restores_the_best_weights():
    X, y = load_diabetes(return_X_y=True)
    reg = ANNRegressor(
        hidden_size=64,
        learning_rate=0.01,
        early_stopping=True,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X, y)
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_ < 200
    assert reg.best_validation_score_ == max(scores)
    assert scores.index(max(scores)) < len(scores) - 1  # later epochs were worse
    assert 0.2 < reg.best_validation_score_ <= 1
    assert reg.best_loss_ is None


def test_by_default_keeps_the_best_epoch_only_from_a_large_enough_split():
    # The classifier's rule: 3,000 rows hold out the 300 that "auto" asks for;
    # 2,990 train on every row, as without restore_best.
    X, y = make_regression(3000, 5, noise=10.0, random_state=0)
    common = dict(hidden_size=8, max_iter=3, epoch_cv=None, random_state=0)
    assert ANNRegressor().restore_best == "auto"
    assert ANNRegressor(**common).fit(X, y).validation_scores_ is not None
    small = ANNRegressor(**common).fit(X[:2990], y[:2990])
    plain = ANNRegressor(**common, restore_best=False).fit(X[:2990], y[:2990])
    assert small.validation_scores_ is None
    np.testing.assert_array_equal(small.coefs_[0], plain.coefs_[0])


def test_validation_score_is_r2_of_the_held_out_predictions():
    X, y = house_prices(100)
    reg = ANNRegressor(input_scaling=None, max_iter=3, random_state=0).fit(X, y)
    net = reg._network()
    targets = {"target_mean_": reg.target_mean_, "target_scale_": reg.target_scale_}
    sw = np.linspace(0.5, 2, 100)
    assert reg._validation_score(net, X, y, sw, targets) == pytest.approx(
        r2_score(y, reg.predict(X), sample_weight=sw)
    )


def test_zero_weight_equals_leaving_the_sample_out():
    X, y = house_prices(40)
    sw = np.ones(40)
    sw[::4] = 0
    params = dict(hidden_size=8, solver="gd", learning_rate=0.1, random_state=0)
    weighted = ANNRegressor(**params).fit(X, y, sample_weight=sw)
    dropped = ANNRegressor(**params).fit(X[sw > 0], y[sw > 0])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), rtol=1e-6)


def test_multi_output_targets():
    X, Y = load_linnerud(return_X_y=True)
    model = make_pipeline(
        StandardScaler(), ANNRegressor(hidden_size=16, solver="lbfgs", random_state=0)
    ).fit(X, Y)
    reg = model[-1]
    assert reg.n_outputs_ == 3 and reg.out_activation_ == "identity"
    assert model.predict(X).shape == (20, 3)
    assert reg.target_scale_.shape == (3,)
    assert model.score(X, Y) > 0.5


def test_a_column_target_predicts_1d_with_a_warning():
    X, y = house_prices(30)
    with pytest.warns(Warning, match="column-vector y"):
        reg = ANNRegressor(max_iter=2, random_state=0).fit(X, y[:, None])
    assert reg.predict(X).shape == (30,)


def test_partial_fit_refuses_a_changed_number_of_outputs():
    X, y = house_prices(30)
    reg = ANNRegressor(max_iter=2, random_state=0).fit(X, np.column_stack([y, y]))
    before = copy.deepcopy(vars(reg))
    with pytest.raises(ValueError, match=re.escape("expected 2 output(s)")):
        reg.partial_fit(X, y)
    assert before.keys() == vars(reg).keys()
    np.testing.assert_array_equal(before["_params"], reg._params)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_is_kept(solver):
    X, y = house_prices(80)
    X32 = X.astype(np.float32)
    reg = ANNRegressor(hidden_size=8, solver=solver, max_iter=20, random_state=0)
    reg.fit(X32, y)
    assert reg._params.dtype == np.float32 and reg.coefs_[0].dtype == np.float32
    assert reg.predict(X32).dtype == np.float32
    reg64 = ANNRegressor(hidden_size=8, solver=solver, max_iter=20, random_state=0)
    reg64.fit(X, y)
    np.testing.assert_allclose(reg.predict(X32), reg64.predict(X), rtol=1e-3)


def test_poisson_on_counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    y = rng.poisson(np.exp(0.5 + 0.8 * X[:, 0] - 0.4 * X[:, 1]))
    common = dict(input_scaling=None, random_state=0)  # the losses alone
    reg = ANNRegressor(loss="poisson", **common).fit(X[:400], y[:400])
    assert reg.out_activation_ == "exp" and reg.target_mean_ == [0.0]
    assert reg.target_scale_ == pytest.approx([y[:400].mean()])
    predicted = reg.predict(X[400:])
    assert (predicted > 0).all()
    # on counts, the Poisson deviance of its predictions beats the squared
    # error's (clipped to be positive)
    squared = ANNRegressor(**common).fit(X[:400], y[:400]).predict(X[400:])
    d2 = d2_tweedie_score(y[400:], predicted, power=1)
    assert d2 > 0.7
    assert d2 > d2_tweedie_score(y[400:], np.maximum(squared, 1e-3), power=1) + 0.05


def test_poisson_accepts_several_outputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    Y = rng.poisson(np.exp(X[:, :2]))
    reg = ANNRegressor(hidden_size=8, loss="poisson", max_iter=10, random_state=0)
    assert reg.fit(X, Y).predict(X).shape == (100, 2)


def test_poisson_refuses_negative_targets():
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        ANNRegressor(loss="poisson").fit(np.ones((5, 2)), [1, 2, -1, 0, 3])


def test_extreme_inputs_give_finite_predictions():
    X, y = house_prices(50)
    for loss, target in [("squared_error", y), ("poisson", y / 1e5)]:
        reg = ANNRegressor(hidden_size=(6, 6), loss=loss, max_iter=10, random_state=0)
        reg.fit(X, target)
        assert np.isfinite(reg.predict(np.vstack([X[:5] * 1e30, -X[:5] * 1e30]))).all()


def test_partial_fit_fast_path_validates_like_the_full_path():
    X, y = house_prices(40)
    reg = ANNRegressor(max_iter=2, random_state=0).fit(X, y)
    fast = copy.deepcopy(reg).partial_fit(X, y)  # plain arrays: no validate_data
    full = copy.deepcopy(reg).partial_fit(X.tolist(), y.tolist())
    np.testing.assert_array_equal(fast._params, full._params)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        reg.partial_fit(X, y_nan)


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = house_prices(50)
    ANNRegressor(max_iter=3, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("Iteration 1, loss = ")
    assert lines[-1].startswith("Reached max_iter=3 epochs before converging")


def test_score_is_r2():
    X, y = house_prices(60)
    reg = ANNRegressor(max_iter=5, random_state=0).fit(X, y)
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)))


def test_lbfgs_has_no_partial_fit():
    assert not hasattr(ANNRegressor(solver="lbfgs"), "partial_fit")


def test_skops_loads_it_trusting_only_annregressor(tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = house_prices(60)
    reg = ANNRegressor(hidden_size=(5, 4), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "reg.skops"
    sio.dump(reg, path)
    assert sio.get_untrusted_types(file=path) == ["skann._regressor.ANNRegressor"]
    loaded = sio.load(path, trusted=["skann._regressor.ANNRegressor"])
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    loaded.partial_fit(X, y)
    reg.partial_fit(X, y)
    np.testing.assert_array_equal(loaded._params, reg._params)


def test_callbacks_see_the_regressor():
    callback = pytest.importorskip("sklearn.callback")
    X, y = house_prices(100)
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = ANNRegressor(hidden_size=8, max_iter=4, learning_rate=0.01, random_state=0)
    reg.set_callbacks(monitor).fit(X, y)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(epochs) == 4
    assert epochs[-1]["r2"] == pytest.approx(reg.score(X, y))


def test_warnings_are_the_classifiers():
    X, y = house_prices(30)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        ANNRegressor(max_iter=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ANNRegressor(max_iter=1).partial_fit(X, y)
