"""The ingredients of the defaults (docs/good_defaults.rst), each on its own:
label smoothing, the cosine schedule, restoring the best epoch, temperature
calibration.  Each is checked against an oracle (finite differences, the
formula, the held-out data) and shown to change what is learned."""

import math

import numpy as np
import pytest
from _problems import (
    TARGETS,
    both_gradients,
    capture_validation_split,
    make_problem,
    relative_error,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss

import skann._base
import skann._held_out
import skann._training
from skann import ANNClassifier, ANNRegressor
from skann._network import Network
from skann._targets import smooth
from skann._training import cosine_learning_rate

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Everything off: the ingredient under test is switched on alone.
PLAIN = dict(
    label_smoothing=0.0,
    learning_rate_schedule="constant",
    restore_best=False,
    epoch_cv=None,
    calibrate=False,
    beta_2=0.999,
)


@pytest.fixture(scope="module")
def data():
    return make_classification(
        400, 10, n_informative=5, n_classes=3, flip_y=0.1, random_state=0
    )


def test_smooth_moves_targets_towards_uniform():
    Y = np.eye(4)[[0, 3, 1]]
    S = smooth(Y, "softmax", 0.2)
    np.testing.assert_allclose(S[0], [0.85, 0.05, 0.05, 0.05])
    np.testing.assert_allclose(S.sum(axis=1), 1)
    B = smooth(np.array([[0.0], [1.0]]), "logistic", 0.1)
    np.testing.assert_allclose(B.ravel(), [0.05, 0.95])
    assert smooth(Y, "softmax", 0.0) is Y


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("weighted", [False, True])
def test_smoothed_loss_gradient_matches_central_differences(target, weighted):
    X, Y, output, _ = make_problem(target)
    Y = smooth(Y, output, 0.1)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.1, 3, size=X.shape[0]) if weighted else None
    net = Network((X.shape[1], 4, 3, Y.shape[1]), "tanh", output).initialize(rng)
    analytic, numeric = both_gradients(net, X, Y, 0.1, sample_weight)
    error = relative_error(analytic, numeric)
    assert error < 1e-6, f"relative gradient error {error:.2e}"


def test_smoothing_is_the_cross_entropy_against_soft_targets():
    # The oracle: the loss written out from the definition.
    X, Y, output, _ = make_problem("multiclass")
    S = smooth(Y, output, 0.3)
    net = Network((X.shape[1], 4, 3), "relu", output)
    net.initialize(np.random.RandomState(0))
    Z = net.logits(X)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    expected = -(S * log_p).sum(axis=1).mean()
    assert net.loss_grad(X, S)[0] == pytest.approx(expected, rel=1e-12)


def test_label_smoothing_changes_what_is_learned(data):
    X, y = data
    common = dict(PLAIN, hidden_size=32, max_iter=300, tol=0, random_state=0)
    hard = ANNClassifier(**common).fit(X, y)
    soft = ANNClassifier(**dict(common, label_smoothing=0.2)).fit(X, y)
    # Softened targets make the network less sure of itself on average.
    confidence = [m.predict_proba(X).max(axis=1).mean() for m in (hard, soft)]
    assert confidence[1] < confidence[0] - 0.05
    assert soft.loss_ > hard.loss_  # the soft targets' entropy is a floor


def test_label_smoothing_auto_is_for_the_minibatch_solvers():
    assert ANNClassifier(label_smoothing="auto")._smoothing() == 0.1
    assert ANNClassifier(label_smoothing="auto", solver="sgd")._smoothing() == 0.1
    for solver in ("gd", "lbfgs"):
        clf = ANNClassifier(label_smoothing="auto", solver=solver)
        assert clf._smoothing() == 0.0


def test_cosine_schedule_formula():
    assert cosine_learning_rate(0.1, 0, 10) == 0.1
    assert cosine_learning_rate(0.1, 5, 10) == pytest.approx(0.05)
    assert cosine_learning_rate(0.1, 9, 10) == pytest.approx(
        0.05 * (1 + math.cos(0.9 * math.pi))
    )
    assert cosine_learning_rate(0.1, 10, 10) == 0.1  # a warm restart


