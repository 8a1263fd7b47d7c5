#!/usr/bin/python3
"""Build models/imagenet: MobileNetV2 int8 CNN + a CLIP-style second opinion over ShuffleNet V2.

    /usr/bin/python3 models/scripts/build_imagenet_pack.py [SHARED] [--out models/imagenet]
        [--steps 1600] [--skip-eval]

SHARED is the shared folder (default ../shared relative to the repository root). It must
hold models/imagenet-mini/ (CNN, labels), models/zoo/shufflenet-v2-12-qdq.onnx,
data/clip-bpe/ and data/imagenet-samples/. Needs python3-torch, python3-onnx and Node with
the project's node_modules (onnxruntime-node, sharp) for the measurements.

Seeded and single-threaded: two builds on the same software write identical files.
Prints the measured facts as JSON on stdout; progress on stderr.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import bpe  # noqa: E402
import imagenet_readme  # noqa: E402
import imagenet_text  # noqa: E402
import onnx_quant  # noqa: E402
import quantize_int8  # noqa: E402

SEED = 0
CONTEXT = imagenet_text.CONTEXT

# CLIP's 80 ImageNet prompt templates (openai/CLIP, Prompt_Engineering_for_ImageNet.ipynb, MIT).
CLIP_TEMPLATES = [
    "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.",
    "a photo of the hard to see {}.", "a low resolution photo of the {}.", "a rendering of a {}.",
    "graffiti of a {}.", "a bad photo of the {}.", "a cropped photo of the {}.", "a tattoo of a {}.",
    "the embroidered {}.", "a photo of a hard to see {}.", "a bright photo of a {}.",
    "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
    "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
    "a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.",
    "a painting of a {}.", "a pixelated photo of the {}.", "a sculpture of the {}.",
    "a bright photo of the {}.", "a cropped photo of a {}.", "a plastic {}.",
    "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
    "a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.",
    "a {} in a video game.", "a photo of one {}.", "a doodle of a {}.",
    "a close-up photo of the {}.", "a photo of a {}.", "the origami {}.",
    "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.", "a origami {}.",
    "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
    "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.",
    "a photo of a nice {}.", "a photo of a weird {}.", "a blurry photo of a {}.",
    "a cartoon {}.", "art of a {}.", "a sketch of the {}.", "a embroidered {}.",
    "a pixelated photo of a {}.", "itap of the {}.", "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
    "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
    "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.",
    "the plushie {}.", "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.",
    "a toy {}.", "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.",
    "a tattoo of the {}.",
]
# Held out of training; the pre-computed label embeddings average over these (the same 10 as
# imagenet-mini, so the two packs' embeddings are built alike).
HELD_OUT = [
    "a rendition of a {}.", "a rendering of a {}.", "a photo of the cool {}.", "the cartoon {}.",
    "a blurry photo of a {}.", "a tattoo of a {}.", "a photo of the small {}.",
    "a photo of one {}.", "a close-up photo of a {}.", "a photo of a hard to see {}.",
]
TRAIN_TEMPLATES = [t for t in CLIP_TEMPLATES if t not in HELD_OUT]

# CLIP's list repeats two names; WordNet's own names for the four synsets tell them apart.
RENAMES = {
    657: "missile",                   # n03773504 missile
    744: "projectile, missile",       # n04008634 projectile, missile
    836: "sunglass",                  # n04355933 sunglass (the burning lens)
    837: "sunglasses, dark glasses",  # n04356056 sunglasses, dark glasses, shades
}
EXTRA_NAMES = {744: ["projectile"], 837: ["sunglasses", "dark glasses", "shades"]}

# Broad words whose classes no class name spells out (ImageNet's WordNet hierarchy):
# the 118 dog breeds and the 5 domestic cats.
HYPERNYMS = {
    "dog": list(range(151, 269)), "dogs": list(range(151, 269)), "puppy": list(range(151, 269)),
    "cat": list(range(281, 286)), "cats": list(range(281, 286)), "kitten": list(range(281, 286)),
}
STOPWORDS = {"a", "an", "the", "of", "and", "or", "for", "with", "in", "on", "to", "s"}
KAPPA_FACTORS = [0.25, 0.5, 1.0, 2.0, 4.0]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def node(*args):
    out = subprocess.run(["node", os.path.join(HERE, "imagenet_ort.mjs"), *args], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- vision tower


def shufflenet_classifier(model):
    """fc weight (dequantized from its int8 QDQ form, as the graph computes it) and bias."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    dq = producer["fc.weight_dequantized"]
    assert dq.op_type == "DequantizeLinear"
    q, scale = inits[dq.input[0]].astype(np.float64), inits[dq.input[1]].astype(np.float64)
    zp = inits[dq.input[2]].astype(np.float64) if len(dq.input) > 2 else 0.0
    w = ((q - zp) * scale).astype(np.float32)  # [1024, 1000]
    return w, inits["fc.bias"].astype(np.float32)


