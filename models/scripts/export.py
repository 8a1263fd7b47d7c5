"""ONNX export (opset 17, dynamic batch / sequence) and checks of the exported files."""

import numpy as np
import onnx
import torch

import onnx_numpy

OPSET = 17

# Ops the graphs may use: standard ONNX ops that ONNX Runtime's CPU provider implements.
ALLOWED_OPS = {
    "ArgMax", "Add", "Cast", "Concat", "Constant", "Conv", "Div", "Equal", "Erf", "Flatten",
    "Gather", "Gemm", "Identity", "LayerNormalization", "MatMul", "MaxPool", "Mul", "ReduceSum",
    "Relu", "Reshape", "Shape", "Slice", "Softmax", "Split", "Squeeze", "Sub", "Transpose",
    "Unsqueeze",
}


def export_image_model(model, path, output_name):
    """Export an image model with input pixel_values [batch_size, 3, 28, 28]."""
    dummy = torch.zeros(2, 3, 28, 28)
    torch.onnx.export(
        model, dummy, path, opset_version=OPSET, do_constant_folding=True,
        input_names=["pixel_values"], output_names=[output_name],
        dynamic_axes={"pixel_values": {0: "batch_size"}, output_name: {0: "batch_size"}},
    )
    check(path)


def export_text_model(model, path, context_length, end_id):
    """Export the text tower with input input_ids [batch_size, sequence_length]."""
    dummy = torch.zeros(2, context_length, dtype=torch.long)
    dummy[:, 0] = end_id - 1
    dummy[:, 3] = end_id
    torch.onnx.export(
        model, dummy, path, opset_version=OPSET, do_constant_folding=True,
        input_names=["input_ids"], output_names=["text_embeds"],
        dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                      "text_embeds": {0: "batch_size"}},
    )
    check(path)


def check(path):
    """onnx.checker (full), the opset, and the op whitelist."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != OPSET or any(d not in ("", "ai.onnx") for d in opsets):
        raise ValueError(f"{path}: unexpected opset imports {opsets}")
    ops = {n.op_type for n in model.graph.node}
    if ops - ALLOWED_OPS:
        raise ValueError(f"{path}: ops outside the whitelist: {sorted(ops - ALLOWED_OPS)}")
    return sorted(ops)


def max_abs_diff(path, torch_model, x):
    """Largest |ONNX (numpy evaluator) - torch| over one input batch."""
    sess = onnx_numpy.Session(path)
    with torch.no_grad():
        want = torch_model(x).numpy()
    got = sess.run({sess.input_names[0]: x.numpy()})[sess.output_names[0]]
    if got.shape != want.shape:
        raise ValueError(f"{path}: shape {got.shape} != torch {want.shape}")
    return float(np.abs(got - want).max())


def max_rel_diff(path, torch_model, x):
    """max_abs_diff relative to the largest |torch output| (at least 1): the image tower's
    embeddings are not normalised and reach about 100, where float32 rounding alone is ~1e-5."""
    with torch.no_grad():
        peak = float(torch_model(x).abs().max())
    return max_abs_diff(path, torch_model, x) / max(1.0, peak)


def io_description(path):
    """[(kind, name, elem type, shape with dim names)] for the graph inputs and outputs."""
    model = onnx.load(path)
    inits = {t.name for t in model.graph.initializer}
    out = []
    for kind, values in (("in", model.graph.input), ("out", model.graph.output)):
        for v in values:
            if v.name in inits:
                continue
            t = v.type.tensor_type
            dims = [d.dim_param or d.dim_value for d in t.shape.dim]
            dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t.elem_type].name
            out.append((kind, v.name, dtype, dims))
    return out
