#!/usr/bin/python3
"""Compose a pack's two CLIP towers into one Hugging Face-style `CLIPModel` ONNX graph.

    /usr/bin/python3 models/scripts/compose_clip_model.py VISION.onnx TEXT.onnx OUT.onnx [--logit-scale 100]

Transformers.js (v3) loads `CLIPModel` for its zero-shot image classification pipeline from one
file, `onnx/model.onnx`, and feeds it the tokenizer's and the image processor's outputs together.
This graph is the two tower graphs unchanged (every node and weight copied, names prefixed
`vision/` and `text/`) plus the head of Hugging Face's CLIPModel.forward:

    inputs   input_ids int64 [text_batch, sequence_length], pixel_values float [image_batch, 3, H, W]
    outputs  image_embeds = normalize(vision(pixel_values))   [image_batch, D]
             text_embeds  = normalize(text(input_ids))        [text_batch, D]
             logits_per_text  = logit_scale * text_embeds @ image_embeds^T
             logits_per_image = logits_per_text^T

No attention_mask input: the pack's text tower is causal and pools at the end token, so padding
after it cannot change the result (Transformers.js only feeds the inputs a graph declares).
"""

import argparse

import onnx
from onnx import TensorProto, compose, helper


def tower(path, prefix):
    model = compose.add_prefix(onnx.load(path), prefix)
    # Every node, value and initializer name is prefixed; the graph input gets its name back.
    for graph_input in model.graph.input:
        prefixed, graph_input.name = graph_input.name, graph_input.name[len(prefix):]
        for node in model.graph.node:
            for i, name in enumerate(node.input):
                if name == prefixed:
                    node.input[i] = graph_input.name
    return model


def compose_clip(vision_path, text_path, logit_scale):
    vision = tower(vision_path, "vision/")
    text = tower(text_path, "text/")
    opsets = {o.domain: o.version for o in vision.opset_import}
    for o in text.opset_import:
        if opsets.get(o.domain, o.version) != o.version:
            raise SystemExit(f"the towers import different {o.domain or 'ai.onnx'} opsets")
        opsets[o.domain] = o.version
    (image_raw,) = [o.name for o in vision.graph.output]
    (text_raw,) = [o.name for o in text.graph.output]
    dim = vision.graph.output[0].type.tensor_type.shape.dim[1].dim_value

    head = [
        helper.make_node("ReduceL2", [image_raw], ["head/image_norm"], axes=[-1], keepdims=1),
        helper.make_node("Div", [image_raw, "head/image_norm"], ["image_embeds"]),
        helper.make_node("ReduceL2", [text_raw], ["head/text_norm"], axes=[-1], keepdims=1),
        helper.make_node("Div", [text_raw, "head/text_norm"], ["text_embeds"]),
        helper.make_node("Transpose", ["image_embeds"], ["head/image_embeds_t"], perm=[1, 0]),
        helper.make_node("MatMul", ["text_embeds", "head/image_embeds_t"], ["head/cosines"]),
        helper.make_node("Mul", ["head/cosines", "head/logit_scale"], ["logits_per_text"]),
        helper.make_node("Transpose", ["logits_per_text"], ["logits_per_image"], perm=[1, 0]),
    ]
    scale = helper.make_tensor("head/logit_scale", TensorProto.FLOAT, [], [float(logit_scale)])
    out = lambda name, *dims: helper.make_tensor_value_info(name, TensorProto.FLOAT, list(dims))  # noqa: E731
    graph = helper.make_graph(
        [*text.graph.node, *vision.graph.node, *head],
        "clip",
        [*text.graph.input, *vision.graph.input],
        [
            out("logits_per_image", "image_batch", "text_batch"),
            out("logits_per_text", "text_batch", "image_batch"),
            out("text_embeds", "text_batch", dim),
            out("image_embeds", "image_batch", dim),
        ],
        initializer=[*text.graph.initializer, *vision.graph.initializer, scale],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(domain, version) for domain, version in opsets.items()],
        producer_name="compose_clip_model.py",
    )
    model.ir_version = vision.ir_version
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vision")
    ap.add_argument("text")
    ap.add_argument("out")
    ap.add_argument("--logit-scale", type=float, default=100.0)
    args = ap.parse_args()
    model = compose_clip(args.vision, args.text, args.logit_scale)
    onnx.save(model, args.out)
    onnx.checker.check_model(args.out, full_check=True)
    print(f"{args.out}: {len(model.graph.node)} nodes, inputs "
          f"{[i.name for i in model.graph.input]}, outputs {[o.name for o in model.graph.output]}")


if __name__ == "__main__":
    main()
