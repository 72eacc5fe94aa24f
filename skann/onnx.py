"""ONNX export of :class:`~skann.ANNClassifier`, :class:`~skann.ANNRegressor`
and :class:`~skann.PiecewiseLinearEncoder` through skl2onnx.

Importing this module registers a converter for each with skl2onnx, so that
they convert on their own or inside a Pipeline::

    import skann.onnx  # noqa: F401  (registers the converter)
    from skl2onnx import to_onnx

    onx = to_onnx(pipeline, X[:1].astype(np.float32))

The graph mirrors :meth:`ANNClassifier.predict_proba` and
:meth:`ANNClassifier.predict`: one ``MatMul`` + ``Add`` per layer, the hidden
activation between layers, then

* binary targets (one output unit ``z``): ``[sigmoid(-z), sigmoid(z)]``;
* multiclass targets: ``softmax(z)``;
* multilabel targets: ``sigmoid(z)`` per label, labels ``proba > 0.5``;

clipped into the open interval (0, 1) as ``predict_proba`` does.  Labels are
``classes_[argmax(proba)]``: int64 for integer (or integral float / bool)
classes, strings otherwise.  The classifier parser options are honoured:
``zipmap`` (True, False or ``"columns"``), ``nocl`` and
``output_class_labels``.  The regressor's graph mirrors
:meth:`ANNRegressor.predict`: the same layers, ``exp`` for the Poisson loss,
then the target scale (``* target_scale_ + target_mean_``); its one output,
``variable``, has shape ``(n_samples, n_outputs)`` as skl2onnx's regressors
have.  A model of several members (``n_members``) computes each member's
probabilities (or predictions) on rows reshaped to one member each, then
their mean, as a ``MatMul`` by a constant averaging matrix.  With
``numerical_embedding="ple"`` (and in the encoder's graph) the
inputs are encoded first as ``transform`` does: ``Gather`` of each encoded
column, ``Sub`` of its bin's left edge, ``Div`` by its width, ``Max`` / ``Min``
against its bounds.  The computation runs in double precision when the input
is double, in single precision otherwise.

Requires skl2onnx, onnx and onnxruntime, the ``onnx`` extra: in a clone of
skann, ``pip install -e ".[onnx]"``.  Without skl2onnx
this module still imports (so that tools which import every module keep
working), registers nothing, and :func:`register` raises an ``ImportError``
that names the extra.
"""

import numpy as np

from ._activations import HIDDEN, OUTPUT_LAYERS, row
from ._classifier import ANNClassifier
from ._preprocessing import PiecewiseLinearEncoder
from ._regressor import ANNRegressor

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import (
        apply_cast,
        apply_clip,
        apply_reshape,
    )
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
        guess_proto_type,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # the module stays importable (e.g. by doctest
    _MISSING = exc  # collection); register() says what to install.
else:
    _MISSING = None

__all__ = ["ALIAS", "ENCODER_ALIAS", "REGRESSOR_ALIAS", "register"]

#: The operator names under which the converters are registered with skl2onnx.
ALIAS = "SkannANNClassifier"
REGRESSOR_ALIAS = "SkannANNRegressor"
ENCODER_ALIAS = "SkannPiecewiseLinearEncoder"

# The hidden activations and output layers the converter covers: the rows of
# skann's table that name an ONNX operator.
_ONNX_HIDDEN = tuple(h.name for h in HIDDEN if h.onnx)
_ONNX_OUTPUT_LAYERS = tuple(o.name for o in OUTPUT_LAYERS if o.onnx)


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _integer_labels(classes):
    """True when the labels are exported as int64, False for strings.

    Float labels must be integral, as skl2onnx's own classifiers require.
    """
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.integer):
        return True
    if np.issubdtype(classes.dtype, np.floating):
        if not np.array_equal(classes, np.round(classes)):
            raise RuntimeError(
                f"Cannot export float class labels {classes.tolist()} to ONNX: "
                "labels must be integers or strings."
            )
        return True
    return False


def _proto_dtype(operator):
    """Double precision for a double input, single precision otherwise."""
    proto = guess_proto_type(operator.inputs[0].type)
    return (
        proto
        if proto == onnx_proto.TensorProto.DOUBLE
        else onnx_proto.TensorProto.FLOAT
    )


