"""The one table of names (skann/_activations.py) and everything that reads it.

The parameter constraints, the numpy core, the compiled loop and the ONNX
converter must name the same hidden activations, output layers and solvers,
and the compiled loop must compute with each row's code what the numpy core
computes with its name.
"""

import warnings

import numpy as np
import pytest
from _problems import make_problem
from scipy.optimize import approx_fprime
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from skann import ANNClassifier, ANNRegressor, _compiled
from skann._activations import (
    DERIVATIVES,
    FORWARD,
    HIDDEN,
    OUTPUT_LAYERS,
    OUTPUT_MEANS,
    SOLVERS,
    codes,
    names,
)
from skann._base import BaseANN
from skann._network import Network
from skann._optimizers import STEPS, init_state
from skann._training import Scratch, TrainingConfig, run_epoch


def test_the_codes_are_the_positions_the_compiled_loop_was_written_for():
    assert names(HIDDEN) == ("identity", "relu", "tanh", "logistic")
    assert names(OUTPUT_LAYERS)[:3] == ("logistic", "softmax", "identity")
    assert names(SOLVERS) == ("gd", "sgd", "adam", "lbfgs")
    assert codes(SOLVERS) == {"gd": 0, "sgd": 1, "adam": 2}  # lbfgs: scipy's


def test_parameter_constraints_name_the_table():
    constraints = BaseANN._parameter_constraints
    assert constraints["activation"][0].options == set(names(HIDDEN))
    assert constraints["solver"][0].options == set(names(SOLVERS))


def test_the_numpy_core_and_the_optimizers_name_the_table():
    assert list(FORWARD) == list(DERIVATIVES) == list(names(HIDDEN))
    assert list(OUTPUT_MEANS) == list(names(OUTPUT_LAYERS))
    assert set(STEPS) == {s.name for s in SOLVERS if s.name != "lbfgs"}


def test_the_compiled_glue_reads_the_codes_from_the_table():
    assert _compiled._HIDDEN_CODES == codes(HIDDEN)
    assert _compiled._OUTPUT_LAYER_CODES == codes(OUTPUT_LAYERS)
    assert _compiled._SOLVER_CODES == codes(SOLVERS)


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: h.name)
def test_each_derivative_is_the_derivative_of_its_activation(hidden):
    z = np.linspace(-3, 3, 13) + 0.05  # away from relu's kink at 0
    A = hidden.forward(z.copy()[None, :])
    delta = np.ones_like(A)
    hidden.derivative(A, delta, np.empty_like(A))
    numeric = [
        approx_fprime([v], lambda x: hidden.forward(np.array([x[0]]))[0], 1e-7)[0]
        for v in z
    ]
    np.testing.assert_allclose(delta[0], numeric, rtol=1e-5, atol=1e-6)


needs_compiled = pytest.mark.skipif(
    not _compiled.COMPILED, reason="skann._loop was not compiled"
)


@needs_compiled
@pytest.mark.parametrize("solver", codes(SOLVERS))
@pytest.mark.parametrize("output", codes(OUTPUT_LAYERS))
@pytest.mark.parametrize("activation", codes(HIDDEN))
def test_the_compiled_loop_computes_each_row_as_the_numpy_core(
    activation, output, solver, monkeypatch
):
    """A row in the wrong position would train another activation, output or
    solver in the compiled loop than in the numpy core."""
    # 0/1 targets for every output layer: one-hot for softmax, two labels else
    if output == "softmax":
        X, Y, _, _ = make_problem("multiclass", 60)
    else:
        X, Y, _, _ = make_problem("multilabel", 60, n_outputs=2)
    config = TrainingConfig(solver=solver, alpha=1e-3, batch_size=20)
    runs = []
    for compiled in (False, True):
        monkeypatch.setattr(_compiled, "enabled", compiled)
        net = Network((5, 4, Y.shape[1]), activation, output)
        net.initialize(np.random.RandomState(0), Y)
        state = init_state(solver, net.params, 0.05)
        scratch = Scratch()
        losses = [
            run_epoch(net, X, Y, None, None, state, config, scratch) for _ in range(2)
        ]
        runs.append((losses, net.params))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-10)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-9, atol=1e-12)


def fitted(activation, target):
    if target == "multilabel":
        X, y = make_multilabel_classification(60, 5, n_classes=3, random_state=0)
    else:
        X, y = make_classification(
            60, 5, n_informative=4, n_redundant=0, random_state=0,
            n_classes=2 if target == "binary" else 3,
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ANNClassifier(6, activation, solver="lbfgs", max_iter=50)
        return model.fit(X, y), X.astype(np.float32)


def test_the_onnx_converter_claims_what_the_table_names():
    pytest.importorskip("skl2onnx")
    import skann.onnx

    assert skann.onnx._ONNX_HIDDEN == tuple(h.name for h in HIDDEN if h.onnx)
    onnx_outputs = tuple(o.name for o in OUTPUT_LAYERS if o.onnx)
    assert skann.onnx._ONNX_OUTPUT_LAYERS == onnx_outputs


# every output layer of the classifier, by the targets that produce it
TARGETS = {"logistic": ["binary", "multilabel"], "softmax": ["multiclass"]}
# every output layer of the regressor, by the loss that produces it
LOSSES = {"identity": "squared_error", "exp": "poisson"}


def test_every_output_layer_belongs_to_an_estimator():
    assert set(names(OUTPUT_LAYERS)) == set(TARGETS) | set(LOSSES)


@pytest.mark.parametrize(
    "activation, target",
    [(h.name, "multiclass") for h in HIDDEN if h.onnx]
    + [
        ("tanh", target)
        for o in OUTPUT_LAYERS
        if o.onnx and o.name in TARGETS
        for target in TARGETS[o.name]
    ],
)
def test_the_onnx_converter_covers_every_row_it_claims(activation, target):
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    import onnxruntime as rt

    import skann.onnx  # noqa: F401  (registers the converter)

    model, X = fitted(activation, target)
    onx = skl2onnx.to_onnx(model, X[:1], options={ANNClassifier: {"zipmap": False}})
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(X))


@pytest.mark.parametrize(
    "output", [o.name for o in OUTPUT_LAYERS if o.onnx and o.name in LOSSES]
)
def test_the_onnx_converter_covers_every_regression_row_it_claims(output):
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    import onnxruntime as rt

    import skann.onnx  # noqa: F401  (registers the converter)

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5))
    y = rng.poisson(np.exp(X[:, 0])).astype(float)
    model = ANNRegressor(
        6, "tanh", solver="lbfgs", loss=LOSSES[output], max_iter=50, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.out_activation_ == output
    X32 = X.astype(np.float32)
    onx = skl2onnx.to_onnx(model, X32[:1])
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (predicted,) = session.run(None, {session.get_inputs()[0].name: X32})
    # float32 arithmetic: relative near 1, absolute near 0 (targets of size ~1)
    np.testing.assert_allclose(
        predicted[:, 0], model.predict(X32), rtol=1e-4, atol=1e-5
    )
