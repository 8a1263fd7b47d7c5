#!/usr/bin/python3
"""Generate the clip-vit-b32-bench model pack: CLIP ViT-B/32-shaped towers and a MobileNetV2-sized CNN
with seeded random weights, for latency benchmarks (real shapes and FLOPs, meaningless predictions).

    /usr/bin/python3 models/scripts/build_benchmark_pack.py [--out .cache/packs/clip-vit-b32-bench] [--seed 0]
        [--vocab VOCAB.json --merges MERGES.txt] [--labels LABELS.json] [--no-node-check] [--bench | --bench-only]

Writes, in the imagenet-mini pack.json schema:
  clip/vision_model.onnx       pixel_values [b,3,224,224] -> image_embeds [b,512]   (fp32, opset 17)
  clip/vision_model_int8.onnx  the same, MatMuls dynamically quantized by quantize_int8.py
  clip/text_model.onnx         input_ids int64 [b,seq<=77] -> text_embeds [b,512]
  clip/text_model_int8.onnx
  clip/text_embeddings.f32     [1000, 512], fp32 text tower (PyTorch) over clip/templates.json
  clip/vocab.json, clip/merges.txt   copied CLIP BPE files
  cnn/model.onnx               pixel_values [b,3,224,224] -> logits [b,1000]
  */preprocessor_config.json   OpenAI CLIP preprocessing; labels.json; pack.json; README.md
Then loads every model in onnxruntime-node (batch 1 and 4, compared with PyTorch), and with
--bench times the vision tower fp32 vs int8 (see bench_int8.mjs).
The output folder is meant to stay git-ignored (.cache/).
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

import bench_towers  # noqa: E402
import bpe  # noqa: E402
import quantize_int8  # noqa: E402

NAME = "clip-vit-b32-bench"
OPSET = 17
CONTEXT_LENGTH = 77
VOCAB_SIZE = 49408
EMBED_DIM = 512
LOGIT_SCALE = 100
SHARED = os.path.join(os.path.dirname(REPO), "shared")
DEFAULT_BPE = os.path.join(SHARED, "data", "clip-bpe")
DEFAULT_LABELS = os.path.join(SHARED, "models", "imagenet-mini", "labels.json")
DEFAULT_IMAGES = os.path.join(SHARED, "data", "imagenet-samples")
TEMPLATES = ["a photo of a {}.", "a blurry photo of a {}.", "a photo of the large {}."]
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CHECK_PROMPTS = ["a photo of a tench.", "a blurry photo of a goldfish.", "a photo of the large great white shark.",
                 "a photo of a dog"]


def log(msg):
    print(msg, flush=True)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def preprocessor_config():
    """OpenAI CLIP ViT-B/32's preprocessor_config.json (Hugging Face CLIPImageProcessor keys)."""
    return {
        "do_convert_rgb": True,
        "do_resize": True,
        "size": {"shortest_edge": 224},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "do_rescale": True,
        "rescale_factor": 0.00392156862745098,
        "do_normalize": True,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "image_processor_type": "CLIPImageProcessor",
    }


def pattern_pixels(batch):
    """Deterministic images, the same formula as check_pack.mjs: 1.5 * sin(0.0137 * i + 0.7 * n)."""
    per = 3 * 224 * 224
    i = np.arange(per, dtype=np.float64)[None, :]
    n = np.arange(batch, dtype=np.float64)[:, None]
    return (1.5 * np.sin(0.0137 * i + 0.7 * n)).astype(np.float32).reshape(batch, 3, 224, 224)


def export(model, dummy, path, input_name, output_name, dynamic):
    with torch.no_grad():
        torch.onnx.export(model, dummy, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: dynamic, output_name: {0: "batch_size"}})
    onnx.checker.check_model(path, full_check=True)
    ops = collections.Counter(n.op_type for n in onnx.load(path, load_external_data=False).graph.node)
    return ops


