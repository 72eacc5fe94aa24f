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
have.  With ``numerical_embedding="ple"`` (and in the encoder's graph) the
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
_HIDDEN_ACTIVATIONS = tuple(h.name for h in HIDDEN if h.onnx)
_OUTPUTS = tuple(o.name for o in OUTPUT_LAYERS if o.onnx)


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


def _logits(scope, container, model, input_name, proto_dtype):
    """``Z_k = A_{k-1} @ W_k + b_k`` with the hidden activation between layers."""
    np_dtype = (
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    hidden = row(HIDDEN, model._activation).onnx
    if hidden is None:
        raise NotImplementedError(
            f"skann.onnx cannot convert the activation {model._activation!r}; "
            f"it converts {_HIDDEN_ACTIVATIONS}."
        )
    last = len(model.coefs_) - 1
    A = scope.get_unique_variable_name("X")
    apply_cast(scope, input_name, A, container, to=proto_dtype)
    scaling = model.__dict__.get("_scaling")
    if scaling is not None:  # input_scaling
        A = _smooth_clip(scope, container, scaling, A, proto_dtype)
    bins = model.__dict__.get("_bins")
    if bins is not None:  # numerical_embedding
        A = _encoding(scope, container, bins, A, proto_dtype)
    for k, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        W_name = scope.get_unique_variable_name(f"W{k + 1}")
        b_name = scope.get_unique_variable_name(f"b{k + 1}")
        container.add_initializer(
            W_name, proto_dtype, list(W.shape), W.astype(np_dtype).ravel()
        )
        container.add_initializer(b_name, proto_dtype, [b.size], b.astype(np_dtype))
        product = scope.get_unique_variable_name(f"XW{k + 1}")
        container.add_node(
            "MatMul",
            [A, W_name],
            product,
            name=scope.get_unique_operator_name("MatMul"),
        )
        Z = scope.get_unique_variable_name(f"Z{k + 1}")
        container.add_node(
            "Add", [product, b_name], Z, name=scope.get_unique_operator_name("Add")
        )
        if k < last and hidden != "Identity":
            A = scope.get_unique_variable_name(f"A{k + 1}")
            container.add_node(
                hidden, Z, A, name=scope.get_unique_operator_name(hidden)
            )
        else:
            A = Z
    return A


def _smooth_clip(scope, container, scaling, X, proto_dtype):
    """``X`` smoothly clipped as :func:`skann._preprocessing.smooth_clip`
    computes it: ``z = (x - center) / scale``, then
    ``z / sqrt(1 + (z * inverse_clip) ** 2)``."""
    np_dtype = (
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    names = {}
    for key in ("center", "scale", "inverse_clip"):
        names[key] = scope.get_unique_variable_name(f"clip_{key}")
        value = scaling[key].astype(np_dtype)
        container.add_initializer(names[key], proto_dtype, [value.size], value)
    one = scope.get_unique_variable_name("clip_one")
    container.add_initializer(one, proto_dtype, [1], np.ones(1, dtype=np_dtype))

    def node(op, inputs):
        out = scope.get_unique_variable_name("clip")
        container.add_node(op, inputs, out, name=scope.get_unique_operator_name(op))
        return out

    Z = node("Div", [node("Sub", [X, names["center"]]), names["scale"]])
    bent = node("Mul", [Z, names["inverse_clip"]])
    bent = node("Sqrt", [node("Add", [node("Mul", [bent, bent]), one])])
    return node("Div", [Z, bent])


def _encoding(scope, container, bins, X, proto_dtype, output=None):
    """The piecewise-linear encoding of ``X`` as :func:`skann._preprocessing.encode`
    computes it: gather each output's column, subtract its bin's left edge,
    divide by its width, then bound it below and above (``-inf`` / ``inf``
    where a side is open)."""
    np_dtype = (
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    n = bins["feature"].size
    names = {}
    for key in ("left", "width", "low", "high"):
        names[key] = scope.get_unique_variable_name(f"ple_{key}")
        container.add_initializer(
            names[key], proto_dtype, [n], bins[key].astype(np_dtype)
        )
    index = scope.get_unique_variable_name("ple_feature")
    container.add_initializer(
        index, onnx_proto.TensorProto.INT64, [n], bins["feature"].astype(np.int64)
    )
    steps = [
        ("Gather", [X, index], {"axis": 1}),
        ("Sub", [names["left"]], {}),
        ("Div", [names["width"]], {}),
        ("Max", [names["low"]], {}),
        ("Min", [names["high"]], {}),
    ]
    A = X
    for k, (op, inputs, attributes) in enumerate(steps):
        last = k == len(steps) - 1
        out = output if last and output else scope.get_unique_variable_name("ple")
        container.add_node(
            op,
            inputs if op == "Gather" else [A, *inputs],
            out,
            name=scope.get_unique_operator_name(op),
            **attributes,
        )
        A = out
    return A


def calculate_piecewise_linear_encoder_output_shapes(operator):
    """skl2onnx shape calculator: one ``(N, n_encoded)`` tensor."""
    N, tensor_type = _checked(operator, 1)
    n = operator.raw_operator._bins["feature"].size
    operator.outputs[0].set_type(tensor_type(shape=[N, n]))


def convert_piecewise_linear_encoder(scope, operator, container):
    """skl2onnx converter: :meth:`PiecewiseLinearEncoder.transform`."""
    proto_dtype = _proto_dtype(operator)
    X = scope.get_unique_variable_name("X")
    apply_cast(scope, operator.inputs[0].full_name, X, container, to=proto_dtype)
    bins = operator.raw_operator._bins
    _encoding(scope, container, bins, X, proto_dtype, operator.outputs[0].full_name)


def _probabilities(scope, container, model, Z, proba_name, proto_dtype):
    """The output layer, clipped into (0, 1) like ``predict_proba``."""
    op = row(OUTPUT_LAYERS, model.out_activation_).onnx
    if op == "Softmax":
        raw = scope.get_unique_variable_name("softmax")
        container.add_node(
            "Softmax", Z, raw, axis=1, name=scope.get_unique_operator_name("Softmax")
        )
    elif op == "Sigmoid":
        if model.n_outputs_ == 1:  # binary: [sigmoid(-z), sigmoid(z)]
            minus_Z = scope.get_unique_variable_name("minus_Z")
            container.add_node(
                "Neg", Z, minus_Z, name=scope.get_unique_operator_name("Neg")
            )
            both = scope.get_unique_variable_name("both_logits")
            container.add_node(
                "Concat",
                [minus_Z, Z],
                both,
                axis=1,
                name=scope.get_unique_operator_name("Concat"),
            )
            Z = both
        raw = scope.get_unique_variable_name("sigmoid")
        container.add_node(
            "Sigmoid", Z, raw, name=scope.get_unique_operator_name("Sigmoid")
        )
    else:
        raise NotImplementedError(
            f"skann.onnx cannot convert the output layer {model.out_activation_!r}; "
            f"it converts {_OUTPUTS}."
        )
    finfo = np.finfo(
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    apply_clip(
        scope,
        raw,
        proba_name,
        container,
        min=np.array(finfo.smallest_subnormal, dtype=finfo.dtype),
        max=np.array(1 - finfo.epsneg, dtype=finfo.dtype),
    )


def _labels(scope, container, model, proba_name, label_name, proto_dtype):
    """``classes_[argmax(proba)]``, or ``proba > 0.5`` per label (multilabel)."""
    if _is_multilabel(model):
        half = scope.get_unique_variable_name("half")
        container.add_initializer(half, proto_dtype, [], [0.5])
        above = scope.get_unique_variable_name("above_half")
        container.add_node(
            "Greater",
            [proba_name, half],
            above,
            name=scope.get_unique_operator_name("Greater"),
        )
        apply_cast(scope, above, label_name, container, to=onnx_proto.TensorProto.INT64)
        return
    classes = np.asarray(get_label_classes(scope, model))
    if _integer_labels(classes):
        class_type = onnx_proto.TensorProto.INT64
        values = classes.astype(np.int64)
    else:
        class_type = onnx_proto.TensorProto.STRING
        values = np.array([str(c).encode("utf-8") for c in classes])
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, class_type, [values.size], values)
    argmax = scope.get_unique_variable_name("argmax")
    container.add_node(
        "ArgMax",
        proba_name,
        argmax,
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    picked = scope.get_unique_variable_name("picked_classes")
    container.add_node(
        "ArrayFeatureExtractor",
        [classes_name, argmax],
        picked,
        op_domain="ai.onnx.ml",
        name=scope.get_unique_operator_name("ArrayFeatureExtractor"),
    )
    apply_reshape(scope, picked, label_name, container, desired_shape=(-1,))


def convert_ann_classifier(scope, operator, container):
    """skl2onnx converter: the forward pass, the probabilities and the labels."""
    model = operator.raw_operator
    proto_dtype = _proto_dtype(operator)
    label_name = operator.outputs[0].full_name
    proba_name = operator.outputs[1].full_name
    Z = _logits(scope, container, model, operator.inputs[0].full_name, proto_dtype)
    _probabilities(scope, container, model, Z, proba_name, proto_dtype)
    _labels(scope, container, model, proba_name, label_name, proto_dtype)


def calculate_ann_regressor_output_shapes(operator):
    """skl2onnx shape calculator: one ``(N, n_outputs)`` tensor of predictions."""
    N, tensor_type = _checked(operator, 1)
    operator.outputs[0].set_type(
        tensor_type(shape=[N, operator.raw_operator.n_outputs_])
    )


def convert_ann_regressor(scope, operator, container):
    """skl2onnx converter: the forward pass, the inverse link and the target
    scale, as :meth:`ANNRegressor.predict` computes them."""
    model = operator.raw_operator
    proto_dtype = _proto_dtype(operator)
    np_dtype = (
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    link = row(OUTPUT_LAYERS, model.out_activation_).onnx  # the inverse link
    if link is None:
        raise NotImplementedError(
            f"skann.onnx cannot convert the output layer {model.out_activation_!r}; "
            f"it converts {_OUTPUTS}."
        )
    Z = _logits(scope, container, model, operator.inputs[0].full_name, proto_dtype)
    if link != "Identity":  # "Exp" for the Poisson loss
        A = scope.get_unique_variable_name("mean")
        container.add_node(link, Z, A, name=scope.get_unique_operator_name(link))
        Z = A
    scale = scope.get_unique_variable_name("target_scale")
    mean = scope.get_unique_variable_name("target_mean")
    n = model.n_outputs_
    container.add_initializer(
        scale, proto_dtype, [n], model.target_scale_.astype(np_dtype)
    )
    container.add_initializer(
        mean, proto_dtype, [n], model.target_mean_.astype(np_dtype)
    )
    scaled = scope.get_unique_variable_name("scaled")
    container.add_node(
        "Mul", [Z, scale], scaled, name=scope.get_unique_operator_name("Mul")
    )
    container.add_node(
        "Add",
        [scaled, mean],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name("Add"),
    )


def register():
    """Register the ANNClassifier and ANNRegressor converters with skl2onnx.

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