FEATURES = "611_Gemm_260_MatMul_dequantized"  # the pooled features exactly as fc reads them


def vision_graph(src, kappa=None):
    """ShuffleNet cut at its pooled features, batch made dynamic. With kappa the output is
    image_embeds = [features, kappa, 0] (1026-d), else the bare 1024-d features."""
    model = onnx.load(src)
    g = model.graph
    g.input[0].type.tensor_type.shape.dim[0].Clear()
    g.input[0].type.tensor_type.shape.dim[0].dim_param = "batch_size"
    reshape_shapes = {n.input[1] for n in g.node if n.op_type == "Reshape"}
    for init in g.initializer:
        if init.name in reshape_shapes:
            shape = numpy_helper.to_array(init).copy()
            assert shape[0] == 1, (init.name, shape)
            shape[0] = 0  # 0 = copy the input's batch dimension
            init.CopyFrom(numpy_helper.from_array(shape, init.name))
    out_name = FEATURES
    if kappa is not None:
        const = numpy_helper.from_array(np.array([[kappa, 0.0]], np.float32), "embed_constants")
        two = numpy_helper.from_array(np.array([2], np.int64), "embed_constants_width")
        zero = numpy_helper.from_array(np.array([0], np.int64), "embed_zero")
        one = numpy_helper.from_array(np.array([1], np.int64), "embed_one")
        g.initializer.extend([const, two, zero, one])
        g.node.extend([
            helper.make_node("Shape", [FEATURES], ["embed_shape"], name="embed_shape"),
            helper.make_node("Slice", ["embed_shape", "embed_zero", "embed_one"], ["embed_batch"],
                             name="embed_batch"),
            helper.make_node("Concat", ["embed_batch", "embed_constants_width"], ["embed_cshape"],
                             axis=0, name="embed_cshape"),
            helper.make_node("Expand", ["embed_constants", "embed_cshape"], ["embed_cols"],
                             name="embed_cols"),
            # Constant columns make cosine(image, class target) proportional to f.W_c + b_c.
            helper.make_node("Concat", [FEATURES, "embed_cols"], ["image_embeds"], axis=1,
                             name="image_embeds"),
        ])
        out_name = "image_embeds"
    width = 1026 if kappa is not None else 1024
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch_size", width]))
    del g.value_info[:]  # shapes recorded for batch 1
    # Drop the classifier and everything else the new output doesn't need.
    needed, keep = {out_name}, []
    for n in reversed(g.node):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    used = [i for i in g.initializer if i.name in needed]
    del g.initializer[:]
    g.initializer.extend(used)
    # Only the default domain is used; the zoo file lists many unused ones.
    keep_ops = [o for o in model.opset_import if o.domain in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend(keep_ops)
    onnx.checker.check_model(model, full_check=True)
    return model


# ---------------------------------------------------------------- text data


def photo_rows(shared):
    path = os.path.join(shared, "data/imagenet-samples/labels.tsv")
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    cols = lines[0]
    return [dict(zip(cols, row)) for row in lines[1:]]


def words(name):
    text = "".join(ch.lower() if ch.isalpha() else " " for ch in name)
    return [w for w in text.split() if len(w) >= 3 and w not in STOPWORDS]


def corpus(labels, rows):
    """(prompt text, class) pairs for training and (word, class distribution) pairs."""
    names = {c: [labels[c]] for c in range(len(labels))}
    for row in rows:  # WordNet lemmas of the sample photos' classes, where they differ
        c = int(row["class_index"])
        if row["wordnet_name"].lower() != labels[c].lower():
            names[c].append(row["wordnet_name"])
    for c, extra in EXTRA_NAMES.items():
        names[c].extend(extra)
    lower_names = {labels[c].lower(): c for c in range(len(labels))}
    by_word = {}
    for c in range(len(labels)):
        for n in names[c]:
            for w in set(words(n)):
                by_word.setdefault(w, set()).add(c)
    word_dists = {}
    for w in sorted(by_word):
        if w in lower_names:
            continue  # a word that is itself a class name is trained as that class
        word_dists[w] = sorted(by_word[w])
    for w, classes in HYPERNYMS.items():
        word_dists[w] = classes
    return names, word_dists


def encode(tok, texts):
    ids = [tok.tokenize(t, CONTEXT)[0] for t in texts]
    return torch.tensor(ids, dtype=torch.long)


# ---------------------------------------------------------------- int8 text tower


def quantize_text(src, dst):
    """quantize_int8 for the MatMuls (per-column symmetric int8), then the token table stored
    as int8 rows with a per-row scale, dequantized in the graph (onnxruntime folds it at load)."""
    tmp = dst + ".tmp"
    stats = quantize_int8.quantize_file(src, tmp, min_elements=4096, unshare_weights=True,
                                        log=lambda *a: None)
    model = onnx.load(tmp)
    os.remove(tmp)
    g = model.graph
    gather = [n for n in g.node if n.op_type == "Gather" and n.input[0] in
              {i.name for i in g.initializer} and n.input[1] == "input_ids"]
    assert len(gather) == 1, [n.name for n in gather]
    name = gather[0].input[0]
    init = next(i for i in g.initializer if i.name == name)
    table = numpy_helper.to_array(init).astype(np.float32)
    scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8)
    g.initializer.remove(init)
    g.initializer.extend([
        numpy_helper.from_array(q, name + "_int8"),
        numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
        numpy_helper.from_array(np.zeros(table.shape[0], np.int8), name + "_zero_point"),
    ])
    deq = helper.make_node("DequantizeLinear", [name + "_int8", name + "_scale", name + "_zero_point"],
                           [name], axis=0, name=name + "_dequantize")
    g.node.insert(0, deq)
    onnx.checker.check_model(model, full_check=True)
    onnx_quant.save(model, dst)
    return stats


