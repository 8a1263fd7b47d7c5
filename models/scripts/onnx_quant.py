"""Dynamic INT8 quantization of an fp32 ONNX graph: MatMul / Gemm with constant weights.

Each eligible MatMul(A, W) (W a constant float32 initializer of rank 2 with at
least `min_elements` elements) becomes the IntegerOps pattern that
onnxruntime's `quantize_dynamic` emits:

    DynamicQuantizeLinear(A)           -> A_q (uint8), A_scale, A_zp   (one per input tensor)
    MatMulInteger(A_q, W_q, A_zp, W_zp) -> int32                         W_q int8 [K, N], W_zp int8 zeros [N]
    Cast(to float)
    Mul(A_scale, W_scale)              -> per-column scale [N]           (one per MatMul)
    Mul(cast, scales)                  -> the original output name

Gemm(A, B, C) is rewritten the same way (transB folded into the stored weight,
alpha into W_scale) followed by Add(y, beta * C).

Weights are per output column, symmetric: scale_j = max|W[:, j]| / 127,
W_q = round(W / scale_j). With `reduce_range` the weights use 7 bits
([-64, 64]) so that u8 x s8 pair sums cannot saturate int16 in the
AVX2/AVX-512 (no VNNI) kernels.

onnxruntime (graph optimization level "extended" or higher) fuses
MatMulInteger + Cast + Mul(Mul(A_scale, W_scale)) [+ Add(bias)] into
MatMulIntegerToFloat and, when the DynamicQuantizeLinear feeds a single
MatMulInteger, further into DynamicQuantizeMatMul. For the bias fusion the
Add must have the constant bias as its second input, so an Add(bias, y) that
consumes a rewritten output is swapped to Add(y, bias).
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROTOBUF_LIMIT = 2**31 - 1
MIN_OPSET = 11  # DynamicQuantizeLinear


class QuantizeError(Exception):
    pass


def _external_locations(model):
    return {
        entry.value
        for t in model.graph.initializer
        if t.data_location == TensorProto.EXTERNAL
        for entry in t.external_data
        if entry.key == "location"
    }


def load(path):
    """Load a model (external data included) after checking it fits in one protobuf (< 2 GB)."""
    if not os.path.isfile(path):
        raise QuantizeError(f"{path}: no such file")
    model = onnx.load(path, load_external_data=False)
    base = os.path.dirname(os.path.abspath(path))
    locations = _external_locations(model)
    total = os.path.getsize(path)
    for loc in locations:
        full = os.path.join(base, loc)
        if not os.path.isfile(full):
            raise QuantizeError(f"{path}: external data file {loc!r} not found next to the model")
        total += os.path.getsize(full)
    if total >= PROTOBUF_LIMIT:
        raise QuantizeError(
            f"{path}: model plus external data is {total / 2**30:.2f} GiB; this quantizer "
            "handles models under 2 GB only (one protobuf in memory)")
    if locations:
        onnx.external_data_helper.load_external_data_for_model(model, base)
    return model


def save(model, path):
    """Save as one file (no external data); fails clearly if the result would be >= 2 GB."""
    size = model.ByteSize()
    if size >= PROTOBUF_LIMIT:
        raise QuantizeError(f"{path}: quantized model would be {size / 2**30:.2f} GiB, over the 2 GB protobuf limit")
    onnx.save(model, path)


def _default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def _initializer_bytes(graph):
    total = 0
    for t in graph.initializer:
        n = int(np.prod(t.dims)) if len(t.dims) else 1
        total += n * np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]).itemsize
    return total


def quantize_weight(w, reduce_range=False):
    """Per-column symmetric int8: returns (w_q int8 [K, N], scale float32 [N], zero_point int8 [N])."""
    qmax = 64.0 if reduce_range else 127.0
    w = w.astype(np.float32)
    absmax = np.abs(w).max(axis=0)
    scale = (absmax / qmax).astype(np.float32)
    scale[scale == 0] = 1.0
    w_q = np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int8)
    return w_q, scale, np.zeros(w.shape[1], dtype=np.int8)


class _Names:
    def __init__(self, graph):
        self.used = set()
        for n in graph.node:
            self.used.update(n.input)
            self.used.update(n.output)
            self.used.add(n.name)
        for coll in (graph.initializer, graph.input, graph.output, graph.value_info):
            self.used.update(x.name for x in coll)

    def new(self, base):
        name, i = base, 1
        while name in self.used:
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        return name


def quantize_model(model, min_elements=4096, exclude=(), reduce_range=False, unshare_weights=False):
    """Rewrite `model` in place. Returns a stats dict.

    A weight read by several MatMuls is quantized once and shared, unless
    `unshare_weights`: then each node gets its own copy. onnxruntime's
    `session.x64quantprecision=1` (Avx2WeightS8ToU8Transformer) converts the
    int8 weight of every consumer to a uint8 initializer named `<weight>_s8_2_u8`
    and fails to load ("Attempt to replace the existing tensor") when two nodes
    share it.
    """
    graph = model.graph
    opset = _default_opset(model)
    if opset is None or opset < MIN_OPSET:
        raise QuantizeError(f"default-domain opset {opset} < {MIN_OPSET} (DynamicQuantizeLinear needs opset 11)")
    exclude = set(exclude)
    bytes_before = _initializer_bytes(graph)

    inits = {t.name: t for t in graph.initializer}
    graph_inputs = {i.name for i in graph.input}  # an initializer listed as input can be overridden: not constant
    const_nodes = {n.output[0]: n for n in graph.node
                   if n.op_type == "Constant" and any(a.name == "value" for a in n.attribute)}
    consumers = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node, i))
    names = _Names(graph)
    arrays = {}

    def const_array(name):
        if name in graph_inputs:
            return None
        if name not in arrays:
            if name in inits:
                t = inits[name]
            elif name in const_nodes:
                t = next(a.t for a in const_nodes[name].attribute if a.name == "value")
            else:
                return None
            arrays[name] = t
        t = arrays[name]
        if t.data_type != TensorProto.FLOAT:
            return None
        return t

    new_inits = []
    weight_cache = {}  # (name, transposed, alpha, node or None) -> (w_q, scale, zp) tensor names
    act_cache = {}     # activation name -> (q, scale, zp) names
    weight_users = {}  # fp32 weight name -> number of rewritten nodes reading it
    stats = {"matmul": 0, "gemm": 0, "skipped_small": 0, "skipped_rank": 0, "excluded": 0,
             "bias_swapped": 0, "weights": 0, "weight_params": 0}

    def weight_names(bname, transposed, alpha, node_key):
        key = (bname, transposed, alpha, node_key if unshare_weights else None)
        if key not in weight_cache:
            w = numpy_helper.to_array(arrays[bname])
            if transposed:
                w = w.T
            w_q, scale, zp = quantize_weight(w, reduce_range)
            scale = (scale * np.float32(alpha)).astype(np.float32)
            base = bname + ("_T" if transposed else "")
            qn, sn, zn = names.new(base + "_quantized"), names.new(base + "_scale"), names.new(base + "_zero_point")
            new_inits.extend([numpy_helper.from_array(np.ascontiguousarray(w_q), qn),
                              numpy_helper.from_array(scale, sn), numpy_helper.from_array(zp, zn)])
            weight_cache[key] = (qn, sn, zn)
            stats["weights"] += 1
            stats["weight_params"] += int(w.size)
        return weight_cache[key]

    out_nodes = []
    for node in graph.node:
        op = node.op_type
        if op not in ("MatMul", "Gemm") or len(node.input) < 2:
            out_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        b = const_array(node.input[1])
        if b is None or (op == "Gemm" and attrs.get("transA", 0)):
            out_nodes.append(node)
            continue
        if node.name and node.name in exclude:
            stats["excluded"] += 1
            out_nodes.append(node)
            continue
        if len(b.dims) != 2:
            stats["skipped_rank"] += 1
            out_nodes.append(node)
            continue
        if int(np.prod(b.dims)) < min_elements:
            stats["skipped_small"] += 1
            out_nodes.append(node)
            continue

        a_name, out = node.input[0], node.output[0]
        transposed = op == "Gemm" and bool(attrs.get("transB", 0))
        alpha = float(attrs.get("alpha", 1.0)) if op == "Gemm" else 1.0
        wq, ws, wz = weight_names(node.input[1], transposed, alpha, id(node))
        weight_users.setdefault(node.input[1], 0)
        weight_users[node.input[1]] += 1

        if a_name not in act_cache:
            aq, as_, az = (names.new(a_name + "_quantized"), names.new(a_name + "_scale"),
                           names.new(a_name + "_zero_point"))
            out_nodes.append(helper.make_node("DynamicQuantizeLinear", [a_name], [aq, as_, az],
                                              names.new(a_name + "_QuantizeLinear")))
            act_cache[a_name] = (aq, as_, az)
        aq, as_, az = act_cache[a_name]

        base = node.name or out
        mmi_out = names.new(out + "_output_quantized")
        cast_out = names.new(mmi_out + "_cast_output")
        scales = names.new(base + "_quant_scales_mul:0")
        out_nodes.append(helper.make_node("MatMulInteger", [aq, wq, az, wz], [mmi_out], names.new(base + "_quant")))
        out_nodes.append(helper.make_node("Cast", [mmi_out], [cast_out], names.new(mmi_out + "_cast"),
                                          to=TensorProto.FLOAT))
        out_nodes.append(helper.make_node("Mul", [as_, ws], [scales], names.new(base + "_quant_scales_mul")))

        c_name = node.input[2] if op == "Gemm" and len(node.input) > 2 and node.input[2] else None
        y = out if c_name is None else names.new(out + "_no_bias")
        out_nodes.append(helper.make_node("Mul", [cast_out, scales], [y], names.new(base + "_quant_output_scale_mul")))
        if c_name is not None:
            beta = float(attrs.get("beta", 1.0))
            c = const_array(c_name)
            if beta == 1.0:
                bias = c_name
            elif c is not None:
                bias = names.new(c_name + "_beta")
                new_inits.append(numpy_helper.from_array(
                    (numpy_helper.to_array(c) * np.float32(beta)).astype(np.float32), bias))
            else:
                beta_name = names.new(c_name + "_beta_value")
                new_inits.append(numpy_helper.from_array(np.array(beta, dtype=np.float32), beta_name))
                bias = names.new(c_name + "_times_beta")
                out_nodes.append(helper.make_node("Mul", [c_name, beta_name], [bias], names.new(bias)))
            out_nodes.append(helper.make_node("Add", [y, bias], [out], names.new(base + "_quant_bias_add")))
            stats["gemm"] += 1
        else:
            stats["matmul"] += 1
            # Bias fusion wants Add(y, bias): swap Add(bias, y) when the bias is a constant vector.
            users = consumers.get(out, [])
            if len(users) == 1 and users[0][0].op_type == "Add" and users[0][1] == 1:
                add = users[0][0]
                bias = const_array(add.input[0])
                if bias is not None and len(bias.dims) >= 1 and all(d == 1 for d in bias.dims[:-1]) \
                        and bias.dims[-1] > 1:
                    add.input[0], add.input[1] = add.input[1], add.input[0]
                    stats["bias_swapped"] += 1

    del graph.node[:]
    graph.node.extend(out_nodes)

    # Drop fp32 weights (initializers or Constant nodes) nothing reads any more.
    used = {name for n in graph.node for name in n.input} | {o.name for o in graph.output}
    kept_nodes = [n for n in graph.node if not (n.op_type == "Constant" and n.output[0] in const_nodes
                                                 and n.output[0] not in used)]
    if len(kept_nodes) != len(graph.node):
        del graph.node[:]
        graph.node.extend(kept_nodes)
    kept = [t for t in graph.initializer if t.name in used or t.name in graph_inputs]
    dropped = {t.name for t in graph.initializer} - {t.name for t in kept}
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    vi = [v for v in graph.value_info if v.name not in dropped]
    if len(vi) != len(graph.value_info):
        del graph.value_info[:]
        graph.value_info.extend(vi)

    stats["shared_weights"] = sorted(n for n, c in weight_users.items() if c > 1)
    stats["bytes_before"] = bytes_before
    stats["bytes_after"] = _initializer_bytes(graph)
    return stats
