"""Renders models/imagenet/README.md from the facts build_imagenet_pack.py measured.

Only reproducible facts go in (no timings), so two builds write the same README. The section
`## Accuracy through the service` is measured afterwards with `npm run evaluate`; it is kept
as it was when the README already has it.
"""

SERVICE_HEADING = "## Accuracy through the service"

WHAT = {
    "labels.json": "JSON array of the 1000 ImageNet class names in CLIP's wording (two repeated names made unique, see below); index = class id",
    "cnn/model_int8.onnx": "MobileNetV2 int8 (ONNX Model Zoo `mobilenetv2-12-int8.onnx`), unchanged",
    "cnn/preprocessor_config.json": "image preprocessing (Hugging Face image-processor keys)",
    "clip/vision_model_int8.onnx": "ShuffleNet V2 int8 (QDQ) cut at its pooled features, batch made dynamic, two constant features appended",
    "clip/text_model.onnx": "text tower, fp32 (the default `model`)",
    "clip/text_model_int8.onnx": "the same text tower, int8 weights (`precisions.int8`)",
    "clip/text_embeddings.f32": "pre-computed label embeddings, 1000 x 1026 float32, little-endian",
    "clip/vocab.json": "CLIP BPE vocabulary, 49,408 ids (identical to the shared `data/clip-bpe/`)",
    "clip/merges.txt": "CLIP BPE merges (identical to the shared `data/clip-bpe/`)",
    "clip/templates.json": "the 10 prompt templates the embeddings average over (held out of training)",
    "clip/preprocessor_config.json": "image preprocessing (identical to the CNN's)",
}


