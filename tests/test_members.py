"""Members in one network (``n_members``): gradients against central
differences, each member against the network its blocks make alone, the
blocks off the diagonal at zero under every solver, and the estimators'
contracts (warm start, pickles, ONNX, skops) with members."""

import pickle
import warnings

import numpy as np
import pytest
from _problems import (
    assert_onnx_predicts_as,
    both_gradients,
    make_problem,
    relative_error,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier, ANNRegressor, _compiled
from skann._activations import OUTPUT_MEANS
from skann._base import resolve_auto
from skann._network import Network
from skann._optimizers import init_state
from skann._training import Scratch, TrainingConfig, run_epoch

needs_compiled = pytest.mark.skipif(
    not _compiled.COMPILED, reason="skann._loop was not compiled"
)

TARGETS = ("binary", "multiclass", "multilabel", "squared_error")


def member_network(X, Y, output, activation, hidden, members, seed=1):
    """A packed network of ``members`` members with random weights on every
    block (the output layer's too, where ``initialize`` starts at zero) and
    random biases; zeros off the blocks."""
    rng = np.random.RandomState(seed)
    widths = (*hidden, Y.shape[1])
    sizes = (X.shape[1], *(members * w for w in widths))
    net = Network(sizes, activation, output, members=members).initialize(rng)
    last = len(net.coefs) - 1
    for rows, columns in net.blocks(last):
        block = net.coefs[last][rows, columns]
        net.coefs[last][rows, columns] = rng.uniform(-1, 1, size=block.shape)
    net.params[net.n_coef :] = rng.normal(scale=0.1, size=net.n_params - net.n_coef)
    return net


def member_alone(net, i):
    """Member ``i`` of the packed ``net``: its blocks, cut out as a network
    of one member."""
    alone = Network(net.member_sizes, net.activation, net.output)
    for k, (rows, columns) in enumerate(
        net.blocks(k)[i] for k in range(len(net.coefs))
    ):
        alone.coefs[k][...] = net.coefs[k][rows, columns]
        alone.intercepts[k][...] = net.intercepts[k][columns]
    return alone


def off_blocks(net):
    """Every weight off the members' blocks, flat."""
    mask = [np.ones(W.shape, bool) for W in net.coefs]
    for k, M in enumerate(mask):
        for rows, columns in net.blocks(k):
            M[rows, columns] = False
    return np.concatenate([W[M] for W, M in zip(net.coefs, mask)])


def fitted_network(estimator):
    return estimator._network()


def fitted_model(target, dtype=np.float64, n_targets=1, **params):
    """A model of three members fitted briefly to a small ``target`` problem
    ("regression" or a classification target): ``(X, model)``."""
    if target == "regression":
        X, y = make_regression(120, 5, n_targets=n_targets, random_state=0)
        model = ANNRegressor()
    else:
        n_classes = 3 if target == "multiclass" else 2
        X, y = make_classification(
            120, 5, n_informative=3, n_classes=n_classes, random_state=0
        )
        if target == "multilabel":
            y = np.c_[y, X[:, 0] > 0]
        model = ANNClassifier()
    X = X.astype(dtype)
    model.set_params(
        hidden_size=(6, 4), n_members=3, max_iter=20, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return X, model.fit(X, y)


@pytest.mark.parametrize("members", [2, 3])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("hidden", [(4,), (4, 3)])
@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_gradient_matches_central_differences(members, target, hidden, activation):
    X, Y, output, _ = make_problem(target)
    sample_weight = np.random.RandomState(2).uniform(0.1, 3, size=X.shape[0])
    net = member_network(X, Y, output, activation, hidden, members)
    analytic, numeric = both_gradients(net, X, Y, 0.1, sample_weight)
    error = relative_error(analytic, numeric)
    assert error < 1e-6, f"relative gradient error {error:.2e}"
    assert not off_blocks(
        Network(net.layer_sizes, activation, output, analytic, members=members)
    ).any()


@pytest.mark.parametrize("target", TARGETS)
def test_loss_and_gradient_are_the_mean_of_the_members_own(target):
    # The oracle: each member's blocks as a network alone.  The packed loss is
    # the mean of their losses (penalties included), each member's gradient
    # its own divided by the number of members.
    X, Y, output, sample_weight = make_problem(target, n_samples=9)
    net = member_network(X, Y, output, "relu", (5, 3), members=3)
    loss, grad = net.loss_grad(X, Y, 0.2, sample_weight)
    grad_net = Network(net.layer_sizes, "relu", output, grad.copy(), members=3)
    losses = []
    for i in range(3):
        alone = member_alone(net, i)
        member_loss, member_grad = alone.loss_grad(X, Y, 0.2, sample_weight)
        losses.append(member_loss)
        expected = Network(alone.layer_sizes, "relu", output, member_grad / 3)
        np.testing.assert_allclose(
            member_alone(grad_net, i).params, expected.params, rtol=1e-12, atol=1e-15
        )
    assert loss == pytest.approx(np.mean(losses), rel=1e-12)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "regression"])
