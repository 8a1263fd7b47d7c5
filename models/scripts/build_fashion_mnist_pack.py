#!/usr/bin/python3
"""Build the fashion-mnist model pack (models/fashion-mnist/) from Debian's dataset-fashion-mnist.

Trains the classifier CNN and the two CLIP towers, exports them to ONNX,
checks the exports, writes every pack file and prints the measured test
accuracies as JSON. Seeded and deterministic.

    /usr/bin/python3 models/scripts/build_fashion_mnist_pack.py
"""

import argparse
import hashlib
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Idle OpenMP threads sleep instead of spinning: much faster when other
# processes share the two cores; the numbers computed are the same.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bpe  # noqa: E402
import export  # noqa: E402
import fashion_mnist  # noqa: E402
import onnx_numpy  # noqa: E402
import pack_files  # noqa: E402
import pack_readme  # noqa: E402
import prompts  # noqa: E402
import towers  # noqa: E402
import train  # noqa: E402

CONTEXT_LENGTH = 16
EMBED_DIM = 64
MAX_MERGES = 1000
CNN_SEED = 1
CLIP_SEED = 2
VISION_SEED = 3
EVAL_BATCH = 500
ONNX_EVAL = 1000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def l2n(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def topk_accuracy(probs, labels, k):
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float((top == labels[:, None]).any(1).mean())


def run_batched(sess, x):
    name_in, name_out = sess.input_names[0], sess.output_names[0]
    return np.concatenate([sess.run({name_in: x[i:i + EVAL_BATCH]})[name_out]
                           for i in range(0, x.shape[0], EVAL_BATCH)])


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def text_embeddings(sess, tokenizer, labels, templates):
    """Row c = normalize(sum_t normalize(text_embeds(tokenize(t.format(labels[c])))))."""
    rows = []
    for label in labels:
        ids = np.array([tokenizer.tokenize(t.format(label), CONTEXT_LENGTH)[0] for t in templates], dtype=np.int64)
        emb = sess.run({"input_ids": ids})["text_embeds"]
        rows.append(l2n(l2n(emb).sum(0)))
    return np.stack(rows).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "fashion-mnist"))
    ap.add_argument("--cnn-epochs", type=float, default=4)
    ap.add_argument("--clip-epochs", type=float, default=3)
    ap.add_argument("--vision-epochs", type=float, default=8)
    ap.add_argument("--eval-limit", type=int, default=10000, help="test images to evaluate (debugging)")
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    t_start = time.time()
    out = args.out
    for sub in ("cnn", "clip", "samples"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    P = lambda *p: os.path.join(out, *p)  # noqa: E731

    # Data and normalisation.
    train_u8, train_y = fashion_mnist.load("train")
    test_u8, test_y = fashion_mnist.load("t10k")
    mean_raw, std_raw = fashion_mnist.mean_std(train_u8)
    mean, std = round(mean_raw, 4), round(std_raw, 4)
    x_train = train.normalize_images(train_u8, mean, std)
    y_train = torch.from_numpy(train_y)
    x_test = train.normalize_images(test_u8[:args.eval_limit], mean, std)
    y_test = test_y[:args.eval_limit]
    labels = fashion_mnist.LABELS

    # Tokenizer.
    merges = bpe.train(prompts.corpus(), MAX_MERGES)
    bpe.write_files(merges, P("clip", "vocab.json"), P("clip", "merges.txt"))
    tok = bpe.Tokenizer(P("clip", "vocab.json"), P("clip", "merges.txt"))
    max_prompt = max(len(tok.encode(s)) for s in prompts.corpus())
    if max_prompt > CONTEXT_LENGTH - 2:
        raise SystemExit(f"a corpus prompt has {max_prompt} tokens; context is {CONTEXT_LENGTH}")
    whole = sum(len(tok.bpe(p).split(" ")) == 1 for s in prompts.corpus() for p in bpe.pretokenize(bpe.clean(s)))
    pretokens = sum(1 for s in prompts.corpus() for p in bpe.pretokenize(bpe.clean(s)))

    # Classifier CNN.
    t0 = time.time()
    cnn = train.train_classifier(x_train, y_train, args.cnn_epochs, CNN_SEED, log=log)
    cnn_seconds = time.time() - t0
    export.export_image_model(towers.fold_for_export(cnn), P("cnn", "model.onnx"), "logits")

    # CLIP towers. The contrastive run gives the text tower and the temperature; its image tower
    # only served as the text tower's partner and is replaced below.
    t0 = time.time()
    _, text, scale = train.train_clip(x_train, y_train, tok, CONTEXT_LENGTH, args.clip_epochs, CLIP_SEED,
                                      embed_dim=EMBED_DIM, log=log)
    clip_seconds = time.time() - t0
    logit_scale = round(float(scale().detach()), 4)
    export.export_text_model(text, P("clip", "text_model.onnx"), CONTEXT_LENGTH, tok.end_id)

    # ONNX vs torch, dynamic batch and sequence length.
    checks = {}
    checks["cnn"] = max(export.max_abs_diff(P("cnn", "model.onnx"), cnn, x_test[:64]),
                        export.max_abs_diff(P("cnn", "model.onnx"), cnn, x_test[64:65]),
                        export.max_abs_diff(P("cnn", "model.onnx"), cnn, x_test[65:72]))
    prompt_ids = torch.tensor([tok.tokenize(t.format(l), CONTEXT_LENGTH)[0]
                               for t in prompts.HELD_OUT_TEMPLATES for l in labels])
    checks["text"] = max(export.max_abs_diff(P("clip", "text_model.onnx"), text, prompt_ids),
                         export.max_abs_diff(P("clip", "text_model.onnx"), text, prompt_ids[:1]))
    text_sess = onnx_numpy.Session(P("clip", "text_model.onnx"))
    one = tok.tokenize("a photo of a sneaker.", CONTEXT_LENGTH)
    padded = text_sess.run({"input_ids": np.array([one[0]], dtype=np.int64)})["text_embeds"]
    trimmed = text_sess.run({"input_ids": np.array([one[0][:one[1]]], dtype=np.int64)})["text_embeds"]
    checks["text_padding"] = float(np.abs(padded - trimmed).max())
    if max(checks.values()) > 1e-4:
        raise SystemExit(f"ONNX does not match torch: {checks}")

    # Label embeddings through the exported text model; torch must agree to 1e-5.
    emb = text_embeddings(text_sess, tok, labels, prompts.HELD_OUT_TEMPLATES)
    with torch.no_grad():
        ref = [F.normalize(F.normalize(text(torch.tensor([tok.tokenize(t.format(l), CONTEXT_LENGTH)[0]
                                                          for t in prompts.HELD_OUT_TEMPLATES])), dim=-1).sum(0),
                           dim=0) for l in labels]
    checks["text_embeddings"] = float(np.abs(emb - torch.stack(ref).numpy()).max())
    if checks["text_embeddings"] > 1e-5:
        raise SystemExit(f"text embeddings: ONNX and torch differ by {checks['text_embeddings']}")
    emb.astype("<f4").tofile(P("clip", "text_embeddings.f32"))

    # The image tower, trained against the label embeddings just written, scored as the service
    # scores it (normalised embedding · rows × logit_scale).
    t0 = time.time()
    vision = train.train_vision(x_train, y_train, emb, logit_scale, args.vision_epochs, VISION_SEED,
                                embed_dim=EMBED_DIM, log=log)
    vision_seconds = time.time() - t0
    export.export_image_model(towers.fold_for_export(vision), P("clip", "vision_model.onnx"), "image_embeds")
    checks["vision"] = max(export.max_rel_diff(P("clip", "vision_model.onnx"), vision, x_test[:64]),
                           export.max_rel_diff(P("clip", "vision_model.onnx"), vision, x_test[64:65]),
                           export.max_rel_diff(P("clip", "vision_model.onnx"), vision, x_test[65:72]))
    if checks["vision"] > 1e-4:
        raise SystemExit(f"ONNX does not match torch: {checks}")

    # Test accuracy: the exported (BN-folded) modules in PyTorch on every test image,
    # and the ONNX files themselves (numpy evaluator) on the first ONNX_EVAL images,
    # which must give the same predictions.
    t0 = time.time()
    cnn_export, vision_export = towers.fold_for_export(cnn), towers.fold_for_export(vision)
    with torch.no_grad():
        logits = torch.cat([cnn_export(x_test[i:i + EVAL_BATCH]) for i in range(0, len(y_test), EVAL_BATCH)]).numpy()
        image_embeds = torch.cat([vision_export(x_test[i:i + EVAL_BATCH])
                                  for i in range(0, len(y_test), EVAL_BATCH)]).numpy()
    emb_file = np.fromfile(P("clip", "text_embeddings.f32"), dtype="<f4").reshape(len(labels), EMBED_DIM)

    def probabilities(logits, image_embeds):
        p_cnn = softmax(logits.astype(np.float64))
        p_clip = softmax(logit_scale * l2n(image_embeds.astype(np.float64)) @ emb_file.T.astype(np.float64))
        return p_cnn, p_clip, (p_cnn + p_clip) / 2

    p_cnn, p_clip, p_ens = probabilities(logits, image_embeds)
    accuracy = {name: {"top1": topk_accuracy(p, y_test, 1), "top5": topk_accuracy(p, y_test, 5)}
                for name, p in (("cnn", p_cnn), ("clip", p_clip), ("ensemble", p_ens))}
    n_onnx = min(ONNX_EVAL, len(y_test))
    x_np = x_test[:n_onnx].numpy()
    onnx_logits = run_batched(onnx_numpy.Session(P("cnn", "model.onnx")), x_np)
    onnx_embeds = run_batched(onnx_numpy.Session(P("clip", "vision_model.onnx")), x_np)
    onnx_p = probabilities(onnx_logits, onnx_embeds)
    checks["onnx_eval_images"] = n_onnx
    checks["onnx_eval_prediction_mismatches"] = int(sum(
        (a[:n_onnx].argmax(1) != b.argmax(1)).sum() for a, b in zip((p_cnn, p_clip, p_ens), onnx_p)))
    # Relative to each output's largest magnitude (at least 1): the embeddings reach about 100.
    checks["onnx_eval_max_rel_diff"] = float(max(
        np.abs(onnx_logits - logits[:n_onnx]).max() / max(1.0, float(np.abs(logits).max())),
        np.abs(onnx_embeds - image_embeds[:n_onnx]).max() / max(1.0, float(np.abs(image_embeds).max()))))
    if checks["onnx_eval_prediction_mismatches"] or checks["onnx_eval_max_rel_diff"] > 1e-4:
        raise SystemExit(f"ONNX evaluation disagrees with PyTorch: {checks}")
    # The CLIP path with other run-time label sets (embedded through the ONNX text model).
    for name, alt in (("synonym_labels", prompts.SYNONYM_LABELS), ("unseen_labels", prompts.UNSEEN_LABELS)):
        alt_emb = text_embeddings(text_sess, tok, alt, prompts.HELD_OUT_TEMPLATES).astype(np.float64)
        p_alt = softmax(logit_scale * l2n(image_embeds.astype(np.float64)) @ alt_emb.T)
        accuracy["clip_" + name] = {"top1": topk_accuracy(p_alt, y_test, 1), "top5": topk_accuracy(p_alt, y_test, 5)}
    eval_seconds = time.time() - t0
    clip_confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(clip_confusion, (y_test, p_clip.argmax(1)), 1)
    cnn_confusion = np.zeros_like(clip_confusion)
    np.add.at(cnn_confusion, (y_test, p_cnn.argmax(1)), 1)

    # Small files.
    pack_files.write_json(P("labels.json"), labels)
    pack_files.write_json(P("clip", "templates.json"), prompts.HELD_OUT_TEMPLATES)
    for sub in ("cnn", "clip"):
        pack_files.write_json(P(sub, "preprocessor_config.json"), pack_files.preprocessor_config(mean, std))
    pack_files.write_golden(P("clip", "tokenizer_golden.json"),
                            pack_files.golden(tok, CONTEXT_LENGTH, "vocab.json", "merges.txt"))
    samples = pack_files.write_samples(P("samples"), test_u8, test_y, labels)
    manifest = {
        "name": "fashion-mnist",
        "version": "1.0.0",
        "description": "Fashion-MNIST (28x28 greyscale clothing, 10 classes) pack trained for this project: a small "
                       "CNN classifier plus a small CLIP-style two-tower model (a tiny causal transformer over the "
                       "pack's own CLIP-format BPE vocabulary as text tower, trained contrastively from scratch; a "
                       "different, residual CNN as image tower, trained against the label embeddings). Not OpenAI "
                       "CLIP; it only knows clothing words. See README.md.",
        "labels": "labels.json",
        "cnn": {
            "model": "cnn/model.onnx",
            "input": "pixel_values",
            "output": "logits",
            "output_kind": "logits",
            "preprocess": "cnn/preprocessor_config.json",
        },
        "clip": {
            "vision": {"model": "clip/vision_model.onnx", "input": "pixel_values", "output": "image_embeds"},
            "text": {"model": "clip/text_model.onnx", "input": "input_ids", "output": "text_embeds",
                     "context_length": CONTEXT_LENGTH, "needs_attention_mask": False},
            "tokenizer": {"vocab": "clip/vocab.json", "merges": "clip/merges.txt"},
            "preprocess": "clip/preprocessor_config.json",
            "templates": "clip/templates.json",
            "logit_scale": logit_scale,
            "text_embeddings": {
                "file": "clip/text_embeddings.f32",
                "shape": [len(labels), EMBED_DIM],
                "dtype": "float32",
                "layout": "row-major, one L2-normalised row per label in labels.json order, "
                          "averaged over templates.json",
            },
        },
    }
    pack_files.write_json(P("pack.json"), manifest)

    # README.
    files = []
    for root, _, names in os.walk(out):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), out)
            if rel != "README.md":
                files.append((rel, os.path.getsize(os.path.join(out, rel)), sha256(os.path.join(out, rel))))
    files.sort()
    facts = {
        "files": files,
        "io": {k: export.io_description(P(*v.split("/"))) for k, v in
               (("cnn", "cnn/model.onnx"), ("vision", "clip/vision_model.onnx"), ("text", "clip/text_model.onnx"))},
        "ops": {k: export.check(P(*v.split("/"))) for k, v in
                (("cnn", "cnn/model.onnx"), ("vision", "clip/vision_model.onnx"), ("text", "clip/text_model.onnx"))},
        "ir_version": onnx.load(P("cnn", "model.onnx")).ir_version,
        "params": {"cnn": sum(p.numel() for p in cnn.parameters()),
                   "vision": sum(p.numel() for p in vision.parameters()),
                   "text": sum(p.numel() for p in text.parameters())},
        "mean_raw": mean_raw, "std_raw": std_raw, "mean": mean, "std": std,
        "logit_scale": logit_scale, "context_length": CONTEXT_LENGTH, "embed_dim": EMBED_DIM,
        "vocab_size": len(tok.encoder), "merges": len(merges), "start_id": tok.start_id, "end_id": tok.end_id,
        "max_prompt_tokens": max_prompt, "whole_pretokens": (whole, pretokens),
        "cnn_epochs": args.cnn_epochs, "clip_epochs": args.clip_epochs, "vision_epochs": args.vision_epochs,
        "cnn_seed": CNN_SEED, "clip_seed": CLIP_SEED, "vision_seed": VISION_SEED,
        "accuracy": accuracy, "n_test": len(y_test), "checks": checks,
        "clip_confusion": clip_confusion.tolist(), "cnn_confusion": cnn_confusion.tolist(),
        "labels": labels, "templates": prompts.HELD_OUT_TEMPLATES,
        "train_templates": prompts.TRAIN_TEMPLATES, "class_names": prompts.CLASS_NAMES,
        "synonym_labels": prompts.SYNONYM_LABELS, "unseen_labels": prompts.UNSEEN_LABELS,
        "samples": samples, "torch": torch.__version__, "onnx": onnx.__version__,
        "python": platform.python_version(), "numpy": np.__version__,
    }
    readme = P("README.md")
    old = open(readme, encoding="utf-8").read() if os.path.exists(readme) else None
    with open(readme, "w", encoding="utf-8") as f:
        f.write(pack_readme.render(facts, old))

    summary = {
        "accuracy": accuracy, "checks": checks, "logit_scale": logit_scale,
        "mean": mean, "std": std, "mean_raw": mean_raw, "std_raw": std_raw,
        "vocab_size": len(tok.encoder), "merges": len(merges), "start_id": tok.start_id, "end_id": tok.end_id,
        "seconds": {"cnn_train": round(cnn_seconds, 1), "clip_train": round(clip_seconds, 1),
                    "vision_train": round(vision_seconds, 1),
                    "evaluate": round(eval_seconds, 1), "total": round(time.time() - t_start, 1)},
        "pack_bytes": sum(f[1] for f in files) + os.path.getsize(readme),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
