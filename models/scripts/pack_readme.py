"""README.md of the fashion-mnist pack, rendered from the facts the build measured."""

SERVICE_HEADING = "## Accuracy through the service"
SERVICE_PLACEHOLDER = "(filled in by the evaluation command's run)\n"
LICENCE_HEADING = "## Licence"

FILE_NOTES = {
    "pack.json": "manifest",
    "labels.json": "JSON array of the 10 Fashion-MNIST class names; index = class id",
    "cnn/model.onnx": "classifier CNN, fp32, BatchNorm folded into the convolutions",
    "cnn/preprocessor_config.json": "image preprocessing (Hugging Face image-processor keys)",
    "clip/vision_model.onnx": "CLIP image tower (a small residual CNN), fp32, BatchNorm folded into the convolutions",
    "calibration.svg": "test-image accuracy against the share sent to the second model (`npm run calibrate:fashion-mnist`)",
    "clip/text_model.onnx": "CLIP text tower (tiny causal transformer), fp32",
    "clip/text_embeddings.f32": "pre-computed label embeddings, 10 × 64 float32, little-endian",
    "clip/vocab.json": "the pack's own BPE vocabulary (CLIP format)",
    "clip/merges.txt": "its BPE merges (CLIP / Hugging Face format)",
    "clip/templates.json": "the 8 prompt templates the embeddings average over (held out of training)",
    "clip/preprocessor_config.json": "image preprocessing (identical to the CNN's)",
    "clip/tokenizer_golden.json": "expected token ids for 14 strings at context length 16",
    "samples/labels.tsv": "file, class index and label of each sample image",
}


def _n(x):
    return f"{x:,}"


def _pct(x):
    return f"{100 * x:.2f} %"


def _shape(dims):
    return "[" + ", ".join(str(d) for d in dims) + "]"


def _files_table(files):
    lines = ["| file | bytes | sha256 | what |", "|---|---|---|---|"]
    pngs = [f for f in files if f[0].startswith("samples/") and f[0].endswith(".png")]
    for path, size, digest in files:
        if path in FILE_NOTES:
            lines.append(f"| `{path}` | {_n(size)} | `{digest}` | {FILE_NOTES[path]} |")
    lines.append(f"| `samples/*.png` | {_n(sum(f[1] for f in pngs))} in {len(pngs)} files | see Samples | "
                 "test-set images, 28×28 8-bit greyscale PNG |")
    unknown = [f[0] for f in files if f[0] not in FILE_NOTES and f not in pngs]
    if unknown:
        raise ValueError(f"README: no description for {unknown}")
    return "\n".join(lines)


def _service_section(old):
    """Keep what the service's commands wrote: from SERVICE_HEADING up to the licence (the
    evaluation's section, then the calibration's, which `npm run calibrate:fashion-mnist` rewrites)."""
    if old and SERVICE_HEADING in old:
        rest = old.split(SERVICE_HEADING, 1)[1]
        end = rest.find("\n" + LICENCE_HEADING)
        body = rest if end < 0 else rest[:end + 1]
        return SERVICE_HEADING + body.rstrip("\n") + "\n"
    return SERVICE_HEADING + "\n\n" + SERVICE_PLACEHOLDER