def tokenize_padded(tokenizer, texts):
    ids = np.zeros((len(texts), CONTEXT_LENGTH), dtype=np.int64)
    lengths = []
    for r, text in enumerate(texts):
        row, length, _ = tokenizer.tokenize(text, CONTEXT_LENGTH)
        ids[r] = row
        lengths.append(length)
    return ids, lengths


def text_embeddings(text_model, tokenizer, labels, templates, batch=128):
    """Row c = normalize(mean_t normalize(text_embeds(template_t.format(label_c)))).

    Prompts are sorted by token length and each batch is trimmed to its longest prompt: the tower is
    causal and reads the end token, so padding after it cannot change the result.
    """
    prompts = [(c, t.format(label)) for c, label in enumerate(labels) for t in templates]
    ids, lengths = tokenize_padded(tokenizer, [p for _, p in prompts])
    order = np.argsort(lengths, kind="stable")
    emb = np.zeros((len(prompts), EMBED_DIM), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            width = max(lengths[j] for j in idx)
            out = text_model(torch.from_numpy(ids[idx, :width])).numpy()
            emb[idx] = out / np.linalg.norm(out, axis=1, keepdims=True)
    rows = np.zeros((len(labels), EMBED_DIM), dtype=np.float32)
    for k, (c, _) in enumerate(prompts):
        rows[c] += emb[k]
    rows /= len(templates)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def human(n):
    return f"{n / 2**20:,.1f} MiB"


def node_binary():
    return shutil.which("node")


def run_node(script, args, timeout=3600):
    node = node_binary()
    if node is None:
        return None, "node not found on PATH"
    proc = subprocess.run([node, os.path.join(HERE, script), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode not in (0, 1) or not proc.stdout.strip().startswith("{"):
        return None, (proc.stderr or proc.stdout).strip()[-2000:]
    return json.loads(proc.stdout), None


def count_fused_ops(path):
    model = onnx.load(path, load_external_data=False)
    ops = collections.Counter(n.op_type for n in model.graph.node)
    u8 = sum(1 for t in model.graph.initializer if t.name.endswith("_s8_2_u8"))
    keys = ["DynamicQuantizeMatMul", "MatMulIntegerToFloat", "DynamicQuantizeLinear", "MatMulInteger", "MatMul"]
    return {**{k: ops.get(k, 0) for k in keys}, "s8_2_u8_initializers": u8}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(".cache", "packs", NAME),
                    help="output folder, relative to the repository root (default .cache/packs/%s)" % NAME)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", default=os.path.join(DEFAULT_BPE, "vocab.json"), help="CLIP BPE vocab.json")
    ap.add_argument("--merges", default=os.path.join(DEFAULT_BPE, "merges.txt"), help="CLIP BPE merges.txt")
    ap.add_argument("--labels", default=DEFAULT_LABELS,
                    help="1000 ImageNet class names (JSON array); 'class N' names are used when absent")
    ap.add_argument("--no-node-check", action="store_true", help="skip the onnxruntime-node load/run check")
    ap.add_argument("--bench", action="store_true",
                    help="also time vision fp32 vs int8 (and int8 + x64quantprecision) in onnxruntime-node")
    ap.add_argument("--bench-only", action="store_true", help="skip generation; benchmark the pack already in --out")
    ap.add_argument("--bench-threads", type=int, default=2)
    ap.add_argument("--images", default=DEFAULT_IMAGES, help="photos for the --bench cosine check (optional)")
    args = ap.parse_args()

    started = time.time()
    out = args.out if os.path.isabs(args.out) else os.path.join(REPO, args.out)
    if args.bench_only:
        if not os.path.isfile(os.path.join(out, "pack.json")):
            sys.exit(f"build_benchmark_pack: no pack.json in {args.out}; generate the pack first")
        bench(out, args.bench_threads, args.images)
        return
    torch.set_num_threads(os.cpu_count() or 1)

    for path, what in ((args.vocab, "vocab.json"), (args.merges, "merges.txt")):
        if not os.path.isfile(path):
            sys.exit(f"build_benchmark_pack: the real CLIP BPE files are needed: {what} not found at {path}. "
                     "Point --vocab / --merges at OpenAI CLIP's vocab.json and merges.txt "
                     "(Hugging Face openai/clip-vit-base-patch32 layout, 49,408 tokens).")
    tokenizer = bpe.Tokenizer(args.vocab, args.merges)
    if len(tokenizer.encoder) != VOCAB_SIZE or tokenizer.end_id != VOCAB_SIZE - 1:
        sys.exit(f"build_benchmark_pack: {args.vocab} has {len(tokenizer.encoder)} tokens (end id "
                 f"{tokenizer.end_id}); CLIP's has {VOCAB_SIZE} with <|endoftext|> = {VOCAB_SIZE - 1}")
    if os.path.isfile(args.labels):
        with open(args.labels, encoding="utf-8") as f:
            labels = json.load(f)
        labels_from = os.path.basename(args.labels)
    else:
        labels = [f"class {i}" for i in range(1000)]
        labels_from = "generated 'class N' names"
    if len(labels) != 1000:
        sys.exit(f"build_benchmark_pack: {args.labels} has {len(labels)} labels, expected 1000")

    for sub in ("clip", "cnn"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    p = lambda *parts: os.path.join(out, *parts)  # noqa: E731
    timings = {}

    # Towers (one seed each, so changing one model never changes the others).
    t = time.time()
    torch.manual_seed(args.seed)
    vision = bench_towers.VisionTransformer().eval()
    torch.manual_seed(args.seed + 1)
    text = bench_towers.TextTransformer(vocab_size=VOCAB_SIZE, context_length=CONTEXT_LENGTH).eval()
    torch.manual_seed(args.seed + 2)
    cnn = bench_towers.MobileNetV2(num_classes=len(labels))
    gen = torch.Generator().manual_seed(args.seed + 3)
    cnn = bench_towers.calibrate_batchnorm(cnn, [torch.randn(8, 3, 224, 224, generator=gen) for _ in range(2)])
    timings["build"] = time.time() - t

    t = time.time()
    image_dynamic = {0: "batch_size"}
    dummy_ids = torch.zeros(2, CONTEXT_LENGTH, dtype=torch.long)
    dummy_ids[:, 0] = tokenizer.start_id
    dummy_ids[:, 5] = tokenizer.end_id
    ops = {
        "vision": export(vision, torch.zeros(2, 3, 224, 224), p("clip", "vision_model.onnx"), "pixel_values",
                         "image_embeds", image_dynamic),
        "text": export(text, dummy_ids, p("clip", "text_model.onnx"), "input_ids", "text_embeds",
                       {0: "batch_size", 1: "sequence_length"}),
        "cnn": export(cnn, torch.zeros(2, 3, 224, 224), p("cnn", "model.onnx"), "pixel_values", "logits",
                      image_dynamic),
    }
    timings["export"] = time.time() - t
    for k, v in ops.items():
        log(f"{k}: {sum(v.values())} nodes, {v.get('MatMul', 0)} MatMul, {v.get('Conv', 0)} Conv, "
            f"{v.get('Gemm', 0)} Gemm")

    t = time.time()
    quant = {}
    for tower in ("vision", "text"):
        quant[tower] = quantize_int8.quantize_file(p("clip", f"{tower}_model.onnx"),
                                                   p("clip", f"{tower}_model_int8.onnx"), log=log)
    timings["quantize"] = time.time() - t

    # Small files.
    shutil.copyfile(args.vocab, p("clip", "vocab.json"))
    shutil.copyfile(args.merges, p("clip", "merges.txt"))
    write_json(p("labels.json"), labels)
    write_json(p("clip", "templates.json"), TEMPLATES)
    write_json(p("clip", "preprocessor_config.json"), preprocessor_config())
    write_json(p("cnn", "preprocessor_config.json"), preprocessor_config())

    t = time.time()
    fast_text = bench_towers.fast_inference_copy(text)
    rows = text_embeddings(fast_text, tokenizer, labels, TEMPLATES)
    rows.astype("<f4").tofile(p("clip", "text_embeddings.f32"))
    timings["text_embeddings"] = time.time() - t

    manifest = {
        "name": NAME,
        "description": "Benchmark pack: CLIP ViT-B/32-shaped vision and text towers and a MobileNetV2-sized CNN "
                       f"with seeded random weights (seed {args.seed}). Real shapes, FLOPs and tokenizer; the "
                       "predictions are meaningless. Generated by models/scripts/build_benchmark_pack.py.",
        "labels": "labels.json",
        "cnn": {
            "model": "cnn/model.onnx",
            "input": "pixel_values",
            "output": "logits",
            "output_kind": "logits",
            "preprocess": "cnn/preprocessor_config.json",
        },
        "clip": {
            "vision": {
                "model": "clip/vision_model.onnx",
                "input": "pixel_values",
                "output": "image_embeds",
                "precisions": {"int8": "clip/vision_model_int8.onnx"},
            },
            "text": {
                "model": "clip/text_model.onnx",
                "input": "input_ids",
                "output": "text_embeds",
                "context_length": CONTEXT_LENGTH,
                "needs_attention_mask": False,
                "precisions": {"int8": "clip/text_model_int8.onnx"},
            },
            "tokenizer": {"vocab": "clip/vocab.json", "merges": "clip/merges.txt"},
            "preprocess": "clip/preprocessor_config.json",
            "templates": "clip/templates.json",
            "logit_scale": LOGIT_SCALE,
            "text_embeddings": {
                "file": "clip/text_embeddings.f32",
                "shape": [len(labels), EMBED_DIM],
                "dtype": "float32",
                "layout": "row-major, one L2-normalised row per label in labels.json order, averaged over "
                          "templates.json",
            },
        },
    }
    write_json(p("pack.json"), manifest)

    params = {"vision": bench_towers.count_params(vision), "text": bench_towers.count_params(text),
              "cnn": bench_towers.count_params(cnn)}
    macs = {"vision": bench_towers.vit_macs(), "text_77": bench_towers.text_macs(CONTEXT_LENGTH),
            "cnn": bench_towers.conv_macs(cnn)}
    write_readme(p("README.md"), args.seed, params, macs, labels_from, quant)
    timings["total_generation"] = time.time() - started

    log("\nfiles:")
    total = 0
    for root, _, files in sorted(os.walk(out)):
        for name in sorted(files):
            size = os.path.getsize(os.path.join(root, name))
            total += size
            log(f"  {os.path.relpath(os.path.join(root, name), out):32s} {size:>13,d}  {human(size)}")
    log(f"  {'total':32s} {total:>13,d}  {human(total)}")
    log("params: " + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in params.items()))
    log("MACs per input: " + ", ".join(f"{k} {v / 1e9:.2f} G" for k, v in macs.items()))
    log("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    log(f"pack written to {os.path.relpath(out, REPO) if out.startswith(REPO) else out}")

    ok = True
    if not args.no_node_check:
        ok = node_check(out, vision, text, cnn, tokenizer)
    if args.bench:
        bench(out, args.bench_threads, args.images)
    if not ok:
        sys.exit(1)


def node_check(out, vision, text, cnn, tokenizer):
    ids, _ = tokenize_padded(tokenizer, CHECK_PROMPTS)
    x = torch.from_numpy(pattern_pixels(4))
    with torch.no_grad():
        expect = {
            "text_ids": ids.tolist(),
            "outputs": {
                "vision": bench_towers.fast_inference_copy(vision)(x).tolist(),
                "cnn": cnn(x).tolist(),
                "text": bench_towers.fast_inference_copy(text)(torch.from_numpy(ids)).tolist(),
            },
        }
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "expect.json")
        with open(path, "w") as f:
            json.dump(expect, f)
        t = time.time()
        result, error = run_node("check_pack.mjs", [out, "--expect", path])
    if result is None:
        log(f"\nonnxruntime-node check: not run ({error})")
        return False
    log(f"\nonnxruntime-node {result.get('onnxruntime')} check (batch 1 and 4; {time.time() - t:.1f} s):")
    log(f"  {'model':34s} {'ok':3s} {'load ms':>8s} {'out dims':>9s} {'b1 vs b4':>10s} {'cos torch':>10s} "
        f"{'max|diff|':>10s}")
    ok = True
    for r in result["results"]:
        ok = ok and r["ok"]
        log(f"  {r['file']:34s} {'yes' if r['ok'] else 'NO':3s} {r.get('load_ms', ''):>8} "
            f"{str(r.get('output_dims', '')):>9s} {r.get('batch1_vs_batch4_row0_cos', ''):>10} "
            f"{r.get('vs_torch_min_cos', ''):>10} {r.get('vs_torch_max_abs_diff', ''):>10}"
            + (f"  {r['error']}" if not r["ok"] else ""))
    return ok


def bench(out, threads, images):
    """Vision latency and fp32-vs-int8 cosines (bench_int8.mjs), plus a 7-bit-weight variant of each tower
    (quantize_int8.py --reduce-range, made in a temporary folder) for comparison; counts the fused int8 ops
    in the graphs onnxruntime optimized."""
    with tempfile.TemporaryDirectory() as tmp:
        node_args = [out, "--threads", str(threads), "--dump-dir", tmp]
        for tower in ("vision", "text"):
            seven_bit = os.path.join(tmp, f"{tower}_model_int8_7bit.onnx")
            quantize_int8.quantize_file(os.path.join(out, "clip", f"{tower}_model.onnx"), seven_bit,
                                        reduce_range=True, check=False, log=lambda _msg: None)
            node_args += ["--extra", ("text:" if tower == "text" else "") + f"int8-7bit={seven_bit}"]
        if images and os.path.isdir(images):
            node_args += ["--images", images]
        t = time.time()
        result, error = run_node("bench_int8.mjs", node_args)
        if result is None:
            log(f"\nbenchmark: not run ({error})")
            return
        for section in ("vision", "text"):
            for row in result[section]:
                if row.get("optimized_graph"):
                    row["fused"] = count_fused_ops(os.path.join(tmp, row["optimized_graph"]))
    log(f"\nvision tower latency, onnxruntime-node {result['onnxruntime']}, {threads} intra-op threads, "
        f"graphOptimizationLevel all ({time.time() - t:.0f} s; load average {result['loadavg_start'][0]} -> "
        f"{result['loadavg_end'][0]}); median (min) ms:")
    log(f"  {'variant':24s} {'batch 1':>14s} {'b16 per image':>14s} {'cos min rnd':>11s} {'ctr min rnd':>11s} "
        f"{'cos min photo':>13s} {'ctr min photo':>13s}  fused ops")
    for r in result["vision"]:
        cr, cp = r.get("cos_random", {}), r.get("cos_photos", {})
        fused = r.get("fused", {})
        fused_s = (f"DQMatMul {fused['DynamicQuantizeMatMul']}, MMIntToFloat {fused['MatMulIntegerToFloat']}, "
                   f"MatMulInteger {fused['MatMulInteger']}, s8->u8 weights {fused['s8_2_u8_initializers']}"
                   if fused else "")
        b1 = f"{r['batch1_ms']:.1f} ({r['batch1_ms_min']:.1f})"
        b16 = f"{r['batch16_ms_per_image']:.1f} ({r['batch16_ms_per_image_min']:.1f})"
        log(f"  {r['name']:24s} {b1:>14s} {b16:>14s} "
            f"{cr.get('min', ''):>11} {cr.get('centered_min', ''):>11} {cp.get('min', ''):>13} "
            f"{cp.get('centered_min', ''):>13}  {fused_s}")
    log(f"  (fp32 cosine between two random inputs {result['fp32_random_vs_random_cos']}"
        + (f", between two photos {result['fp32_photo_vs_photo_cos']}" if "fp32_photo_vs_photo_cos" in result
           else "") + "; 'ctr' = cosine after subtracting the mean fp32 embedding of the batch)")
    log("text tower, 16 random token sequences, cosine to fp32:")
    for r in result["text"][1:]:
        fused = r.get("fused", {})
        log(f"  {r['name']:24s} min {r['cos']['min']}  centered min {r['cos']['centered_min']}  "
            f"(DQMatMul {fused.get('DynamicQuantizeMatMul')}, MMIntToFloat {fused.get('MatMulIntegerToFloat')}, "
            f"s8->u8 weights {fused.get('s8_2_u8_initializers')})")
    log(json.dumps(result))


def write_readme(path, seed, params, macs, labels_from, quant):
    q = "\n".join(
        f"- `clip/{tower}_model_int8.onnx`: {s['matmul']} MatMuls rewritten "
        f"({s['weight_params'] / 1e6:.1f} M weights to int8), {s['file_bytes_before'] / 2**20:.0f} MiB -> "
        f"{s['file_bytes_after'] / 2**20:.0f} MiB."
        for tower, s in quant.items())
    text = f"""# {NAME} (generated)

Benchmark pack with **seeded random weights** (seed {seed}), generated by
`models/scripts/build_benchmark_pack.py`. It has the shapes, FLOPs and tokenizer of
OpenAI CLIP ViT-B/32 and a MobileNetV2-sized CNN, so latency and memory are realistic;
**its predictions are meaningless**. Use it for load, latency and batching tests only.

- `clip/vision_model.onnx`: ViT-B/32 image tower (patch 32, width 768, 12 layers, 12 heads,
  MLP 3072, QuickGELU, pre-LN, class token, projection 512), {params['vision'] / 1e6:.1f} M
  parameters, {macs['vision'] / 1e9:.2f} GMAC per image. `pixel_values` [batch, 3, 224, 224]
  -> `image_embeds` [batch, 512], not normalised.
- `clip/text_model.onnx`: CLIP text tower (width 512, 12 layers, 8 heads, context 77,
  vocab 49,408, causal, pooled at argmax(input_ids) = the end token, projection 512),
  {params['text'] / 1e6:.1f} M parameters, {macs['text_77'] / 1e9:.2f} GMAC per 77-token prompt.
  `input_ids` int64 [batch, sequence_length <= 77] -> `text_embeds` [batch, 512], not
  normalised. No attention mask; pad with 0 after the end token.
- `cnn/model.onnx`: MobileNetV2 (width 1.0), {params['cnn'] / 1e6:.2f} M parameters,
  {macs['cnn'] / 1e9:.2f} GMAC per image. `pixel_values` -> `logits` [batch, 1000].
- INT8 variants (`precisions.int8` in pack.json), made by `models/scripts/quantize_int8.py`
  (dynamic quantization, per-column symmetric int8 weights):
{q}
- `clip/text_embeddings.f32`: [1000, 512] float32, row c = normalize(mean over
  `clip/templates.json` of normalize(text_embeds(template.format(labels[c])))), from the
  fp32 text tower in PyTorch.
- `labels.json`: {labels_from}. `clip/vocab.json`, `clip/merges.txt`: OpenAI CLIP's BPE
  files (MIT).
- Both preprocessor configs are OpenAI CLIP's: shortest edge 224, bicubic (resample 3),
  centre crop 224, CLIP mean/std.
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