def _checked(operator, n_outputs):
    """Check the operator's one input and ``n_outputs`` outputs; the number of
    rows and the float tensor type of the result (double for a double input)."""
    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=n_outputs
    )
    check_input_and_output_types(
        operator,
        good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType],
    )
    N = operator.inputs[0].get_first_dimension()
    double = _proto_dtype(operator) == onnx_proto.TensorProto.DOUBLE
    return N, DoubleTensorType if double else FloatTensorType


def calculate_ann_classifier_output_shapes(operator):
    """skl2onnx shape calculator: a label tensor and a probability tensor."""
    N, proba_type = _checked(operator, 2)
    model = operator.raw_operator
    classes = get_label_classes(operator.scope_inst, model)
    if _is_multilabel(model):
        label = Int64TensorType(shape=[N, model.n_outputs_])
    elif _integer_labels(np.asarray(classes)):
        label = Int64TensorType(shape=[N])
    else:
        label = StringTensorType(shape=[N])
    operator.outputs[0].set_type(label)
    operator.outputs[1].set_type(proba_type(shape=[N, len(classes)]))


class _Graph:
    """The part of an ONNX graph that one converter writes for one model.

    Built from a converter's own arguments: unique names come from skl2onnx's
    ``scope``, nodes and initializers go into its ``container``, ``model`` is
    the ``operator``'s fitted estimator, and every float tensor is of
    ``proto_dtype``: double for a double input, float otherwise.
    """

    def __init__(self, scope, operator, container):
        self.scope, self.container = scope, container
        self.model = operator.raw_operator
        self.proto_dtype = _proto_dtype(operator)
        double = self.proto_dtype == onnx_proto.TensorProto.DOUBLE
        self.np_dtype = np.float64 if double else np.float32

    def name(self, prefix):
        """A new variable name that starts with ``prefix``."""
        return self.scope.get_unique_variable_name(prefix)

    def node(self, op, inputs, output, **attributes):
        """Add an ``op`` node that writes ``output``; return ``output``."""
        name = self.scope.get_unique_operator_name(op)
        self.container.add_node(op, inputs, output, name=name, **attributes)
        return output

    def apply(self, helper, inputs, output, **kwargs):
        """Call one of skl2onnx's ``apply_*`` helpers; return ``output``."""
        helper(self.scope, inputs, output, self.container, **kwargs)
        return output

    def constant(self, prefix, values, proto=None):
        """Add an initializer holding ``values`` (of ``proto``, or floats of
        the graph's precision); return its name."""
        values = np.asarray(values)
        if proto is None:
            proto, values = self.proto_dtype, values.astype(self.np_dtype)
        name = self.name(prefix)
        self.container.add_initializer(name, proto, list(values.shape), values.ravel())
        return name


def _logits(graph, input_name):
    """``Z_k = A_{k-1} @ W_k + b_k`` with the hidden activation between layers:
    the name of the output layer's logits."""
    model = graph.model
    hidden = row(HIDDEN, model._activation).onnx
    if hidden is None:
        raise NotImplementedError(
            f"skann.onnx cannot convert the activation {model._activation!r}; "
            f"it converts {_ONNX_HIDDEN}."
        )
    last = len(model.coefs_) - 1
    A = graph.apply(apply_cast, input_name, graph.name("X"), to=graph.proto_dtype)
    if model.__dict__.get("_scaling") is not None:  # input_scaling
        A = _smooth_clip(graph, A)
    if model.__dict__.get("_bins") is not None:  # numerical_embedding
        A = _encoding(graph, A)
    for k, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        W_name = graph.constant(f"W{k + 1}", W)
        b_name = graph.constant(f"b{k + 1}", b)
        product = graph.node("MatMul", [A, W_name], graph.name(f"XW{k + 1}"))
        Z = graph.node("Add", [product, b_name], graph.name(f"Z{k + 1}"))
        if k < last and hidden != "Identity":
            A = graph.node(hidden, Z, graph.name(f"A{k + 1}"))
        else:
            A = Z
    return A


