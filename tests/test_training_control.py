"""Early stopping, learning-rate schedules, warm start, progress reports."""

import numpy as np
import pytest
from _problems import capture_validation_split
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier, ANNRegressor
from skann._base import resolve_auto
from skann._held_out import Rows
from skann._training import FitContext

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def noisy():
    # Few, noisy samples and a large step: the validation score peaks, then falls.
    return make_classification(300, 20, n_informative=4, flip_y=0.3, random_state=0)


def test_early_stopping_restores_the_best_weights(noisy, monkeypatch):
    X, y = noisy
    split = capture_validation_split(monkeypatch)
    clf = ANNClassifier(
        hidden_size=64,
        learning_rate=0.1,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=300,
        random_state=0,
        weight_init="he",  # a start from which the score peaks, then falls
    ).fit(X, y)
    scores = clf.validation_scores_
    assert clf.best_validation_score_ == max(scores)
    assert scores[-1] < clf.best_validation_score_  # the last epoch was worse...
    # ...and the weights we kept are those of the best epoch, not the last one.
    assert clf.score(split["X_val"], split["y_val"]) == clf.best_validation_score_
    assert len(scores) == clf.n_iter_ < 300
    assert clf.best_loss_ is None
    assert split["X_val"].shape[0] == 30 and split["stratify"] is not None


def test_early_stopping_validation_score_is_weighted(noisy, monkeypatch):
    X, y = noisy
    sample_weight = np.where(y == 1, 5.0, 1.0)
    clf = ANNClassifier(
        hidden_size=16,
        early_stopping=True,
        max_iter=20,
        class_weight={0: 1, 1: 3},
        random_state=0,
    )
    split = capture_validation_split(monkeypatch)
    clf.fit(X, y, sample_weight=sample_weight)
    y_val = split["y_val"]
    weights = np.where(y_val == 1, 5.0 * 3, 1.0)
    best = clf.score(split["X_val"], y_val, sample_weight=weights)
    assert best == pytest.approx(clf.best_validation_score_)


def test_early_stopping_on_tiny_data_explains_itself():
    X = np.arange(4, dtype=float).reshape(2, 2)
    with pytest.raises(
        ValueError, match="early_stopping=True cannot hold out.*train set"
    ):
        ANNClassifier(early_stopping=True, validation_fraction=0.9).fit(X, [0, 1])


def test_early_stopping_falls_back_to_an_unstratified_split(monkeypatch):
    X, y = make_classification(40, 4, random_state=0)
    y[0] = 2  # a class with a single member cannot be stratified
    split = capture_validation_split(monkeypatch)
    ANNClassifier(early_stopping=True, validation_fraction=0.25, max_iter=3).fit(X, y)
    assert split["stratify"] is None


def test_invscaling_schedule_decays_with_samples_seen():
    X, y = make_classification(100, 5, random_state=0)
    clf = ANNClassifier(
        solver="sgd",
        learning_rate=0.1,
        learning_rate_schedule="invscaling",
        power_t=0.5,
        max_iter=7,
        tol=0,
        random_state=0,
    ).fit(X, y)
    assert clf._optimizer_state["learning_rate"] == pytest.approx(
        0.1 / (clf.t_ + 1) ** 0.5
    )


def test_adaptive_schedule_divides_by_five_on_a_plateau():
    X, y = make_classification(100, 5, random_state=0)
    common = dict(
        solver="sgd",
        epoch_cv=None,  # the schedule alone chooses when to slow down
        learning_rate=0.1,
        tol=0.5,
        n_iter_no_change=2,
        max_iter=30,
        random_state=0,
    )
    constant = ANNClassifier(**common).fit(X, y)
    adaptive = ANNClassifier(learning_rate_schedule="adaptive", **common).fit(X, y)
    assert constant.n_iter_ == 4  # stops at the first plateau (count > 2)
    lr = adaptive._optimizer_state["learning_rate"]
    divisions = np.log(0.1 / lr) / np.log(5)
    assert divisions >= 1 and divisions == pytest.approx(round(divisions))
    assert adaptive.n_iter_ > constant.n_iter_