def test_predictions_are_the_mean_of_the_members_alone(target):
    X, model = fitted_model(target, n_targets=2, input_scaling=None)
    net = fitted_network(model)
    means = [
        OUTPUT_MEANS[net.output][0](member_alone(net, i).logits(X)) for i in range(3)
    ]
    members_differ = not np.allclose(means[0], means[1])
    assert members_differ
    mean = np.mean(means, axis=0)
    if target == "regression":
        expected = mean * model.target_scale_ + model.target_mean_
        np.testing.assert_allclose(model.predict(X), expected, rtol=1e-10)
        return
    proba = model.predict_proba(X)
    if target == "binary":
        mean = np.c_[1 - mean, mean]
    np.testing.assert_allclose(proba, mean, rtol=1e-10, atol=1e-15)
    # decision_function: the logits of the mean probabilities
    scores = model.decision_function(X)
    if target == "multiclass":
        np.testing.assert_allclose(scores, np.log(mean), rtol=1e-10)
    else:
        logit = np.log(mean[:, -1] if target == "binary" else mean) - np.log1p(
            -(mean[:, -1] if target == "binary" else mean)
        )
        np.testing.assert_allclose(scores, logit, rtol=1e-8)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("solver", ["adam", "sgd", "gd", "lbfgs"])