def _smooth_clip(graph, X):
    """``X`` (a name) smoothly clipped on the model's scaling, as
    :func:`skann._preprocessing.smooth_clip` computes it:
    ``z = (x - center) / scale``, then ``z / sqrt(1 + (z * inverse_clip) ** 2)``;
    returns the result's name."""
    scaling = graph.model._scaling
    center, scale, inverse_clip = (
        graph.constant(f"clip_{key}", scaling[key])
        for key in ("center", "scale", "inverse_clip")
    )
    one = graph.constant("clip_one", np.ones(1))

    def node(op, *inputs):
        return graph.node(op, list(inputs), graph.name("clip"))

    Z = node("Div", node("Sub", X, center), scale)
    bent = node("Mul", Z, inverse_clip)
    return node("Div", Z, node("Sqrt", node("Add", node("Mul", bent, bent), one)))


def _encoding(graph, X, output=None):
    """The piecewise-linear encoding of ``X`` (a name) on the model's bins, as
    :func:`skann._preprocessing.encode` computes it: gather each output's
    column, subtract its bin's left edge, divide by its width, then bound it
    below and above (``-inf`` / ``inf`` where a side is open).  Written into
    ``output`` when given; returns the encoding's name."""
    bins = graph.model._bins
    index = graph.constant(
        "ple_feature", bins["feature"].astype(np.int64), onnx_proto.TensorProto.INT64
    )
    A = graph.node("Gather", [X, index], graph.name("ple"), axis=1)
    steps = (("Sub", "left"), ("Div", "width"), ("Max", "low"), ("Min", "high"))
    for k, (op, key) in enumerate(steps):
        operand = graph.constant(f"ple_{key}", bins[key])
        last = k == len(steps) - 1
        A = graph.node(
            op, [A, operand], output if last and output else graph.name("ple")
        )
    return A


def calculate_piecewise_linear_encoder_output_shapes(operator):
    """skl2onnx shape calculator: one ``(N, n_encoded)`` tensor."""
    N, tensor_type = _checked(operator, 1)
    n = operator.raw_operator._bins["feature"].size
    operator.outputs[0].set_type(tensor_type(shape=[N, n]))


def convert_piecewise_linear_encoder(scope, operator, container):
    """skl2onnx converter: :meth:`PiecewiseLinearEncoder.transform`."""
    graph = _Graph(scope, operator, container)
    X = graph.apply(
        apply_cast, operator.inputs[0].full_name, graph.name("X"), to=graph.proto_dtype
    )
    _encoding(graph, X, operator.outputs[0].full_name)


def _refuse_output(model):
    """The error for an output layer the converter does not cover."""
    return NotImplementedError(
        f"skann.onnx cannot convert the output layer {model.out_activation_!r}; "
        f"it converts {_ONNX_OUTPUT_LAYERS}."
    )


def _member_mean(graph, A, width):
    """The mean over the members of ``A`` (a name), whose rows hold each
    member's ``width`` values side by side: ``A @ M`` with ``M`` the members'
    identity matrices stacked and divided by their number."""
    k = graph.model.__dict__.get("_members", 1)
    if k == 1:
        return A
    A = graph.apply(
        apply_reshape, A, graph.name("members"), desired_shape=(-1, k * width)
    )
    average = graph.constant("member_mean", np.tile(np.eye(width), (k, 1)) / k)
    return graph.node("MatMul", [A, average], graph.name("member_mean"))


def _per_member(graph, Z):
    """The logits ``Z`` with one row per member of each sample."""
    if graph.model.__dict__.get("_members", 1) == 1:
        return Z
    n = graph.model.n_outputs_
    return graph.apply(
        apply_reshape, Z, graph.name("per_member"), desired_shape=(-1, n)
    )


def _probabilities(graph, Z, proba_name):
    """The output layer on the logits ``Z`` (each member's, then their mean),
    clipped into (0, 1) like ``predict_proba``, written into ``proba_name``."""
    model = graph.model
    op = row(OUTPUT_LAYERS, model.out_activation_).onnx
    Z = _per_member(graph, Z)
    if op == "Softmax":
        raw = graph.node("Softmax", Z, graph.name("softmax"), axis=1)
    elif op == "Sigmoid":
        if model.n_outputs_ == 1:  # binary: [sigmoid(-z), sigmoid(z)]
            minus_Z = graph.node("Neg", Z, graph.name("minus_Z"))
            Z = graph.node("Concat", [minus_Z, Z], graph.name("both_logits"), axis=1)
        raw = graph.node("Sigmoid", Z, graph.name("sigmoid"))
    else:
        raise _refuse_output(model)
    raw = _member_mean(graph, raw, max(model.n_outputs_, 2))
    finfo = np.finfo(graph.np_dtype)
    graph.apply(
        apply_clip,
        raw,
        proba_name,
        min=np.array(finfo.smallest_subnormal, dtype=finfo.dtype),
        max=np.array(1 - finfo.epsneg, dtype=finfo.dtype),
    )