def kept_section(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    start = text.find(SERVICE_HEADING)
    if start < 0:
        return None
    end = text.find("\n## ", start + len(SERVICE_HEADING))
    return text[start:] if end < 0 else text[start:end + 1]


def pct(x):
    return f"{100 * x:.1f} %"


def write(path, facts, service_section=None):
    f = facts
    files = f["files"]
    total = sum(size for _, size, _ in files)
    rows = "\n".join(f"| `{name}` | {size:,} | {WHAT.get(name, '')} |" for name, size, _ in files)
    shas = "\n".join(f"- `{name}`: `{sha}`" for name, _, sha in files)
    cd = f["cat_dog_fp32"]
    cd8 = f["cat_dog_int8"]
    tp = f["train_prompts"]
    service = service_section or (
        f"{SERVICE_HEADING}\n\nNot measured yet: run `npm run evaluate -- --images ../shared/data/imagenet-samples "
        "--pack models/imagenet`.\n")
    text = f"""# imagenet model pack

ImageNet-1k classifier pack with real pretrained weights and two **independent** models
({total / 1e6:.1f} MB in all, `pack.json` excluded):

- **`cnn`**: **MobileNetV2** int8 from the ONNX Model Zoo, unchanged.
- **`clip`**: a **CLIP-style two-tower second opinion** whose image tower is a different
  network, **ShuffleNet V2** int8 from the ONNX Model Zoo:
  - *image tower*: ShuffleNet cut at its 1024-d global-average-pooled features, with two
    constant features appended (1026-d `image_embeds`);
  - *text tower*: a small model over the **full CLIP BPE vocabulary** (all 49,408 ids), trained
    so that a prompt naming a class points where ShuffleNet's classifier points for that class.

  Cosine between the two, times `logit_scale`, then softmax, ranks the 1000 classes **exactly as
  ShuffleNet's own logits do** when the label embeddings hit their targets (see "How the two
  towers fit together").

**This is not OpenAI CLIP.** The text tower knows ImageNet's class names, the words in them and
a few broad words ("dog", "cat"), not language. A label unrelated to ImageNet's classes gets an
embedding, but not a meaningful one.

`pack.json` is the manifest; every path in it is relative to this folder. It carries a
`version` field that the service's manifest schema ignores.

## Files

| file | bytes | what |
|---|---|---|
{rows}

SHA-256:

{shas}

## Tensors

| model | tensor | dtype | shape | meaning |
|---|---|---|---|---|
| `cnn/model_int8.onnx` (ONNX IR 7, opset 12, QLinear* ops) | in `input` | float32 | `[batch_size, 3, 224, 224]` | RGB, NCHW, preprocessed as below |
| | out `output` | float32 | `[batch_size, 1000]` | **logits**; the server applies softmax |
| `clip/vision_model_int8.onnx` (opset 12, QDQ int8) | in `input` | float32 | `[batch_size, 3, 224, 224]` | same preprocessing as the CNN |
| | out `image_embeds` | float32 | `[batch_size, 1026]` | `[f, κ, 0]`: `f` = ShuffleNet's pooled features exactly as its classifier reads them (the `ReduceMean` output after its quantize/dequantize pair), κ = {f['kappa']:.6g}. **Not normalised.** |
| `clip/text_model.onnx` (opset 17) | in `input_ids` | int64 | `[batch_size, sequence_length]`, `sequence_length` ≤ 32 | CLIP BPE ids (see Tokenization) |
| | out `text_embeds` | float32 | `[batch_size, 1026]` | text embedding, norm ≤ 1, **not normalised** |
| `clip/text_model_int8.onnx` | | | | the same names and shapes |

- All batch dimensions are dynamic. The zoo's ShuffleNet had batch 1 built into its
  channel-shuffle `Reshape` shapes; their leading 1 is now 0 ("copy the input's batch"). Batch 8
  gives the same rows as 8 runs of batch 1 (largest difference {f['vision_batch']['max_abs_diff_batch1_vs_batch8']:.3g}).
- The text models have no `attention_mask` input: padding after the end token is ignored
  (see Tokenization).
- `clip/text_embeddings.f32` is raw float32, 1000 × 1026, row-major. Row `c` is
  `normalize( Σ_t normalize( text_embeds( tokenize( t.replace("{{}}", labels[c]) ) ) ) )` over the
  10 templates of `clip/templates.json`, computed with `clip/text_model.onnx` in onnxruntime.
- The CLIP path scores an image as `softmax(logit_scale · normalize(image_embeds) · Eᵀ)` with
  `logit_scale` = {f['logit_scale']}.

## How the two towers fit together

ShuffleNet's classifier is `logit_c = f · W_c + b_c` (W: 1024 × 1000, the dequantized int8 `fc.weight`;
b: `fc.bias`). Plain cosine between `f` and `W_c` ignores the bias and the column norms and
loses ranking ({pct(f['cosine_no_bias_top1'])} top-1 on the sample photos instead of {pct(f['shufflenet_top1'])}).
Instead:

- the image embedding is `x = [f, κ, 0]`;
- class c's target is `t_c = [W_c, b_c/κ, r_c] / R`, with `R = max_c ‖[W_c, b_c/κ]‖` and
  `r_c = sqrt(R² − ‖W_c‖² − (b_c/κ)²)`, so every target has norm 1;
- then `cos(x, t_c) = (f · W_c + b_c) / (R ‖x‖)`: for one image, the same ranking as ShuffleNet's logits.

κ does not change the ranking, only how `‖x‖` varies between images (calibration). It was chosen
from {{0.25, 0.5, 1, 2, 4}} × the median `‖f‖` ({f['median_feature_norm']:.4g}) by the lowest NLL on the
even-numbered sample photos: {f['kappa_factor']} ×.

**`logit_scale`** = {f['logit_scale']} minimises the NLL of the true class on the even-numbered half of
the 250 sample photos (the only labelled photos available; it is one number). NLL at that scale:
{f['nll_train']:.4f} on that half, {f['nll_held_out']:.4f} on the odd-numbered half (ShuffleNet's own softmax:
{f['nll_shufflenet_train']:.4f} and {f['nll_shufflenet_held_out']:.4f}).

## Text tower

- **Input**: real CLIP BPE ids, the full 49,408-entry vocabulary; every id has its own row in
  a 24-wide token table. Ids the training prompts never contain keep their seeded random rows:
  they are valid input but carry no learned meaning.
- **Architecture**: the token rows after the start token up to and including the end token are
  pooled by 4 learned attention heads (a per-token weight per head, so template words can count
  little), then LayerNorm → 96 → 128 (GELU) → 1000 class scores → softmax → the
  softmax-weighted mixture of the 1000 fixed class targets `t_c`. A prompt naming class c lands
  on `t_c`; a broad word lands on a mixture of the classes it covers. (A free linear output of a
  small width cannot reach 1000 linearly independent targets exactly; the mixture can.)
- **Training data** ({tp['class']:,} class prompts, {tp['word']:,} word prompts):
  - the 1000 names of `labels.json`, plus the WordNet lemma of the 250 classes of the sample
    photos where it differs from CLIP's name, plus "projectile", "sunglasses", "dark glasses",
    "shades" for the renamed classes, each in the 70 training templates (CLIP's 80 ImageNet
    templates minus the 10 of `templates.json`);
  - the {tp['words']} single words of those names (3+ letters, no stop words) in the same
    templates, each aimed at an even mixture of the classes whose names contain it (a word that
    is itself a class name is that class only);
  - "dog", "dogs", "puppy" → the 118 dog breeds (classes 151–268) and "cat", "cats",
    "kitten" → the 5 domestic cats (281–285), from ImageNet's WordNet hierarchy.
- **Loss**: cross-entropy over the 1000 class scores (soft targets for words, weight 0.5).
  {f['steps']} steps of 192 class + 64 word prompts, AdamW, one-cycle learning rate 3e-3,
  seed 0, one thread, deterministic algorithms.
- **Fit**: the lowest cosine between a label's pre-computed embedding and its target is
  {f['label_target_cosine_min']:.6f}.

## Tokenization

CLIP's rules (`shared/data/clip-bpe/README.md`), like imagenet-mini:

- clean-up without ftfy, lowercase, CLIP's pre-tokenizer regex, byte-level BPE with `</w>`;
- **`context_length` is 32**: `[49406] + bpe_ids[:30] + [49407]`, padded with 0;
- the tower pools from position 1 to the end token, found as `argmax(input_ids)` (49407 is the
  largest id), so padding after it never matters and no attention mask is needed.

## INT8

- `clip/vision_model_int8.onnx` is the zoo's int8 QDQ model (no fp32 ShuffleNet is shipped).
- `clip/text_model_int8.onnx`: `models/scripts/quantize_int8.py` (per-column symmetric int8
  MatMul weights, dynamic uint8 activations, `--unshare-weights`), and the token table stored
  as int8 rows with one scale per row, dequantized inside the graph (`DequantizeLinear`, folded
  by onnxruntime at load).
- Against fp32, over the 1000 labels × 10 templates: lowest cosine
  {f['int8_label_cosine_min']:.6f}; each label's int8 embedding is nearest to its own fp32 embedding
  for {pct(f['int8_label_self_rank'])} of labels. CLIP-path top-1 with int8-made label embeddings agrees
  with fp32-made ones on {pct(f['int8_fp32_top1_agreement'])} of the 250 photos.
- The measurements use onnxruntime with `session.x64quantprecision = 1`, as the service does.

## Preprocessing (both configs are the same)

Shortest edge → 256 (bilinear, Hugging Face's size rule), centre crop 224 × 224, × 1/255,
ImageNet mean `[0.485, 0.456, 0.406]` and std `[0.229, 0.224, 0.225]`, float32 CHW. Both
towers take the same tensor, so the service decodes each image once. OpenAI CLIP's mean and std
would be wrong here.

## Labels

`labels.json` is CLIP's list of ImageNet class names (openai/CLIP,
`Prompt_Engineering_for_ImageNet.ipynb`) with its two repeated names replaced by WordNet's
names for the four synsets, so every label is unique:

| class | wnid | CLIP's name | here |
|---|---|---|---|
| 657 | n03773504 | missile | `missile` |
| 744 | n04008634 | missile | `projectile, missile` |
| 836 | n04355933 | sunglasses | `sunglass` |
| 837 | n04356056 | sunglasses | `sunglasses, dark glasses` |

A labels file that uses CLIP's names (such as the sample photos' `labels.tsv`) calls photo 744
`missile` (class 657 here) and photo 836 `sunglasses` (no label here).

## Measured accuracy (250 photos of the shared `data/imagenet-samples`)

Ground truth is `class_index`; onnxruntime-node, one thread, `x64quantprecision = 1`,
preprocessing as above with sharp.

| model | top-1 | top-5 |
|---|---|---|
| CNN alone (MobileNetV2 int8) | {pct(f.get('cnn_top1', 0))} | {pct(f.get('cnn_top5', 0))} |
| ShuffleNet's own logits (zoo model, for reference) | {pct(f['shufflenet_top1'])} | {pct(f['shufflenet_top5'])} |
| **second model alone**, service path (cosine with `text_embeddings.f32`) | **{pct(f['clip_top1'])}** | **{pct(f['clip_top5'])}** |
| second model with the exact targets `t_c` instead of the text tower | {pct(f['clip_exact_targets_top1'])} | |
| second model, label embeddings made by the int8 text tower | {pct(f['clip_int8_text_top1'])} | |

- The CLIP path's top-1 class equals ShuffleNet's own top-1 on {pct(f['clip_vs_shufflenet_top1_agreement'])}
  of the photos. The zoo model quantizes its logits to int8 at the output, which makes near
  ties; the float features path doesn't ({pct(f['features_logits_top1_agreement'])} top-1 agreement between
  `f · W + b` and the zoo output).
- **"cat" or "dog"** with only those two labels (run-time embeddings from the text tower over
  `templates.json`), on the {cd['photos']} photos of dog breeds and domestic cats: {cd['right']}/{cd['photos']}
  right (int8 text tower: {cd8['right']}/{cd8['photos']}). With "cat", "dog", "bird", "car", "fish":
  {f['cat_dog_five_way_pets']}/{cd['photos']}. Only one of those photos is a cat.
- These photos are easier than the ImageNet validation set; use the numbers as regression
  baselines, not accuracy claims.

{service}
## How it was built

```
/usr/bin/python3 models/scripts/build_imagenet_pack.py [SHARED_FOLDER]   # default ../shared
```

Needs python3-torch, python3-onnx, numpy, and Node with the project's `node_modules`
(`models/scripts/imagenet_ort.mjs` runs onnxruntime-node and sharp for every measurement).
The script rewrites every file of this folder and prints the measured facts as JSON. It is
seeded and single-threaded; two builds on the same software write byte-identical files.

## Provenance and licences

- **MobileNetV2 int8** (`cnn/model_int8.onnx`): ONNX Model Zoo, `mobilenetv2-12-int8.onnx`,
  the same file as imagenet-mini's (sha256 `83530ad8…`). **Apache-2.0.**
- **ShuffleNet V2** (`clip/vision_model_int8.onnx`): ONNX Model Zoo `shufflenet-v2-12-qdq.onnx`
  (sha256 `7c536d02…`), ImageNet-1k, int8 QDQ, opset 12. Changes: cut at the pooled features,
  dynamic batch, constant features appended, unused opset domains dropped. **BSD-3-Clause.**
- **Text tower, targets and `text_embeddings.f32`**: trained for this project from ShuffleNet's
  classifier weights (BSD-3-Clause) and CLIP's class names and templates (MIT).
- **`labels.json`, the templates**: openai/CLIP, **MIT** (© 2021 OpenAI), two names changed
  as above using WordNet names.
- **`vocab.json`, `merges.txt`**: derived from openai/CLIP's `bpe_simple_vocab_16e6.txt.gz`, **MIT**.
"""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