def test_off_block_weights_stay_zero(solver, compiled, monkeypatch):
    monkeypatch.setattr(_compiled, "enabled", compiled and _compiled.COMPILED)
    X, y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)
    clf = ANNClassifier(
        hidden_size=(5, 4),
        n_members=3,
        solver=solver,
        alpha=0.01,
        max_iter=15,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        if solver != "lbfgs":
            clf.partial_fit(X, y)
    net = fitted_network(clf)
    assert np.abs(net.coefs[1]).sum() > 0  # the blocks learned
    assert not off_blocks(net).any()
    np.testing.assert_array_equal(net.coefs[-1].shape, (12, 9))


def test_members_change_what_is_learned():
    X, y = make_classification(200, 6, n_informative=4, random_state=0)
    fits = [
        ANNClassifier(hidden_size=8, n_members=k, random_state=0, max_iter=30)
        for k in (1, 2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one, two = (clf.fit(X, y).predict_proba(X) for clf in fits)
    assert not np.allclose(one, two)


def test_each_member_starts_as_a_network_of_its_width():
    # The same draws, member by member: member i of a packed network starts
    # from what a network alone draws from the stream after the others'.
    X, Y, output, _ = make_problem("multiclass", n_samples=20)
    packed = Network((5, 8, 6, 6), "tanh", output, members=2)
    packed.initialize(np.random.RandomState(0), Y)
    rng = np.random.RandomState(0)
    first = rng.uniform(-1, 1, size=(2, 5, 4))  # layer 1, member by member
    bound = np.sqrt(6.0 / (5 + 4))
    np.testing.assert_allclose(packed.coefs[0][:, :4], first[0] * bound)
    np.testing.assert_allclose(packed.coefs[0][:, 4:], first[1] * bound)
    prior = Network((5, 4, 3, 3), "tanh", output).output_bias(Y)
    np.testing.assert_array_equal(packed.intercepts[-1], np.tile(prior, 2))
    assert not packed.coefs[-1].any()


def test_gradient_descent_step_is_each_members_own():
    # "auto" steps of gd and sgd are the member count times one network's, so
    # that each member takes the step it would take alone.
    X, y = make_classification(100, 4, random_state=0)
    one = ANNClassifier(solver="gd")
    rate = resolve_auto("gd", "learning_rate", "auto", X, "relu", None)
    net = Network((4, 12, 3), "relu", "logistic", members=3)
    assert resolve_auto("gd", "learning_rate", "auto", X, "relu", net) == 3 * rate
    assert one.n_members == 1


def test_warm_start_with_another_member_count_is_refused():
    X, y = make_classification(80, 4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = ANNClassifier(hidden_size=4, n_members=2, max_iter=5, random_state=0)
        clf.fit(X, y)
    params = clf._params.copy()
    clf.set_params(warm_start=True, n_members=3)
    with pytest.raises(ValueError, match="n_members=2"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="n_members=2"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf._params, params)
    assert clf._members == 2


def test_a_model_pickled_before_members_predicts_as_one_member():
    X, y = make_classification(80, 4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = ANNClassifier(hidden_size=4, max_iter=5, random_state=0).fit(X, y)
    state = clf.__getstate__()
    del state["n_members"], state["_members"]  # as an earlier version pickled
    old = ANNClassifier.__new__(ANNClassifier)
    old.__setstate__(state)
    assert old.n_members == 1
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "regression"])
def test_onnx_and_pickles_predict_the_members_mean(target, dtype):
    X, model = fitted_model(target, dtype)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert_onnx_predicts_as(model, X)


def test_skops_round_trip():
    sio = pytest.importorskip("skops.io")
    X, y = make_classification(80, 4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = ANNClassifier(hidden_size=4, n_members=2, max_iter=5).fit(X, y)
    dumped = sio.dumps(clf)
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("model", [ANNClassifier, ANNRegressor])
def test_members_work_with_every_input_encoding_and_early_stopping(model):
    if model is ANNRegressor:
        X, y = make_regression(150, 4, random_state=0)
    else:
        X, y = make_classification(150, 4, random_state=0)
    sample_weight = np.linspace(0.5, 2, X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = model(
            hidden_size=5,
            n_members=2,
            max_iter=10,
            early_stopping=True,
            input_scaling="smooth_clip",
            numerical_embedding="ple",
            random_state=0,
        ).fit(X.astype(np.float32), y, sample_weight=sample_weight)
    assert fitted.validation_scores_ is not None
    assert fitted._params.dtype == np.float32
    assert not off_blocks(fitted_network(fitted)).any()


@needs_compiled
@pytest.mark.parametrize("members", [2, 3])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("hidden", [(4,), (4, 3)])
@pytest.mark.parametrize("chunk", [4, 256])
def test_compiled_loss_and_gradient_match_the_numpy_core(
    members, target, hidden, chunk
):
    # chunk=4: the 9 rows in chunks, the weight gradients summed over them
    X, Y, output, sample_weight = make_problem(target, n_samples=9)
    net = member_network(X, Y, output, "tanh", hidden, members)
    expected_loss, expected_grad = net.loss_grad(X, Y, 0.3, sample_weight)
    stepper = _compiled._loop.make_stepper(
        net.layer_sizes,
        _compiled._HIDDEN_CODES[net.activation],
        _compiled._OUTPUT_LAYER_CODES[net.output],
        net.params.dtype,
        9,
        chunk,
        members,
    )
    grad = np.full_like(net.params, np.nan)
    alpha = _compiled.settings(TrainingConfig(alpha=0.3), "adam", members)["alpha"]
    loss = stepper.loss_grad(X, Y, sample_weight, net.params, alpha, grad)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)


@needs_compiled
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("target", TARGETS)
def test_compiled_epochs_follow_the_numpy_trajectory(solver, target, monkeypatch):
    X, Y, output, sample_weight = make_problem(target, n_samples=230)
    order = np.random.RandomState(3).permutation(230)
    runs = []
    for compiled in (False, True):
        monkeypatch.setattr(_compiled, "enabled", compiled)
        net = member_network(X, Y, output, "relu", (8, 6), members=3)
        state = init_state(solver, net.params, 0.05)
        config = TrainingConfig(alpha=1e-3, batch_size=50, weight_decay=0.1)
        scratch = Scratch()
        losses = [
            run_epoch(net, X, Y, sample_weight, order, state, config, scratch)
            for _ in range(3)
        ]
        runs.append((losses, net))
    (loss_np, net_np), (loss_c, net_c) = runs
    np.testing.assert_allclose(loss_c, loss_np, rtol=1e-10)
    np.testing.assert_allclose(net_c.params, net_np.params, rtol=1e-9, atol=1e-12)
    assert not off_blocks(net_c).any()