def _labels(graph, proba_name, label_name):
    """``classes_[argmax(proba)]``, or ``proba > 0.5`` per label (multilabel),
    written into ``label_name``."""
    model = graph.model
    if _is_multilabel(model):
        half = graph.constant("half", 0.5)
        above = graph.node("Greater", [proba_name, half], graph.name("above_half"))
        graph.apply(apply_cast, above, label_name, to=onnx_proto.TensorProto.INT64)
        return
    classes = np.asarray(get_label_classes(graph.scope, model))
    if _integer_labels(classes):
        classes_name = graph.constant(
            "classes", classes.astype(np.int64), onnx_proto.TensorProto.INT64
        )
    else:
        values = np.array([str(c).encode("utf-8") for c in classes])
        classes_name = graph.constant("classes", values, onnx_proto.TensorProto.STRING)
    argmax = graph.node("ArgMax", proba_name, graph.name("argmax"), axis=1, keepdims=0)
    picked = graph.node(
        "ArrayFeatureExtractor",
        [classes_name, argmax],
        graph.name("picked_classes"),
        op_domain="ai.onnx.ml",
    )
    graph.apply(apply_reshape, picked, label_name, desired_shape=(-1,))


def convert_ann_classifier(scope, operator, container):
    """skl2onnx converter: the forward pass, the probabilities and the labels."""
    graph = _Graph(scope, operator, container)
    label_name = operator.outputs[0].full_name
    proba_name = operator.outputs[1].full_name
    Z = _logits(graph, operator.inputs[0].full_name)
    _probabilities(graph, Z, proba_name)
    _labels(graph, proba_name, label_name)


def calculate_ann_regressor_output_shapes(operator):
    """skl2onnx shape calculator: one ``(N, n_outputs)`` tensor of predictions."""
    N, tensor_type = _checked(operator, 1)
    operator.outputs[0].set_type(
        tensor_type(shape=[N, operator.raw_operator.n_outputs_])
    )


def convert_ann_regressor(scope, operator, container):
    """skl2onnx converter: the forward pass, the inverse link and the target
    scale, as :meth:`ANNRegressor.predict` computes them."""
    graph = _Graph(scope, operator, container)
    model = graph.model
    link = row(OUTPUT_LAYERS, model.out_activation_).onnx  # the inverse link
    if link is None:
        raise _refuse_output(model)
    Z = _logits(graph, operator.inputs[0].full_name)
    if link != "Identity":  # "Exp" for the Poisson loss
        Z = graph.node(link, Z, graph.name("mean"))
    Z = _member_mean(graph, Z, model.n_outputs_)
    scale = graph.constant("target_scale", model.target_scale_)
    mean = graph.constant("target_mean", model.target_mean_)
    scaled = graph.node("Mul", [Z, scale], graph.name("scaled"))
    graph.node("Add", [scaled, mean], operator.outputs[0].full_name)


def register():
    """Register the converters of ANNClassifier, ANNRegressor and
    PiecewiseLinearEncoder with skl2onnx.

    Done on import when skl2onnx is installed; calling it again is harmless.

    Raises
    ------
    ImportError
        When skl2onnx is not installed.
    """
    if _MISSING is not None:
        raise ImportError(
            "Exporting skann models to ONNX needs skl2onnx, onnx and onnxruntime: "
            "pip install skl2onnx onnx onnxruntime (or, in a clone of skann, "
            "pip install -e '.[onnx]')"
        ) from _MISSING
    update_registered_converter(
        ANNClassifier,
        ALIAS,
        calculate_ann_classifier_output_shapes,
        convert_ann_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [True, False],
            "output_class_labels": [False, True],
        },
    )
    update_registered_converter(
        ANNRegressor,
        REGRESSOR_ALIAS,
        calculate_ann_regressor_output_shapes,
        convert_ann_regressor,
    )
    update_registered_converter(
        PiecewiseLinearEncoder,
        ENCODER_ALIAS,
        calculate_piecewise_linear_encoder_output_shapes,
        convert_piecewise_linear_encoder,
    )


if _MISSING is None:
    register()