# ---------------------------------------------------------------- measuring


def normalize(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def topk(scores, truth, k):
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean([t in row for t, row in zip(truth, order)]))


def nll(scores, truth, scale):
    z = scores * scale
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(truth)), truth].mean())


def fit_scale(scores, truth):
    """Golden-section search of log(scale) minimising the NLL."""
    lo, hi = math.log(1.0), math.log(2000.0)
    phi = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
        if nll(scores, truth, math.exp(a)) < nll(scores, truth, math.exp(b)):
            hi = b
        else:
            lo = a
    return math.exp((lo + hi) / 2)


def embed_labels(text_model, tok, labels, templates, tmp, tag):
    """normalize(sum_t normalize(text_embeds(t(label)))), through onnxruntime like the service."""
    prompts = [t.replace("{}", label) for label in labels for t in templates]
    ids = np.array([tok.tokenize(p, CONTEXT)[0] for p in prompts], dtype=np.int64)
    ids_path, out_path = os.path.join(tmp, f"{tag}.i64"), os.path.join(tmp, f"{tag}.f32")
    ids.tofile(ids_path)
    node("text", text_model, ids_path, str(len(prompts)), str(CONTEXT), out_path)
    e = np.fromfile(out_path, dtype=np.float32).reshape(len(prompts), -1)
    e = normalize(e.astype(np.float64)).reshape(len(labels), len(templates), -1).sum(1)
    return normalize(e).astype(np.float32)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shared", nargs="?", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "imagenet"))
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    started = time.time()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    np.random.seed(SEED)

    shared = os.path.abspath(args.shared)
    mini = os.path.join(shared, "models/imagenet-mini")
    zoo = os.path.join(shared, "models/zoo/shufflenet-v2-12-qdq.onnx")
    bpe_dir = os.path.join(shared, "data/clip-bpe")
    photos = os.path.join(shared, "data/imagenet-samples")
    for p in (mini, zoo, bpe_dir, photos):
        if not os.path.exists(p):
            sys.exit(f"missing input: {p}")
    out = os.path.abspath(args.out)
    service_section = imagenet_readme.kept_section(os.path.join(out, "README.md"))
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "cnn"))
    os.makedirs(os.path.join(out, "clip"))
    tmp = tempfile.mkdtemp(prefix="imagenet-pack-")
    facts = {"steps": args.steps}

    # Labels, configs, tokenizer files.
    with open(os.path.join(mini, "labels.json"), encoding="utf-8") as f:
        clip_names = json.load(f)
    labels = list(clip_names)
    for c, name in RENAMES.items():
        labels[c] = name
    assert len(set(labels)) == 1000
    write_json(os.path.join(out, "labels.json"), labels)
    shutil.copyfile(os.path.join(mini, "cnn/model_int8.onnx"), os.path.join(out, "cnn/model_int8.onnx"))
    for d in ("cnn", "clip"):
        shutil.copyfile(os.path.join(mini, "cnn/preprocessor_config.json"),
                        os.path.join(out, d, "preprocessor_config.json"))
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(os.path.join(bpe_dir, name), os.path.join(out, "clip", name))
    write_json(os.path.join(out, "clip/templates.json"), HELD_OUT)
    tok = bpe.Tokenizer(os.path.join(bpe_dir, "vocab.json"), os.path.join(bpe_dir, "merges.txt"))

    # ShuffleNet: its classifier, its own answers, and its pooled features on the photos.
    rows = photo_rows(shared)
    truth = np.array([int(r["class_index"]) for r in rows])
    zoo_model = onnx.load(zoo)
    w, b = shufflenet_classifier(zoo_model)
    node("photos", zoo, "output", photos, os.path.join(tmp, "zoo_logits.f32"))
    zoo_logits = np.fromfile(os.path.join(tmp, "zoo_logits.f32"), np.float32).reshape(len(rows), 1000)
    feat_path = os.path.join(tmp, "features.onnx")
    onnx.save(vision_graph(zoo), feat_path)
    node("photos", feat_path, FEATURES, photos, os.path.join(tmp, "features.f32"), "--batch", "8")
    f = np.fromfile(os.path.join(tmp, "features.f32"), np.float32).reshape(len(rows), 1024).astype(np.float64)
    own = f @ w + b
    node("photos", os.path.join(out, "cnn/model_int8.onnx"), "output", photos,
         os.path.join(tmp, "cnn_logits.f32"), "--batch", "8")
    cnn_logits = np.fromfile(os.path.join(tmp, "cnn_logits.f32"), np.float32).reshape(len(rows), 1000)
    facts["cnn_top1"], facts["cnn_top5"] = topk(cnn_logits, truth, 1), topk(cnn_logits, truth, 5)
    facts["shufflenet_top1"] = topk(zoo_logits, truth, 1)
    facts["shufflenet_top5"] = topk(zoo_logits, truth, 5)
    facts["features_logits_top1_agreement"] = float(np.mean(own.argmax(1) == zoo_logits.argmax(1)))
    facts["cosine_no_bias_top1"] = topk(normalize(f) @ normalize(w.T.astype(np.float64)).T, truth, 1)
    log(f"shufflenet {facts}")

    # kappa sets how much of the image embedding is the constant: it changes calibration,
    # not ranking. Pick it (and the logit scale) by NLL on the even-indexed photos ("train").
    train_idx, test_idx = np.arange(0, len(rows), 2), np.arange(1, len(rows), 2)
    median_norm = float(np.median(np.linalg.norm(f, axis=1)))
    best = None
    for factor in KAPPA_FACTORS:
        kappa = float(np.float32(factor * median_norm))
        x = normalize(np.concatenate([f, np.full((len(f), 1), kappa), np.zeros((len(f), 1))], 1))
        t = np.concatenate([w.T, (b / kappa)[:, None]], 1).astype(np.float64)
        radius = float(np.linalg.norm(t, axis=1).max())
        t = np.concatenate([t, np.sqrt(np.maximum(radius ** 2 - (t ** 2).sum(1), 0))[:, None]], 1) / radius
        s = x @ t.T
        scale = fit_scale(s[train_idx], truth[train_idx])
        cand = (nll(s[train_idx], truth[train_idx], scale), factor, kappa, scale, t)
        log(f"kappa {factor} x median |f|: scale {scale:.2f}, train NLL {cand[0]:.4f}")
        if best is None or cand[0] < best[0]:
            best = cand
    _, factor, kappa, _, targets = best
    facts.update(kappa=kappa, kappa_factor=factor, median_feature_norm=median_norm)

    vision_path = os.path.join(out, "clip/vision_model_int8.onnx")
    onnx.save(vision_graph(zoo, kappa), vision_path)
    facts["vision_batch"] = node("batch", vision_path, "input", "image_embeds")

    # Text tower.
    names, word_dists = corpus(labels, rows)
    class_texts, class_y = [], []
    for c in range(1000):
        for n in names[c]:
            for t in TRAIN_TEMPLATES:
                class_texts.append(t.replace("{}", n))
                class_y.append(c)
    word_texts, word_q = [], []
    for word, classes in word_dists.items():
        q = torch.zeros(1000)
        q[classes] = 1.0 / len(classes)
        for t in TRAIN_TEMPLATES:
            word_texts.append(t.replace("{}", word))
            word_q.append(q)
    class_ids, word_ids = encode(tok, class_texts), encode(tok, word_texts)
    facts["train_prompts"] = {"class": len(class_texts), "word": len(word_texts), "words": len(word_dists)}
    log(f"corpus {facts['train_prompts']}")
    targets_t = torch.tensor(targets, dtype=torch.float32)
    model = imagenet_text.TextTower(targets_t)
    t0 = time.time()
    facts["train_losses"] = imagenet_text.train(model, class_ids, torch.tensor(class_y), word_ids,
                                                torch.stack(word_q), args.steps, log, seed=SEED)
    facts["train_seconds"] = round(time.time() - t0, 1)
    model.eval()
    text_fp32 = os.path.join(out, "clip/text_model.onnx")
    dummy = torch.zeros(2, CONTEXT, dtype=torch.long)
    dummy[:, 0], dummy[:, 3] = tok.start_id, tok.end_id
    with torch.no_grad():
        torch.onnx.export(model, dummy, text_fp32, opset_version=17, do_constant_folding=True,
                          input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                        "text_embeds": {0: "batch_size"}})
    onnx.checker.check_model(text_fp32, full_check=True)
    text_int8 = os.path.join(out, "clip/text_model_int8.onnx")
    facts["int8_stats"] = {k: v for k, v in quantize_text(text_fp32, text_int8).items()
                           if isinstance(v, (int, float, str))}

    # Pre-computed label embeddings, from the fp32 text tower through onnxruntime.
    emb = embed_labels(text_fp32, tok, labels, HELD_OUT, tmp, "labels_fp32")
    emb.astype("<f4").tofile(os.path.join(out, "clip/text_embeddings.f32"))
    emb8 = embed_labels(text_int8, tok, labels, HELD_OUT, tmp, "labels_int8")
    facts["label_target_cosine_min"] = float((emb.astype(np.float64) * targets).sum(1).min())
    facts["int8_label_cosine_min"] = float((emb8.astype(np.float64) * emb).sum(1).min())
    facts["int8_label_self_rank"] = float(np.mean((emb8 @ emb.T).argmax(1) == np.arange(1000)))

    # The second model through the service's path, on the vision tower's own output.
    node("photos", vision_path, "image_embeds", photos, os.path.join(tmp, "embeds.f32"), "--batch", "8")
    x = np.fromfile(os.path.join(tmp, "embeds.f32"), np.float32).reshape(len(rows), 1026)
    xn = normalize(x.astype(np.float64))
    s32, s8 = xn @ emb.T.astype(np.float64), xn @ emb8.T.astype(np.float64)
    exact = xn @ targets.T
    scale = fit_scale(s32[train_idx], truth[train_idx])
    facts.update(
        clip_top1=topk(s32, truth, 1), clip_top5=topk(s32, truth, 5),
        clip_exact_targets_top1=topk(exact, truth, 1),
        clip_vs_shufflenet_top1_agreement=float(np.mean(s32.argmax(1) == zoo_logits.argmax(1))),
        clip_int8_text_top1=topk(s8, truth, 1),
        int8_fp32_top1_agreement=float(np.mean(s8.argmax(1) == s32.argmax(1))),
        logit_scale=round(scale, 2),
        nll_train=nll(s32[train_idx], truth[train_idx], round(scale, 2)),
        nll_held_out=nll(s32[test_idx], truth[test_idx], round(scale, 2)),
        nll_shufflenet_train=nll(zoo_logits[train_idx], truth[train_idx], 1.0),
        nll_shufflenet_held_out=nll(zoo_logits[test_idx], truth[test_idx], 1.0),
    )
    # "cat" or "dog"? on the photos of the dog breeds and domestic cats.
    pets = [i for i, c in enumerate(truth) if 151 <= c <= 268 or 281 <= c <= 285]
    for tag, model_path in (("fp32", text_fp32), ("int8", text_int8)):
        e = embed_labels(model_path, tok, ["cat", "dog"], HELD_OUT, tmp, f"catdog_{tag}")
        guess = (xn[pets] @ e.T.astype(np.float64)).argmax(1)
        right = [(1 if truth[i] <= 268 else 0) == g for i, g in zip(pets, guess)]
        facts[f"cat_dog_{tag}"] = {"photos": len(pets), "right": int(sum(right))}
    e = embed_labels(text_fp32, tok, ["cat", "dog", "bird", "car", "fish"], HELD_OUT, tmp, "five")
    facts["cat_dog_five_way_pets"] = int(sum(
        (xn[i] @ e.T).argmax() == (1 if truth[i] <= 268 else 0) for i in pets))
    shutil.rmtree(tmp)

    manifest = {
        "name": "imagenet",
        "version": "1.0.0",
        "description": (
            "ImageNet-1k pack with two independent real pretrained models: MobileNetV2 int8 "
            "(ONNX Model Zoo) as the CNN, and a CLIP-style two-tower second opinion whose image "
            "tower is ShuffleNet V2 int8 (ONNX Model Zoo) cut at its pooled features, with a small "
            "text tower over the full CLIP BPE vocabulary trained to point each class prompt at "
            "ShuffleNet's classifier. Not OpenAI CLIP. See README.md."),
        "labels": "labels.json",
        "cnn": {"model": "cnn/model_int8.onnx", "precision": "int8", "input": "input", "output": "output",
                "output_kind": "logits", "preprocess": "cnn/preprocessor_config.json"},
        "clip": {
            "vision": {"model": "clip/vision_model_int8.onnx", "precision": "int8", "input": "input", "output": "image_embeds"},
            "text": {"model": "clip/text_model.onnx", "input": "input_ids", "output": "text_embeds",
                     "precisions": {"fp32": "clip/text_model.onnx", "int8": "clip/text_model_int8.onnx"},
                     "context_length": CONTEXT, "needs_attention_mask": False},
            "tokenizer": {"vocab": "clip/vocab.json", "merges": "clip/merges.txt"},
            "preprocess": "clip/preprocessor_config.json",
            "templates": "clip/templates.json",
            "logit_scale": facts["logit_scale"],
            "text_embeddings": {
                "file": "clip/text_embeddings.f32", "shape": [1000, 1026], "dtype": "float32",
                "layout": "row-major, one L2-normalised row per label in labels.json order, "
                          "averaged over templates.json (fp32 text tower)"},
        },
    }
    write_json(os.path.join(out, "pack.json"), manifest)
    facts["build_seconds"] = round(time.time() - started, 1)
    files = []
    for dirpath, _, filenames in os.walk(out):
        for name in filenames:
            if name != "README.md":
                p = os.path.join(dirpath, name)
                files.append((os.path.relpath(p, out), os.path.getsize(p), sha256(p)))
    facts["files"] = sorted(files)
    imagenet_readme.write(os.path.join(out, "README.md"), facts, service_section)
    print(json.dumps(facts, indent=1))


if __name__ == "__main__":
    main()