def test_cosine_schedule_sets_each_epochs_rate(data, monkeypatch):
    X, y = data
    seen = []
    original = skann._training.run_epoch

    def spy(net, X, Y, sw, order, state, config, scratch):
        seen.append(state["learning_rate"])
        return original(net, X, Y, sw, order, state, config, scratch)

    monkeypatch.setattr(skann._training, "run_epoch", spy)
    common = dict(PLAIN, max_iter=8, tol=0, random_state=0, learning_rate=0.01)
    ANNClassifier(**dict(common, learning_rate_schedule="cosine")).fit(X, y)
    np.testing.assert_allclose(
        seen, [cosine_learning_rate(0.01, e, 8) for e in range(8)]
    )
    # partial_fit goes on along the same cycle, one epoch per call.
    seen.clear()
    clf = ANNClassifier(**dict(common, learning_rate_schedule="cosine"))
    for _ in range(10):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(
        seen, [cosine_learning_rate(0.01, e, 8) for e in range(10)]
    )


def test_cosine_schedule_changes_what_is_learned(data):
    X, y = data
    common = dict(PLAIN, hidden_size=16, max_iter=50, tol=0, random_state=0)
    constant = ANNClassifier(**common).fit(X, y)
    cosine = ANNClassifier(**dict(common, learning_rate_schedule="cosine")).fit(X, y)
    assert not np.allclose(constant.coefs_[0], cosine.coefs_[0])


def test_restore_best_trains_every_epoch_and_keeps_the_best(data, monkeypatch):
    X, y = data
    split = capture_validation_split(monkeypatch)
    scored = []
    restore_score = ANNClassifier._restore_score

    def spy(self, *args, **kwargs):
        scored.append(restore_score(self, *args, **kwargs))
        return scored[-1]

    monkeypatch.setattr(ANNClassifier, "_restore_score", spy)
    clf = ANNClassifier(
        **dict(PLAIN, restore_best=True),
        hidden_size=64,
        learning_rate=0.03,  # a step at which the score peaks, then falls
        max_iter=60,
        tol=0,
        random_state=0,
    ).fit(X, y)
    losses = [-loss for loss, _ in scored]
    assert clf.n_iter_ == len(losses) == 60  # training was not cut short
    assert losses[-1] > min(losses)  # the last epoch was not the best...
    # ...and the weights kept are those of the lowest held-out cross-entropy,
    # whose accuracy the attributes report.
    X_val, y_val = split["X_val"], split["y_val"]
    assert log_loss(y_val, clf.predict_proba(X_val)) == pytest.approx(min(losses))
    assert clf.validation_scores_ == [accuracy for _, accuracy in scored]
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X_val, y_val) == scored[int(np.argmin(losses))][1]
    assert X_val.shape[0] == 40


def test_restore_best_changes_what_is_learned(data):
    X, y = data
    common = dict(PLAIN, hidden_size=64, learning_rate=0.01, max_iter=60, tol=0)
    last = ANNClassifier(**common, random_state=0).fit(X, y)
    best = ANNClassifier(**dict(common, restore_best=True), random_state=0).fit(X, y)
    assert not np.allclose(last.coefs_[0], best.coefs_[0])
    assert last.validation_scores_ is None


def test_restore_best_trains_on_everything_when_the_split_would_be_tiny():
    # 150 rows hold out 15 < MIN_RESTORE_ROWS: nothing is held out.
    X, y = make_classification(150, 5, random_state=0)
    common = dict(PLAIN, max_iter=20, random_state=0)
    plain = ANNClassifier(**common).fit(X, y)
    restoring = ANNClassifier(**dict(common, restore_best=True)).fit(X, y)
    assert restoring.validation_scores_ is None
    np.testing.assert_array_equal(plain.coefs_[0], restoring.coefs_[0])


