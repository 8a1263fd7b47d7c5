"""A small numpy interpreter for the ONNX ops this pack's graphs use.

Debian's python3-onnx (1.12) has no onnx.reference and Debian ships no
onnxruntime for Python, so this evaluator runs the exported files to check
them against PyTorch and to compute clip/text_embeddings.f32 from the
exported text model itself. An op it does not know raises an error, which
also guards against non-standard ops creeping into the graphs.
"""

import math

import numpy as np
import onnx
from onnx import numpy_helper


def _np_dtype(onnx_type):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv: only group=1, dilation=1")
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, oh, ow, c, kh, kw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw].transpose(0, 2, 3, 1)
    y = (cols.reshape(n * oh * ow, c * kh * kw) @ w.reshape(o, c * kh * kw).T).reshape(n, oh, ow, o)
    y = y.transpose(0, 3, 1, 2)
    if b is not None:
        y = y + b[None, :, None, None]
    return y.astype(x.dtype)


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    if any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("MaxPool: only no padding, floor mode")
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y = np.maximum(y, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return y


def _gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    if c_ is not None:
        y = y + a.get("beta", 1.0) * c_
    return y.astype(a_.dtype)


def _layernorm(x, scale, bias, a):
    axis = a.get("axis", -1)
    axes = tuple(range(axis % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        idx[int(ax)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def _softmax(x, a):
    axis = a.get("axis", -1)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


def _split(x, split, a, n_out):
    axis = a.get("axis", 0)
    if split is None:
        split = [x.shape[axis] // n_out] * n_out
    return np.split(x, np.cumsum(split)[:-1], axis=axis)


def _reducesum(x, axes, a):
    keep = bool(a.get("keepdims", 1))
    if axes is None or len(axes) == 0:
        if a.get("noop_with_empty_axes", 0):
            return x
        return x.sum(keepdims=keep)
    return x.sum(axis=tuple(int(i) for i in axes), keepdims=keep)


def _run_node(op, ins, a, n_out):
    if op == "Conv":
        return [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Relu":
        return [np.maximum(ins[0], 0).astype(ins[0].dtype)]
    if op == "MaxPool":
        return [_maxpool(ins[0], a)]
    if op == "Flatten":
        axis = a.get("axis", 1)
        return [ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)]
    if op == "Gemm":
        return [_gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Constant":
        return [numpy_helper.to_array(a["value"])]
    if op == "Identity":
        return [ins[0]]
    if op == "Shape":
        return [np.array(ins[0].shape, dtype=np.int64)]
    if op == "Gather":
        return [np.take(ins[0], ins[1], axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        y = ins[0]
        for ax in sorted(int(i) % (y.ndim + len(ins[1])) for i in ins[1]):
            y = np.expand_dims(y, ax)
        return [y]
    if op == "Squeeze":
        return [np.squeeze(ins[0], axis=tuple(int(i) for i in ins[1])) if len(ins) > 1 else np.squeeze(ins[0])]
    if op == "Concat":
        return [np.concatenate(ins, axis=a["axis"])]
    if op == "Reshape":
        shape = [ins[0].shape[i] if d == 0 and not a.get("allowzero", 0) else int(d) for i, d in enumerate(ins[1])]
        return [ins[0].reshape(shape)]
    if op == "Transpose":
        return [np.transpose(ins[0], a.get("perm"))]
    if op == "Slice":
        return [_slice(*ins)]
    if op == "Split":
        return _split(ins[0], ins[1] if len(ins) > 1 else None, a, n_out)
    if op == "Add":
        return [ins[0] + ins[1]]
    if op == "Sub":
        return [ins[0] - ins[1]]
    if op == "Mul":
        return [ins[0] * ins[1]]
    if op == "Div":
        if np.issubdtype(ins[0].dtype, np.integer):
            return [ins[0] // ins[1]]
        return [ins[0] / ins[1]]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Erf":
        return [np.vectorize(math.erf, otypes=[ins[0].dtype])(ins[0])]
    if op == "Softmax":
        return [_softmax(ins[0], a)]
    if op == "LayerNormalization":
        return [_layernorm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Cast":
        return [ins[0].astype(_np_dtype(a["to"]))]
    if op == "ArgMax":
        if a.get("select_last_index", 0):
            raise NotImplementedError("ArgMax: select_last_index")
        y = np.argmax(ins[0], axis=a.get("axis", 0))
        if a.get("keepdims", 1):
            y = np.expand_dims(y, a.get("axis", 0))
        return [y.astype(np.int64)]
    if op == "Equal":
        return [np.equal(ins[0], ins[1])]
    if op == "ReduceSum":
        return [_reducesum(ins[0], ins[1] if len(ins) > 1 else None, a)]
    raise NotImplementedError(f"op {op} is not supported by this evaluator")


class Session:
    """Run an ONNX model: Session(path).run({input_name: array}) -> {output_name: array}."""

    def __init__(self, path):
        self.model = onnx.load(path)
        g = self.model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.input_names = [i.name for i in g.input if i.name not in self.inits]
        self.output_names = [o.name for o in g.output]
        self.nodes = list(g.node)

    def op_types(self):
        return sorted({n.op_type for n in self.nodes})

    def run(self, feeds):
        env = dict(self.inits)
        env.update(feeds)
        for node in self.nodes:
            ins = [env[i] if i else None for i in node.input]
            while ins and ins[-1] is None:
                ins.pop()
            outs = _run_node(node.op_type, ins, _attrs(node), len(node.output))
            for name, value in zip(node.output, outs):
                env[name] = np.asarray(value)
        return {name: env[name] for name in self.output_names}