def render(f, old=None):
    acc = f["accuracy"]
    io = f["io"]
    total = sum(x[1] for x in f["files"])
    names = "\n".join(f"| {i} | {lab} | {', '.join(n for n in f['class_names'][i][1:])} |"
                      for i, lab in enumerate(f["labels"]))
    png_info = {path: (size, digest) for path, size, digest in f["files"]}
    sample_lines = "\n".join(
        f"| `{name}` | {c} | {lab} | {_n(png_info['samples/' + name][0])} | `{png_info['samples/' + name][1]}` |"
        for name, c, lab in f["samples"])
    confusion = "\n".join(
        f"| {lab} | {f['cnn_confusion'][i][i] / sum(f['cnn_confusion'][i]):.3f} | "
        f"{f['clip_confusion'][i][i] / sum(f['clip_confusion'][i]):.3f} |"
        for i, lab in enumerate(f["labels"]))
    templates = "\n".join(f'"{t}"' for t in f["templates"])
    train_templates = "\n".join(f'"{t}"' for t in f["train_templates"])
    syn = ", ".join(f"`{w}`" for w in f["synonym_labels"])
    unseen = ", ".join(f"`{w}`" for w in f["unseen_labels"])
    whole, pretokens = f["whole_pretokens"]

    def tensor(kind_name):
        rows = []
        for kind, name, dtype, dims in io[kind_name]:
            rows.append((kind, name, dtype, _shape(dims)))
        return rows

    (ci, cn, ct, cs), (co, con, cot, cos) = tensor("cnn")
    (vi, vn, vt, vs), (vo, von, vot, vos) = tensor("vision")
    (ti, tn, tt, ts), (to, ton, tot, tos) = tensor("text")
    p = f["params"]

    return f"""# fashion-mnist model pack

The service's small default pack, trained for this project from
**Fashion-MNIST** (Zalando's 28×28 greyscale clothing images, 10 classes).
The whole pack is {_n(total)} bytes, plus this README. It has two parts:

- **`cnn`**: a small convolutional classifier ({_n(p['cnn'])} parameters).
- **`clip`**: a small **CLIP-style two-tower model**, trained from scratch on
  Fashion-MNIST images paired with text prompts:
  - The *image tower* is a different, residual CNN ({_n(p['vision'])} parameters)
    trained with random shifts the classifier never saw, so its opinion is
    partly independent of the classifier's. It is trained to match the
    pack's label embeddings, exactly as the service scores it.
  - The *text tower* is a tiny causal transformer ({_n(p['text'])} parameters),
    trained contrastively together with a first image tower,
    over the pack's **own** {_n(f['vocab_size'])}-token byte-level BPE
    vocabulary, in exactly CLIP's file format and with CLIP's tokenizer rules.
  - Image–text cosine works like CLIP: pre-computed label embeddings, plus
    run-time embedding of new labels through the text tower.

**This is not OpenAI CLIP.** The text tower was trained on
{len(f['train_templates'])} prompt templates × the 10 labels and a few synonyms
each (table below). It knows clothing words, not language. A run-time label
made of those words (`sneakers`, `handbag`, `jumper`, …) works; other words
fall back to sub-word or byte tokens that it never learned, so zero-shot
beyond the synonyms is weak. On the test set (see Accuracy), one trained
synonym per class as labels gives {_pct(acc['clip_synonym_labels']['top1'])}
top-1; ten clothing words it never saw give {_pct(acc['clip_unseen_labels']['top1'])}.

The images are Fashion-MNIST's: a light object centred on a **black**
background, 28×28. Photos that look different (a dark object on a white
background, a scene) are out of distribution for both models.

`pack.json` is the manifest; every path in it is relative to this folder.

## Files

{_files_table(f['files'])}

## Tensors

| model | tensor | dtype | shape | meaning |
|---|---|---|---|---|
| `cnn/model.onnx` (ONNX IR {f['ir_version']}, opset 17) | {ci} `{cn}` | {ct} | `{cs}` | RGB, NCHW, preprocessed as below |
| | {co} `{con}` | {cot} | `{cos}` | **logits**; the server applies softmax |
| `clip/vision_model.onnx` (ONNX IR {f['ir_version']}, opset 17) | {vi} `{vn}` | {vt} | `{vs}` | same input as the CNN |
| | {vo} `{von}` | {vot} | `{vos}` | image embedding, **not normalised**: L2-normalise it before the dot product |
| `clip/text_model.onnx` (ONNX IR {f['ir_version']}, opset 17) | {ti} `{tn}` | {tt} | `{ts}`, `sequence_length` ≤ {f['context_length']} | BPE ids of this pack's vocabulary (see Tokenization) |
| | {to} `{ton}` | {tot} | `{tos}` | text embedding, **not normalised** |

Other facts about these tensors:

- `batch_size` is dynamic in all three models; `sequence_length` is dynamic
  in the text model, up to {f['context_length']} (the position table has
  {f['context_length']} rows; a longer input fails).
- The text model has **no `attention_mask` input**: it uses a causal mask and
  reads the hidden state at `argmax(input_ids)`, the end token, which is the
  highest id in the vocabulary. Padding after the end token can't change the
  result: the same prompt padded to {f['context_length']} or trimmed to its
  real length differs by {f['checks']['text_padding']:.1e} at most.
- Operators used: CNN {', '.join(f['ops']['cnn'])}; vision tower
  {', '.join(f['ops']['vision'])}; text tower {', '.join(f['ops']['text'])}.
  All are standard ONNX (default domain, opset 17); no custom ops. `ArgMax`
  runs on an int32 cast of the ids.

`clip/text_embeddings.f32` is raw float32 with no header, 10 × {f['embed_dim']}, row-major:

- Row `c` is the embedding of `labels.json[c]`:
  `normalize( Σ_t normalize( text_embeds( tokenize( t.replace("{{}}", labels[c]) ) ) ) )`,
  summed over the {len(f['templates'])} templates `t` in `clip/templates.json`.
- The rows were computed by running the exported `clip/text_model.onnx`; they
  match the PyTorch model to {f['checks']['text_embeddings']:.1e}.
- The CLIP path scores an image as
  `softmax(logit_scale · normalize(image_embeds) · Eᵀ)`, with `logit_scale` =
  {f['logit_scale']} (the learned temperature, exponentiated; capped at 100).

## Preprocessing (both configs are the same)

`cnn/preprocessor_config.json` and `clip/preprocessor_config.json` contain:

```
do_convert_rgb: true          decode, drop alpha, greyscale → 3 equal channels
do_resize: true, size.shortest_edge: 28, resample: 2 (bilinear)
do_center_crop: true, crop_size 28×28
do_rescale: true, rescale_factor: 1/255
do_normalize: true, image_mean [{f['mean']}, {f['mean']}, {f['mean']}], image_std [{f['std']}, {f['std']}, {f['std']}]
                              → float32 CHW
image_processor_type: CLIPImageProcessor
```

- The mean and std are Fashion-MNIST's own: the mean and standard deviation
  of pixel/255 over all 60,000 training images ({f['mean_raw']:.6f} and
  {f['std_raw']:.6f}), rounded to 4 decimals. Both models were trained on
  exactly these rounded values.
- Dataset images are already 28×28, so resize and crop do nothing for them.
- The models take RGB. Their first convolution was trained on one grey
  channel; in the ONNX files its weight is repeated over R, G and B and
  divided by 3. A grey image replicated to RGB therefore gives exactly the
  grey result, and a colour image is seen as the plain mean of its channels.

## Tokenization (text tower)

The rules are OpenAI CLIP's, exactly as in `shared/data/clip-bpe/README.md`
(HTML-unescape twice, collapse whitespace, lowercase, the
`\\p{{L}}+` / `\\p{{N}}` / contraction regex, byte-level BPE with `</w>` on the
last character, merges applied by rank). The vocabulary is **not** CLIP's:

- `clip/vocab.json` and `clip/merges.txt` are this pack's own, learned from
  the prompt corpus (all training and held-out templates × all class names
  and synonyms). They are laid out exactly like CLIP's: ids 0–255 are GPT-2's
  byte-to-unicode characters in table order, 256–511 the same with `</w>`,
  then one token per merge ({f['merges']} merges, ids 512–{511 + f['merges']}),
  then `<|startoftext|>` = **{f['start_id']}** and `<|endoftext|>` =
  **{f['end_id']}**. Vocabulary size **{f['vocab_size']}**. `merges.txt` starts
  with a `#version: 0.2` line.
- Merges were learned greedily (most frequent adjacent pair, ties to the
  smallest pair in string order) until every word of the corpus is a single
  token ({whole}/{pretokens} corpus pre-tokens are one token).
- **`context_length` is {f['context_length']}.** The sequence is
  `[{f['start_id']}] + bpe_ids[:{f['context_length'] - 2}] + [{f['end_id']}]`,
  then 0 up to {f['context_length']}. Truncation keeps the end token. The
  longest corpus prompt has {f['max_prompt_tokens']} content tokens.
- Any word still gets ids: unknown words split into smaller merges or into
  byte tokens. Tokens that never occur in the training prompts were never
  trained.
- `clip/tokenizer_golden.json` lists 14 strings with their expected ids at
  context length {f['context_length']}, in the layout of
  `shared/data/clip-bpe/golden.json` (`text`, `ids`, `length`, `truncated`,
  plus `tokens` and `note`): prompts, upper case, an unknown word, digits,
  contractions, whitespace, non-ASCII letters, the empty string, punctuation,
  HTML entities, exactly 14 content tokens, and a truncated string.

## How it was made

`/usr/bin/python3 models/scripts/build_fashion_mnist_pack.py` (the scripts
are in `models/scripts/`; see the README there) does everything below and
rewrites every file in this folder. It needs Debian's `python3-torch`,
`python3-onnx` and `dataset-fashion-mnist`. It was run with Python
{f['python']}, PyTorch {f['torch']}, onnx {f['onnx']}, numpy {f['numpy']}.

- **Data.** `/usr/share/datasets/fashion-mnist/` (Debian
  `dataset-fashion-mnist`): 60,000 training and 10,000 test images. Training
  uses all 60,000 training images, normalised as above, with random
  horizontal flips (and random shifts for the image tower). The test set is only used for the numbers below and the
  samples.
- **CNN** ({_n(p['cnn'])} parameters): three stages of 3×3 conv (32, 64, 128
  channels) + BatchNorm + ReLU + 2×2 max-pool (28 → 14 → 7 → 3), flatten,
  dropout 0.2, linear 1152 → 10. Cross-entropy with label smoothing 0.1,
  AdamW (weight decay 5e-4), one-cycle learning rate up to 4e-3, batch 128,
  {f['cnn_epochs']:g} epochs, seed {f['cnn_seed']}.
- **Image tower** ({_n(p['vision'])} parameters): 5×5 conv (32) + BatchNorm +
  ReLU + max-pool, 3×3 conv (64) + BatchNorm + ReLU + max-pool, a residual
  block on the 7×7 map (3×3 conv (64) + BatchNorm + ReLU, 3×3 conv (64) +
  BatchNorm, added to its input, ReLU), flatten, dropout 0.2, linear
  3136 → {f['embed_dim']}. Unlike the CNN: a 5×5 first receptive field, a
  skip connection, and a projection of the whole 7×7 map instead of a
  pooled 3×3 one.
- **Text tower** ({_n(p['text'])} parameters): {f['vocab_size']} × 64 token
  embedding plus a learned {f['context_length']} × 64 position embedding;
  2 pre-LayerNorm transformer layers (width 64, 4 heads, MLP 256, GELU,
  causal mask); a final LayerNorm; the state at the end token; a linear
  64 → {f['embed_dim']} with no bias.
- **Contrastive training** of both towers together, CLIP-style, seed
  {f['clip_seed']}: each step takes 256 training images and 4 sets of 10 class
  prompts. Each prompt is a random training template with, half of the time,
  the label itself and otherwise a random synonym. Per set: image→text
  cross-entropy over the 10 prompts, text→image cross-entropy with a uniform
  target over the batch's images of that class (classes repeat within a
  batch), averaged. The temperature is learned (CLIP's `exp(t)`, initial
  1/0.07, capped at 100). AdamW, one-cycle schedule (peak 4e-3 for the image
  tower, 2e-3 for the text tower and temperature), {f['clip_epochs']:g} epochs.
  This gives the text tower, the label embeddings and `logit_scale`; the
  image tower trained alongside is not shipped.
- **Image tower training**, seed {f['vision_seed']}, after the label
  embeddings are written: cross-entropy of
  `softmax(logit_scale · normalize(image_embeds) · Eᵀ)` against the class,
  with `E` = `clip/text_embeddings.f32` held fixed (the service's own
  scoring), label smoothing 0.1; random horizontal flips and random shifts
  of up to 2 pixels each way (filled with black); AdamW (weight decay
  5e-4), one-cycle learning rate up to 4e-3, batch 128,
  {f['vision_epochs']:g} epochs. The text tower is not changed, so run-time
  labels are embedded by the same model that made `E`.
- **Export.** `torch.onnx.export`, opset 17, dynamic batch (and sequence for
  text), BatchNorm folded into the convolutions first. Each file passes
  `onnx.checker` (full check) and an operator whitelist. ONNX and PyTorch
  outputs were compared with a small numpy ONNX evaluator
  (`models/scripts/onnx_numpy.py`), at batch sizes 64, 1 and 7: largest
  difference CNN {f['checks']['cnn']:.1e}, image tower
  {f['checks']['vision']:.1e} (relative to its largest output; its embeddings
  are not normalised and reach about 100), text tower {f['checks']['text']:.1e}.
- **Determinism.** `torch.manual_seed`, numpy and `random` seeds,
  `torch.use_deterministic_algorithms(True)`, `torch.set_num_threads(2)`.
  Re-running the command on the same software rewrites identical files
  (Debian's PyTorch does its matrix products through the system BLAS, so
  another BLAS may change the last bits).
- **Time.** On a 2-core CPU that other jobs were using at the same time:
  CNN 4–6 minutes, contrastive towers 6–7 minutes, image tower 20–29
  minutes for 8 epochs in two runs under heavy load (0.3–0.7 s per step of
  128 images).

Training templates ({len(f['train_templates'])}):

```
{train_templates}
```

Held-out templates in `clip/templates.json` (every word in them also occurs
in the training templates):

```
{templates}
```

Names per class (the label, then the synonyms used in training):

| id | label | synonyms |
|---|---|---|
{names}

## Samples

`samples/` holds {len(f['samples'])} images from the Fashion-MNIST **test**
set: the first 3 of each class in file order, written as 28×28 8-bit
greyscale PNGs with the dataset's pixel values unchanged. Names are
`t10k-<test index, 5 digits>_<label>.png`, with every character of the label
other than a letter, digit or `-` replaced by `_`. `samples/labels.tsv` is
tab-separated with the header `file	class_index	label`.

| file | class_index | label | bytes | sha256 |
|---|---|---|---|---|
{sample_lines}

## Accuracy

On all {_n(f['n_test'])} Fashion-MNIST test images, measured by
`/usr/bin/python3 models/scripts/build_fashion_mnist_pack.py` with the
preprocessing above. The models run are the exported ones: the BatchNorm-folded
PyTorch modules that were written to ONNX, and `clip/text_embeddings.f32` as
written. The script also runs the ONNX files themselves on the first
{_n(f['checks']['onnx_eval_images'])} test images with its numpy ONNX
evaluator (`models/scripts/onnx_numpy.py`). They give the same top-1 class on
every image for all three paths ({f['checks']['onnx_eval_prediction_mismatches']}
differences; largest output difference {f['checks']['onnx_eval_max_rel_diff']:.1e}, relative to the
largest output).

| path | top-1 | top-5 |
|---|---|---|
| CNN (softmax of `logits`) | **{_pct(acc['cnn']['top1'])}** | {_pct(acc['cnn']['top5'])} |
| CLIP path (cosine × {f['logit_scale']}, softmax, vs `text_embeddings.f32`) | **{_pct(acc['clip']['top1'])}** | {_pct(acc['clip']['top5'])} |
| average ensemble (p_cnn + p_clip) / 2 | **{_pct(acc['ensemble']['top1'])}** | {_pct(acc['ensemble']['top5'])} |

Per-class top-1 (recall):

| class | CNN | CLIP path |
|---|---|---|
{confusion}

Run-time labels: the CLIP path with other label words in place of
`labels.json` (same 8 templates, embedded through `clip/text_model.onnx`),
same test images:

| labels | top-1 | top-5 |
|---|---|---|
| one trained synonym per class: {syn} | {_pct(acc['clip_synonym_labels']['top1'])} | {_pct(acc['clip_synonym_labels']['top5'])} |
| words that never occur in training: {unseen} | {_pct(acc['clip_unseen_labels']['top1'])} | {_pct(acc['clip_unseen_labels']['top5'])} |

The second row is what "zero-shot is weak" means here.

Measured through the service's own pipeline: see `npm run evaluate:embedded`.

{_service_section(old)}
{LICENCE_HEADING}

- **Fashion-MNIST** is © 2017 Zalando SE and released under the **MIT
  licence** (github.com/zalandoresearch/fashion-mnist). The sample images
  are copied from its test set; the model weights and text embeddings were
  trained on its training set.
- The tokenizer rules and file layout follow openai/CLIP (MIT, © 2021
  OpenAI) and GPT-2's byte-to-unicode table (MIT, © 2019 OpenAI). The
  vocabulary and merges themselves were learned for this pack.
- Everything else here was written for this project.
"""