def test_restore_best_is_ignored_by_partial_fit(data):
    X, y = data
    clf = ANNClassifier(**dict(PLAIN, restore_best=True), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.validation_scores_ is None


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_a_warm_start_splits_restore_bests_rows_reproducibly(data, solver):
    # A warm start on full batches shuffles nothing; restore_best's split
    # still draws from random_state, so the same seed gives the same model.
    X, y = data
    common = dict(PLAIN, restore_best=True, solver=solver, max_iter=5)
    models = [
        ANNClassifier(**common, batch_size=400, warm_start=True, random_state=0)
        .fit(X, y)
        .fit(X, y)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(models[0]._params, models[1]._params)
    assert models[0].validation_scores_ == models[1].validation_scores_


def test_calibrate_lowers_the_held_out_cross_entropy(data, monkeypatch):
    X, y = data
    split = capture_validation_split(monkeypatch)
    common = dict(
        PLAIN, restore_best=True, label_smoothing=0.3, max_iter=50, random_state=0
    )
    raw = ANNClassifier(**common).fit(X, y)
    calibrated = ANNClassifier(**dict(common, calibrate=True)).fit(X, y)
    X_val, y_val = split["X_val"], split["y_val"]
    assert log_loss(y_val, calibrated.predict_proba(X_val)) < log_loss(
        y_val, raw.predict_proba(X_val)
    )
    # A temperature only rescales the logits: the predictions do not move.
    np.testing.assert_array_equal(calibrated.predict(X), raw.predict(X))
    ratio = calibrated.decision_function(X) / raw.decision_function(X)
    np.testing.assert_allclose(ratio, ratio.flat[0])


@pytest.mark.parametrize("output", ["softmax", "logistic"])
def test_temperature_is_fitted_only_where_the_rows_pin_it_down(output):
    # On rows the network already classifies right, the cross-entropy falls
    # without end as the temperature goes to 0: there is no best temperature,
    # and the weights must stay as they are.  One wrong row gives the loss a
    # finite minimum, which the fitted temperature must be.
    rng = np.random.RandomState(0)
    n_outputs = 3 if output == "softmax" else 1
    net = Network((5, 16, n_outputs), "relu", output)
    net.params[...] = rng.normal(size=net.params.size)
    X = rng.normal(size=(60, 5))
    Z = net.logits(X)
    right = np.argmax(Z, axis=1) if output == "softmax" else (Z[:, 0] > 0).astype(int)
    Y = np.eye(3)[right] if output == "softmax" else right[:, np.newaxis].astype(float)
    before = net.params.copy()
    net.scale_temperature(X, Y)
    np.testing.assert_array_equal(net.params, before)

    Y[0] = np.roll(Y[0], 1) if output == "softmax" else 1 - Y[0]
    net.scale_temperature(X, Y)
    scaled = net.logits(X) / Z  # 1 / T, the same for every logit
    np.testing.assert_allclose(scaled, scaled.flat[0])
    log_t = -math.log(scaled.flat[0])
    assert -3 < log_t < 3 and abs(log_t) > 1e-3

    def loss(step):
        return net.loss(Z * math.exp(-(log_t + step)), Y)

    slope = (loss(1e-4) - loss(-1e-4)) / 2e-4
    assert abs(slope) < 1e-4


def test_glorot_init_draws_mlpclassifiers_bounds():
    net = Network((10, 256, 3), "relu", "softmax")
    net.initialize(np.random.RandomState(0), scheme="glorot")
    assert np.abs(net.coefs[0]).max() <= np.sqrt(6 / 266)
    assert np.abs(net.coefs[0]).max() > 0.9 * np.sqrt(6 / 266)
    net.initialize(np.random.RandomState(0), scheme="he")
    assert np.abs(net.coefs[0]).max() > 0.9 * np.sqrt(6 / 10)
    # logistic layers: 4 times Glorot's bound, in either scheme
    logistic = Network((10, 20, 3), "logistic", "softmax")
    logistic.initialize(np.random.RandomState(0), scheme="glorot")
    assert np.abs(logistic.coefs[0]).max() <= 4 * np.sqrt(6 / 30)
    assert np.abs(logistic.coefs[0]).max() > 0.9 * 4 * np.sqrt(6 / 30)
    assert not logistic.coefs[-1].any()  # the output layer starts at zero


def test_weight_init_auto_keeps_the_lessons_start_for_gd(data):
    X, y = data
    common = dict(PLAIN, hidden_size=8, max_iter=1, random_state=0)
    for solver, scheme in [("gd", "he"), ("adam", "glorot"), ("lbfgs", "he")]:
        auto = ANNClassifier(**common, solver=solver).fit(X, y)
        named = ANNClassifier(**common, solver=solver, weight_init=scheme).fit(X, y)
        np.testing.assert_array_equal(auto.coefs_[0], named.coefs_[0])


def test_weight_init_changes_what_is_learned(data):
    X, y = data
    common = dict(PLAIN, hidden_size=16, max_iter=30, random_state=0)
    he = ANNClassifier(**common, weight_init="he").fit(X, y)
    glorot = ANNClassifier(**common, weight_init="glorot").fit(X, y)
    assert np.abs(glorot.coefs_[0]).mean() < np.abs(he.coefs_[0]).mean()


def test_smooth_clip_scaler_formula_and_contract():
    from sklearn.utils.estimator_checks import check_estimator

    from skann import SmoothClipScaler

    rng = np.random.RandomState(0)
    X = rng.lognormal(size=(200, 3))
    X[:, 2] = 5.0  # constant: scale 1
    scaler = SmoothClipScaler().fit(X)
    q25, q50, q75 = np.percentile(X[:, 0], [25, 50, 75])
    z = (X[:, 0] - q50) / (q75 - q25)
    np.testing.assert_allclose(scaler.transform(X)[:, 0], z / np.sqrt(1 + (z / 3) ** 2))
    assert np.abs(scaler.transform(X * 1e6)).max() < 3
    np.testing.assert_array_equal(scaler.transform(X)[:, 2], 0)
    check_estimator(SmoothClipScaler())


def test_alpha_auto_keeps_the_lessons_penalty_for_gd():
    # adam regularises by weight_decay instead (see test_weight_decay.py)
    assert ANNClassifier()._alpha() == 0.0
    # the solvers the benchmark did not measure keep MLPClassifier's
    assert ANNClassifier(solver="lbfgs")._alpha() == 0.0001
    assert ANNClassifier(solver="sgd")._alpha() == 0.0001
    assert ANNClassifier(solver="gd")._alpha() == 0.0001
    assert ANNClassifier(alpha=0.5, solver="gd")._alpha() == 0.5


def test_weight_decay_auto_changes_what_is_learned(data):
    X, y = data
    common = dict(PLAIN, hidden_size=16, max_iter=100, tol=0, random_state=0)
    auto = ANNClassifier(**common).fit(X, y)
    free = ANNClassifier(**common, weight_decay=0.0).fit(X, y)
    assert np.linalg.norm(auto.coefs_[0]) < np.linalg.norm(free.coefs_[0])


def test_restore_best_auto_holds_out_only_a_split_large_enough_to_choose_by():
    # 3,000 rows hold out AUTO_RESTORE_ROWS; 2,990 hold out one fewer, and
    # train as without restore_best.
    X, y = make_classification(3000, 5, random_state=0)
    common = dict(PLAIN, hidden_size=8, max_iter=3, random_state=0)
    auto = dict(common, restore_best="auto")
    assert ANNClassifier(**auto).fit(X, y).validation_scores_ is not None
    small = ANNClassifier(**auto).fit(X[:2990], y[:2990])
    plain = ANNClassifier(**common).fit(X[:2990], y[:2990])
    assert small.validation_scores_ is None
    np.testing.assert_array_equal(small.coefs_[0], plain.coefs_[0])


@pytest.mark.parametrize("weight_decay", ["auto", 0.3])
def test_a_fit_that_restores_decays_less_by_default(data, monkeypatch, weight_decay):
    X, y = data
    decays = []
    fit_stochastic = ANNClassifier._fit_stochastic

    def spy(self, net, rows, state, config, ctx, hooks):
        decays.append(config.weight_decay)
        return fit_stochastic(self, net, rows, state, config, ctx, hooks)

    monkeypatch.setattr(ANNClassifier, "_fit_stochastic", spy)
    common = dict(PLAIN, weight_decay=weight_decay, max_iter=2, random_state=0)
    ANNClassifier(**common).fit(X, y)
    ANNClassifier(**dict(common, restore_best=True)).fit(X, y)
    if weight_decay == "auto":
        assert decays == [0.5, 0.5 * skann._base.RESTORING_DECAY]
    else:
        assert decays == [0.3, 0.3]


# ------------------------------------------------------------------ epoch_cv
# a step at which the held-out score peaks, then falls
PEAKING = dict(PLAIN, hidden_size=16, learning_rate=0.03, max_iter=40, tol=0)


def test_epoch_cv_trains_every_row_for_the_epochs_the_folds_chose(data, recwarn):
    X, y = data
    common = dict(PEAKING, shuffle=False, random_state=0)
    cv = ANNClassifier(**dict(common, epoch_cv=3)).fit(X, y)
    epochs = int(np.argmax(cv.cv_scores_)) + 1
    assert cv.n_iter_ == epochs < 40
    assert not recwarn.list  # ran as many epochs as chosen: no ConvergenceWarning
    # The oracle: a plain fit for that many epochs on every row, at the
    # decay of a fit that chooses its epoch, from the same initial weights.
    decay = 0.5 * skann._base.RESTORING_DECAY
    plain = ANNClassifier(**dict(common, max_iter=epochs, weight_decay=decay))
    plain.fit(X, y)
    np.testing.assert_array_equal(cv._params, plain._params)
    assert cv.validation_scores_ is None


def test_epoch_cv_scores_each_fold_on_the_rows_it_left_out(data, monkeypatch):
    X, y = data
    scored = []
    restore_score = ANNClassifier._restore_score

    def spy(self, net, X_val, *args, **kwargs):
        scored.append((X_val, restore_score(self, net, X_val, *args, **kwargs)))
        return scored[-1][1]

    monkeypatch.setattr(ANNClassifier, "_restore_score", spy)
    clf = ANNClassifier(**dict(PEAKING, epoch_cv=4), random_state=0).fit(X, y)
    folds = []  # each fold's held-out rows and its scores, epoch by epoch
    for X_val, score in scored:
        if not folds or X_val is not folds[-1][0]:
            folds.append((X_val, []))
        folds[-1][1].append(score[0])
    assert len(folds) == 4
    # the folds partition the rows, stratified: each holds out a quarter
    rows = np.sort(np.concatenate([X_val for X_val, _ in folds]), axis=0)
    np.testing.assert_array_equal(rows, np.sort(X, axis=0))
    assert [len(X_val) for X_val, _ in folds] == [100] * 4
    # each fold trained until its patience ran out: FOLD_PATIENCE times as
    # many epochs after its best as the best one's number, n_iter_no_change
    # at least, or until max_iter
    patience = skann._held_out.FOLD_PATIENCE
    for _, scores in folds:
        best = int(np.argmax(scores)) + 1
        assert len(scores) == min(40, best + max(10, math.ceil(patience * best)))
    assert any(len(scores) < 40 for _, scores in folds)  # the patience ran out
    # a fold that stopped early counts its last score for the later epochs
    longest = max(len(scores) for _, scores in folds)
    padded = [scores + scores[-1:] * (longest - len(scores)) for _, scores in folds]
    np.testing.assert_allclose(clf.cv_scores_, np.mean(padded, axis=0), rtol=1e-12)
    assert clf.n_iter_ == int(np.argmax(clf.cv_scores_)) + 1


def test_epoch_cv_changes_what_is_learned(data):
    X, y = data
    common = dict(PEAKING, random_state=0)
    plain = ANNClassifier(**common).fit(X, y)
    cv = ANNClassifier(**dict(common, epoch_cv=3)).fit(X, y)
    assert plain.cv_scores_ is None and plain.n_iter_ == 40
    assert cv.n_iter_ < 40
    assert not np.allclose(plain.coefs_[0], cv.coefs_[0])


def test_epoch_cv_auto_chooses_where_nothing_else_does():
    # 100 rows make 5 folds of MIN_RESTORE_ROWS; from 3,000 rows,
    # restore_best="auto" chooses on one held-out split instead.
    X, y = make_classification(3000, 5, random_state=0)
    common = dict(PLAIN, hidden_size=8, max_iter=3, random_state=0, epoch_cv="auto")

    def fit(n, **params):
        return ANNClassifier(**dict(common, **params)).fit(X[:n], y[:n])

    assert fit(100).cv_scores_.shape == (3,)
    assert fit(2990).cv_scores_ is not None
    tiny, plain = fit(99), fit(99, epoch_cv=None)
    assert tiny.cv_scores_ is None
    np.testing.assert_array_equal(tiny.coefs_[0], plain.coefs_[0])
    # an int, as restore_best=True, needs MIN_RESTORE_ROWS per fold too
    assert fit(59, epoch_cv=3).cv_scores_ is None
    assert fit(60, epoch_cv=3).cv_scores_ is not None
    large = fit(3000, restore_best="auto")
    assert large.cv_scores_ is None and large.validation_scores_ is not None
    for other in [
        dict(solver="lbfgs"),
        dict(solver="sgd"),  # "auto" is the benchmarked solver's
        dict(early_stopping=True),
        dict(restore_best=True),
        dict(warm_start=True),
    ]:
        assert fit(500, **other).cv_scores_ is None, other
    assert fit(500, restore_best=False).cv_scores_ is not None


@pytest.mark.parametrize(
    "other",
    [
        dict(solver="lbfgs"),
        dict(early_stopping=True),
        dict(restore_best=True),
        dict(warm_start=True),
    ],
)
def test_epoch_cv_refuses_what_it_cannot_combine_with(data, other):
    X, y = data
    clf = ANNClassifier(**dict(PLAIN, max_iter=2), random_state=0).fit(X, y)
    before = [w.copy() for w in clf.coefs_]
    clf.set_params(epoch_cv=3, **other)
    with pytest.raises(ValueError, match="epoch_cv=3 cannot be combined with"):
        clf.fit(X, y)
    for ours, theirs in zip(clf.coefs_, before):
        np.testing.assert_array_equal(ours, theirs)


def test_epoch_cv_is_ignored_by_partial_fit(data):
    X, y = data
    clf = ANNClassifier(**dict(PLAIN, epoch_cv=3), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.cv_scores_ is None and clf.n_iter_ == 1


def test_epoch_cv_chooses_the_regressors_epochs_by_held_out_r2(monkeypatch):
    X, y = make_regression(300, 8, noise=30.0, random_state=0)
    folds = []  # each fold's held-out rows and R², epoch by epoch
    validation_score = ANNRegressor._validation_score

    def spy(net, X_val, *args, **kwargs):
        if not folds or X_val is not folds[-1][0]:
            folds.append((X_val, []))
        folds[-1][1].append(validation_score(net, X_val, *args, **kwargs))
        return folds[-1][1][-1]

    monkeypatch.setattr(ANNRegressor, "_validation_score", staticmethod(spy))
    common = dict(hidden_size=64, learning_rate=0.03, max_iter=30, tol=0)
    reg = ANNRegressor(**common, epoch_cv=3, random_state=0).fit(X, y)
    assert [len(X_val) for X_val, _ in folds] == [100] * 3
    longest = max(len(r2) for _, r2 in folds)
    padded = [r2 + r2[-1:] * (longest - len(r2)) for _, r2 in folds]
    np.testing.assert_allclose(reg.cv_scores_, np.mean(padded, axis=0), rtol=1e-12)
    assert reg.n_iter_ == int(np.argmax(reg.cv_scores_)) + 1


@pytest.mark.parametrize("weighted", [False, True])
def test_the_held_out_scores_are_scikit_learns_metrics(weighted):
    # Computed without the metrics' input checks (they are taken after every
    # epoch), to the same bits.
    from sklearn.metrics import accuracy_score, r2_score

    from skann._classifier import _accuracy
    from skann._regressor import _r2

    rng = np.random.RandomState(0)
    sw = rng.randint(0, 3, 50).astype(float) if weighted else None
    y = rng.normal(size=(50, 3))
    predicted = y + rng.normal(size=(50, 3))
    predicted[:, 1] = y[:, 1]  # one output predicted exactly
    for truth, guess in [(y[:, 0], predicted[:, 0]), (y, predicted)]:
        assert _r2(truth, guess, sw) == r2_score(truth, guess, sample_weight=sw)
    constant = np.ones((50, 2))
    guess = np.column_stack([np.ones(50), predicted[:, 0]])  # exact, then not
    assert _r2(constant, guess, sw) == r2_score(constant, guess, sample_weight=sw)

    classes = np.array(["a", "b", "c"])
    labels = classes[rng.randint(0, 3, 50)]
    Z = rng.normal(size=(50, 3))
    net = Network((2, 4, 3), "relu", "softmax")
    expected = accuracy_score(labels, classes[Z.argmax(axis=1)], sample_weight=sw)
    assert _accuracy(net, Z, labels, sw, {"classes_": classes}) == expected
    multilabel = rng.randint(0, 2, (50, 3))
    net = Network((2, 4, 3), "relu", "logistic")
    predicted_labels = (Z > 0).astype(int)
    expected = accuracy_score(multilabel, predicted_labels, sample_weight=sw)
    targets = {"classes_": np.array([0, 1])}
    assert _accuracy(net, Z, multilabel, sw, targets) == expected