def test_warm_start_continues_from_the_current_weights():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = ANNClassifier(hidden_size=16, max_iter=5, random_state=0).fit(X, y)
    fresh_first_loss = clf.loss_curve_[0]
    last_loss = clf.loss_
    clf.set_params(warm_start=True).fit(X, y)
    # n_iter_ counts this fit's epochs, as MLPClassifier; the curve goes on
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 10
    assert clf.loss_curve_[5] < fresh_first_loss
    assert abs(clf.loss_curve_[5] - last_loss) < abs(fresh_first_loss - last_loss)
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.n_iter_ == 5


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = make_classification(100, 5, random_state=0)
    clf = ANNClassifier(max_iter=4, verbose=1, early_stopping=True, random_state=0).fit(
        X, y
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == clf.n_iter_ + 1 == 5  # and a closing line
    assert lines[0].startswith("Iteration 1, loss = ")  # as MLPClassifier
    assert "validation score = " in lines[-2] and lines[-2].endswith(" s")
    best = int(np.argmax(clf.validation_scores_)) + 1
    assert lines[-1] == (
        "Reached max_iter=4 epochs before converging: stopped after epoch 4, "
        f"keeping the weights of epoch {best}, the best on the held-out rows "
        f"(validation score {clf.best_validation_score_:.6f})."
    )


@pytest.mark.parametrize(
    "params, closing",
    [
        (
            {"tol": 1.0, "n_iter_no_change": 2},
            "Training loss did not improve more than tol=1 for 2 consecutive "
            "epochs: stopped after epoch 4, keeping the weights of that last epoch.",
        ),
        (
            {"solver": "lbfgs", "max_iter": 3},
            "L-BFGS stopped after 3 iterations (STOP: TOTAL NO. OF ITERATIONS "
            "REACHED LIMIT), keeping the weights of the last one.",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_ends_with_why_training_stopped(capsys, params, closing):
    X, y = make_classification(100, 5, random_state=0)
    ANNClassifier(verbose=1, random_state=0, **params).fit(X, y)
    assert capsys.readouterr().out.strip().splitlines()[-1] == closing


def test_partial_fit_prints_no_closing_line(capsys):
    # one epoch per call: nothing decides to stop it
    X, y = make_classification(100, 5, random_state=0)
    ANNClassifier(verbose=1, random_state=0).partial_fit(X, y, classes=[0, 1])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Iteration 1, loss = ")


def _fits_that_warn():
    X, y = make_classification(60, 4, random_state=0)
    column = y[:, np.newaxis].astype(float)
    return {
        "max_iter": (
            ConvergenceWarning,
            lambda: ANNClassifier(max_iter=2, random_state=0).fit(X, y),
        ),
        "lbfgs": (
            ConvergenceWarning,
            lambda: ANNClassifier(solver="lbfgs", max_iter=2).fit(X, y),
        ),
        "regressor": (
            ConvergenceWarning,
            lambda: ANNRegressor(max_iter=2, random_state=0).fit(X, y),
        ),
        "batch_size": (
            UserWarning,
            lambda: ANNClassifier(batch_size=100).partial_fit(X, y, [0, 1]),
        ),
        "column y": (
            DataConversionWarning,
            lambda: ANNRegressor(max_iter=2).fit(X, column),
        ),
        "pipeline": (
            ConvergenceWarning,
            lambda: make_pipeline(StandardScaler(), ANNClassifier(max_iter=2)).fit(
                X, y
            ),
        ),
    }


@pytest.mark.parametrize("case", list(_fits_that_warn()))
def test_warnings_point_at_the_line_that_called_fit(case):
    # not at skann's own code, nor at the Pipeline that called fit for us
    category, fit = _fits_that_warn()[case]
    with pytest.warns(category) as record:
        fit()
    assert {w.filename for w in record} == {__file__}


def test_quiet_by_default(capsys):
    X, y = make_classification(100, 5, random_state=0)
    ANNClassifier(max_iter=3).fit(X, y)
    assert capsys.readouterr().out == ""


def test_set_callbacks_is_absent_before_scikit_learn_1_9():
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        assert not hasattr(ANNClassifier(), "set_callbacks")
    else:
        assert hasattr(ANNClassifier(), "set_callbacks")


# ------------------------------------------------------------ scratch memory
def test_partial_fit_keeps_one_scratch_that_copies_do_not_share():
    import copy
    import pickle

    from sklearn.base import clone

    X, y = make_classification(100, 8, random_state=0)
    clf = ANNClassifier(hidden_size=16, random_state=0)
    clf.partial_fit(X[:10], y[:10], classes=[0, 1])
    scratch = clf._scratch
    clf.partial_fit(X[10:20], y[10:20])
    assert clf._scratch is scratch  # reused across calls
    for other in (copy.copy(clf), copy.deepcopy(clf), pickle.loads(pickle.dumps(clf))):
        assert "_scratch" not in vars(other)
        np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    assert "_scratch" not in vars(clone(clf))
    clf.fit(X, y)  # fit starts afresh and keeps nothing
    assert "_scratch" not in vars(clf)


def test_partial_fit_drops_a_large_scratch():
    X, y = make_classification(3000, 50, random_state=0)
    clf = ANNClassifier(hidden_size=64, solver="gd", random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])  # a full batch of 3000 rows
    assert "_scratch" not in vars(clf)


def test_clones_streaming_in_parallel_threads_match_a_sequential_run():
    import threading

    from sklearn.base import clone

    X, y = make_classification(400, 20, random_state=0)
    models = [
        ANNClassifier(hidden_size=hidden, random_state=0) for hidden in (8, 8, 32, 32)
    ]

    def stream(model):
        for start in range(0, 400, 10):
            model.partial_fit(X[start : start + 10], y[start : start + 10], [0, 1])
        return model

    expected = [stream(clone(model))._params for model in models]
    threads = [threading.Thread(target=stream, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for model, params in zip(models, expected):
        np.testing.assert_array_equal(model._params, params)


# ------------------------------------------------------ defaults per solver
def test_auto_learning_rate_resolves_per_solver_and_is_shown():
    X, y = make_classification(60, 4, random_state=0)
    X = StandardScaler().fit_transform(X)
    rates = {}
    for solver in ("gd", "sgd", "adam", "lbfgs"):
        clf = ANNClassifier(hidden_size=3, solver=solver, max_iter=2, random_state=0)
        rates[solver] = clf.fit(X, y).learning_rate_
    # standardised inputs: each solver's base step; Adam's grows as the
    # square root of how much narrower than 100 units the last hidden layer is
    narrow = np.sqrt(100 / 3)
    assert rates == {"gd": 0.5, "sgd": 0.03, "adam": 0.001 * narrow, "lbfgs": None}
    logistic = ANNClassifier(hidden_size=3, activation="logistic", max_iter=2)
    assert logistic.fit(X, y).learning_rate_ == 0.01 * narrow  # deep ones learn slowly
    wide = ANNClassifier(hidden_size=(3, 100), max_iter=2).fit(X, y)
    assert wide.learning_rate_ == 0.001
    assert ANNClassifier().learning_rate == "auto"  # get_params shows the choice
    explicit = ANNClassifier(learning_rate=0.2, solver="sgd", max_iter=2).fit(X, y)
    assert explicit.learning_rate_ == 0.2


@pytest.mark.parametrize(
    "solver, shrinks", [("gd", True), ("sgd", True), ("adam", False)]
)
def test_auto_learning_rate_of_plain_gradient_steps_follows_the_input_scale(
    solver, shrinks
):
    # Raw features of size ~100 (mean square ~1e4): gd and sgd take a step
    # 1e4 times smaller and train instead of diverging; Adam's steps are
    # normalised per weight, so its default does not depend on the scale.
    X, y = make_classification(100, 2, n_redundant=0, random_state=0)
    X = StandardScaler().fit_transform(X)
    raw = X + 100
    common = dict(solver=solver, activation="identity", hidden_size=(4, 3))
    scaled_rate = ANNClassifier(**common, random_state=0).fit(X, y).learning_rate_
    clf = ANNClassifier(**common, random_state=0).fit(raw, y)
    mean_square = np.mean(raw**2)
    expected = scaled_rate / mean_square if shrinks else scaled_rate
    assert clf.learning_rate_ == pytest.approx(expected)
    assert np.isfinite(clf.loss_)


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_auto_step_of_plain_gradient_solvers_sees_the_activation_slope(solver):
    # Logistic units pass a change of their input on at a quarter of its size
    # at most, so the loss curves sixteen times less in the first layer's
    # weights than through relu, tanh or identity units (slope 1 at 0).
    X, y = make_classification(100, 4, random_state=0)
    X = StandardScaler().fit_transform(X) * 10  # centred, mean square 100
    rates = {
        activation: ANNClassifier(
            solver=solver, activation=activation, max_iter=1, random_state=0
        )
        .fit(X, y)
        .learning_rate_
        for activation in ["identity", "relu", "tanh", "logistic"]
    }
    base = resolve_auto(solver, "learning_rate", "auto", X / 10, "relu")
    for activation in ["identity", "relu", "tanh"]:
        assert rates[activation] == pytest.approx(base / np.mean(X**2), rel=1e-12)
    assert rates["logistic"] == pytest.approx(16 * rates["relu"], rel=1e-12)


def test_auto_step_of_plain_gradient_solvers_shrinks_with_the_inputs_mean():
    # Pixel intensities in [0, 1]: a mean square below 1, but every row far
    # from the origin in the same direction.  The step shrinks with twice the
    # length of the mean; the step the mean square alone gave (the step of
    # centred inputs) diverges or learns less, seed after seed.
    X, y = load_digits(return_X_y=True)
    X, y = X[:500] / 16, y[:500]
    assert np.mean(X**2) < 1
    common = dict(solver="gd", activation="identity", hidden_size=(4, 3))
    centred = resolve_auto("gd", "learning_rate", "auto", X - X.mean(axis=0), "relu")
    for seed in range(5):
        auto = ANNClassifier(**common, random_state=seed).fit(X, y)
        length = np.linalg.norm(X.mean(axis=0))
        assert auto.learning_rate_ == pytest.approx(centred / (2 * length))
        try:
            large = ANNClassifier(**common, learning_rate=centred, random_state=seed)
            large_loss = large.fit(X, y).loss_
        except ValueError as exc:
            assert "diverged" in str(exc)
            large_loss = np.inf
        assert auto.loss_ < large_loss


@pytest.mark.parametrize("embedding", [None, "ple"])
def test_auto_step_of_weighted_rows_equals_that_of_repeated_rows(embedding):
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 3, size=(30, 4))  # not centred: the mean counts
    y = rng.randint(0, 2, 30)
    weights = rng.randint(0, 4, 30)
    common = dict(solver="gd", numerical_embedding=embedding, max_iter=1)
    weighted = ANNClassifier(**common).fit(X, y, sample_weight=weights)
    repeated = ANNClassifier(**common).fit(X.repeat(weights, axis=0), y.repeat(weights))
    assert weighted.learning_rate_ < 0.5 * resolve_auto(
        "gd", "learning_rate", "auto", X - X.mean(axis=0), "relu"
    )
    assert weighted.learning_rate_ == pytest.approx(repeated.learning_rate_, rel=1e-12)


def test_auto_learning_rate_follows_set_params_in_partial_fit():
    X, y = make_classification(60, 4, random_state=0)
    sgd_auto = resolve_auto("sgd", "learning_rate", "auto", X, "relu")
    clf = ANNClassifier(hidden_size=3, solver="sgd", random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    assert clf._optimizer_state["learning_rate"] == clf.learning_rate_ == sgd_auto
    # resolved once: a later batch of another scale keeps the step
    clf.partial_fit(X * 10, y)
    assert clf.learning_rate_ == sgd_auto
    clf.set_params(learning_rate=0.002).partial_fit(X, y)
    assert clf.learning_rate_ == clf._optimizer_state["learning_rate"] == 0.002
    clf.set_params(learning_rate="auto").partial_fit(X, y)
    assert clf.learning_rate_ == sgd_auto
    # another solver starts its own state, at its own default step
    clf.set_params(solver="adam").partial_fit(X, y)
    adam_auto = 0.001 * np.sqrt(100 / 3)
    assert clf._optimizer_state["learning_rate"] == clf.learning_rate_ == adam_auto
    assert clf.n_iter_ == 5


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
def test_untrained_network_predicts_the_weighted_class_prior(solver):
    # Output weights start at zero and biases at the log prior: the network
    # predicts the (weighted) class frequencies, whatever the input scale.
    X, y = make_classification(90, 5, n_classes=3, n_informative=3, random_state=0)
    X = X * 1000
    sample_weight = np.where(y == 0, 3.0, 1.0)
    clf = ANNClassifier(hidden_size=4, solver=solver, random_state=0)
    net = clf._start_network  # the network fit would start from
    Y = np.eye(3)[y]
    rows = Rows(X, Y, y, sample_weight)
    start = net(rows, "softmax", np.random.RandomState(0), FitContext())
    proba = np.exp(start.logits(X))
    proba /= proba.sum(axis=1, keepdims=True)
    prior = np.bincount(y, sample_weight) / sample_weight.sum()
    np.testing.assert_allclose(proba, np.tile(prior, (90, 1)), rtol=1e-9)
    assert np.abs(start.coefs[0]).max() > 0  # hidden layers are random


def test_lbfgs_stops_when_the_loss_stalls_for_n_iter_no_change_iterations():
    X, y = make_classification(300, 20, n_informative=4, flip_y=0.3, random_state=0)
    common = dict(solver="lbfgs", hidden_size=4, alpha=1.0, random_state=0)
    stalled = ANNClassifier(**common).fit(X, y)
    assert stalled.n_iter_ < 200
    curve = np.asarray(stalled.loss_curve_)
    patience = stalled.n_iter_no_change
    # each of the last n_iter_no_change + 1 iterations improved by < tol
    gains = -np.diff(curve[-patience - 2 :])
    assert len(gains) == patience + 1 and np.all(gains < stalled.tol)
    assert np.diff(curve[: -patience - 1]).min() < -stalled.tol  # not before
    with pytest.warns(ConvergenceWarning, match="200 iterations"):
        full = ANNClassifier(n_iter_no_change=np.inf, **common).fit(X, y)
    assert full.n_iter_ == 200


def test_every_solver_states_its_defaults():
    # A new row of the solver table must say what "auto" means for it.
    from skann._activations import SOLVERS, names
    from skann._base import SOLVER_DEFAULTS

    assert set(SOLVER_DEFAULTS) == set(names(SOLVERS))
    every = {
        "learning_rate",
        "alpha",
        "weight_decay",
        "weight_init",
        "label_smoothing",
    }
    for solver, defaults in SOLVER_DEFAULTS.items():
        assert set(defaults) == every, solver
