"""The trained network as an ONNX model: the same layers, weights and softmax for any
runtime that reads ONNX (onnxruntime in Python, C++, C#, Java and JavaScript, and the
converters to phones and browsers), with what its input must be written inside.

The graph is the forward pass of mlp.MLP, one node per equation:

    z[l] = a[l-1] W[l] + b[l]     Gemm           (a[0] = pixels)
    a[l] = f(z[l])                LeakyRelu, Relu, Sigmoid or Tanh (hidden layers)
    p    = softmax(z[L])          Softmax over axis 1

Opset 13, the first in which Softmax is taken over one axis only (what an [N, 10] output
wants; before it, over all the axes after the given one flattened together), and old
enough for every runtime in use: nothing the network needs is newer. The IR version is
the one opset 13 came with (7), so that runtimes older than this onnx release read it.
The same arrays, metadata and onnx release give the same bytes, so DVC's hash of the file
is stable: nothing in it depends on the time, the folder or the commit.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mlp import MLP
from mlp.activations import Activation
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS

OPSET = 13
INPUT = "pixels"
OUTPUT = "probabilities"
# The activations of mlp, as ONNX operators; f(z) = max(z, slope z) is LeakyRelu's alpha.
OPERATORS = {"leaky_relu": "LeakyRelu", "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}

INPUT_CONTRACT = (
    f"float32 [N, {PIXELS}], values in [0, 1]: each row one 28x28 image, row by row from the top "
    "left, a white digit (1) on black (0), scaled to fit a 20x20 box and centred by its centre "
    "of mass in the 28x28 frame, as MNIST was made"
)
OUTPUT_CONTRACT = (
    f"float32 [N, {N_CLASSES}]: the probabilities of the digits 0 to 9, a softmax that sums to 1; "
    "the prediction is the largest"
)


def activation_node(activation: Activation, source: str, target: str, layer: int) -> onnx.NodeProto:
    operator = OPERATORS[activation.name]
    attributes = {"alpha": activation.slope} if operator == "LeakyRelu" else {}
    return helper.make_node(operator, [source], [target], name=f"activation{layer}", **attributes)


def not_float32(model: MLP) -> str | None:
    """Why `model` cannot be exported as it is (its arrays must be float32, as the train
    stage writes them and the graph declares its input), or None."""
    for layer, (W, b) in enumerate(zip(model.weights, model.biases, strict=True), start=1):
        if W.dtype != np.float32 or b.dtype != np.float32:
            return (
                f"W{layer} and b{layer} are {W.dtype} and {b.dtype}; "
                "expected float32, as the train stage writes"
            )
    return None


def to_onnx(model: MLP, metadata: dict[str, str]) -> onnx.ModelProto:
    """`model` as an ONNX model carrying `metadata` (text keys and values) besides the input
    and output contracts; checked in full by ONNX's own checker before it is returned."""
    if problem := not_float32(model):
        raise ValueError(problem)
    layers = len(model.weights)
    sizes = [PIXELS, *model.widths, N_CLASSES]
    initializers, nodes = [], []
    previous = INPUT
    for layer, (W, b) in enumerate(zip(model.weights, model.biases, strict=True), start=1):
        for name, array, what in ((f"W{layer}", W, "weights"), (f"b{layer}", b, "biases")):
            tensor = numpy_helper.from_array(array, name)
            tensor.doc_string = f"layer {layer}'s {what}, {list(array.shape)}"
            initializers.append(tensor)
        output_layer = layer == layers
        z = "logits" if output_layer else f"z{layer}"
        nodes.append(
            helper.make_node("Gemm", [previous, f"W{layer}", f"b{layer}"], [z], name=f"layer{layer}")
        )
        if output_layer:
            nodes.append(helper.make_node("Softmax", [z], [OUTPUT], name="softmax", axis=1))
        else:
            previous = f"a{layer}"
            nodes.append(activation_node(model.activation, z, previous, layer))
    shape = "-".join(map(str, sizes))
    graph = helper.make_graph(
        nodes,
        "mnist_mlp",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", PIXELS], INPUT_CONTRACT)],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", N_CLASSES], OUTPUT_CONTRACT)],
        initializers,
        doc_string=f"A {shape} multilayer perceptron, {model.activation.name} hidden units, trained on MNIST",
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", OPSET)]),
        producer_name="numpy-mlp-mnist",
        doc_string=f"{shape} MLP trained on MNIST; input: {INPUT_CONTRACT}; output: {OUTPUT_CONTRACT}",
    )
    helper.set_model_props(onnx_model, {"input": INPUT_CONTRACT, "output": OUTPUT_CONTRACT} | metadata)
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def with_hidden_outputs(onnx_model: onnx.ModelProto, widths: list[int]) -> onnx.ModelProto:
    """A copy of `onnx_model` that also outputs each hidden layer's activations, a1, a2, ...
    (float32 [N, width]), for a page that lights the hidden units as the network reads."""
    shown = onnx.ModelProto()
    shown.CopyFrom(onnx_model)
    for layer, width in enumerate(widths, start=1):
        shown.graph.output.append(
            helper.make_tensor_value_info(
                f"a{layer}", TensorProto.FLOAT, ["N", width], f"hidden layer {layer}'s activations"
            )
        )
    onnx.checker.check_model(shown, full_check=True)
    return shown
