/**
 * The JSON files of a Hugging Face-layout CLIP folder (what Transformers.js' zero-shot image
 * classification pipeline reads), built from a pack's own files. Pure: no disk, no models.
 */

/** Tower sizes of the pack's CLIP (the benchmark pack is ViT-B/32-shaped). */
export interface ClipDims {
  embedDim: number;
  logitScale: number;
  text: { width: number; layers: number; heads: number; mlp: number; contextLength: number };
  vision: {
    width: number;
    layers: number;
    heads: number;
    mlp: number;
    imageSize: number;
    patch: number;
  };
  vocabSize: number;
  startId: number;
  endId: number;
}

/** The benchmark pack's towers (models/scripts/bench_towers.py defaults). */
export const VIT_B32_DIMS: ClipDims = {
  embedDim: 512,
  logitScale: 100,
  text: { width: 512, layers: 12, heads: 8, mlp: 2048, contextLength: 77 },
  vision: { width: 768, layers: 12, heads: 12, mlp: 3072, imageSize: 224, patch: 32 },
  vocabSize: 49408,
  startId: 49406,
  endId: 49407,
};

/** `config.json` of a `CLIPModel` (Hugging Face transformers' CLIPConfig keys). */
export function clipConfig(dims: ClipDims) {
  return {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: dims.embedDim,
    // CLIP stores log(scale); the graph multiplies by the scale itself.
    logit_scale_init_value: Math.log(dims.logitScale),
    text_config: {
      model_type: "clip_text_model",
      hidden_size: dims.text.width,
      intermediate_size: dims.text.mlp,
      num_attention_heads: dims.text.heads,
      num_hidden_layers: dims.text.layers,
      max_position_embeddings: dims.text.contextLength,
      vocab_size: dims.vocabSize,
      hidden_act: "quick_gelu",
      projection_dim: dims.embedDim,
      bos_token_id: dims.startId,
      eos_token_id: dims.endId,
      pad_token_id: dims.endId,
    },
    vision_config: {
      model_type: "clip_vision_model",
      hidden_size: dims.vision.width,
      intermediate_size: dims.vision.mlp,
      num_attention_heads: dims.vision.heads,
      num_hidden_layers: dims.vision.layers,
      image_size: dims.vision.imageSize,
      patch_size: dims.vision.patch,
      num_channels: 3,
      hidden_act: "quick_gelu",
      projection_dim: dims.embedDim,
    },
    // Load onnx/model.onnx (fp32) on every device, never a quantized variant.
    "transformers.js_config": { dtype: "fp32" },
  };
}

const START = "<|startoftext|>";
const END = "<|endoftext|>";
// openai/CLIP's pre-tokenizer pattern (simple_tokenizer.py), as Hugging Face's CLIP tokenizer.json has it.
const CLIP_SPLIT =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/**
 * `tokenizer.json` (Hugging Face tokenizers format) for CLIP's byte-level BPE, from the pack's
 * `vocab.json` object and `merges.txt` text, with the pipeline of openai/clip-vit-base-patch32:
 * NFC, whitespace runs to one space, lowercase; CLIP's split; byte-level; BPE with `</w>`; start
 * and end tokens around every text. Merge priority is the order of `merges.txt`'s lines.
 */
export function clipTokenizerJson(vocab: Readonly<Record<string, number>>, mergesText: string) {
  const lines = mergesText.split("\n");
  if (!lines[0]?.startsWith("#version")) throw new Error("merges.txt: missing #version header");
  const merges = lines.slice(1).filter((line) => line.length > 0);
  for (const merge of merges) {
    if (merge.split(" ").length !== 2) throw new Error(`merges.txt: not a pair: ${merge}`);
  }
  const idOf = (token: string) => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`vocab.json has no ${token}`);
    return id;
  };
  const special = (token: string) => ({
    id: idOf(token),
    content: token,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(START), special(END)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CLIP_SPLIT }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [END, idOf(END)],
      cls: [START, idOf(START)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: END,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/** `tokenizer_config.json` of openai/clip-vit-base-patch32 (padding with the end token). */
export function clipTokenizerConfig(contextLength: number) {
  return {
    tokenizer_class: "CLIPTokenizer",
    model_max_length: contextLength,
    bos_token: START,
    eos_token: END,
    pad_token: END,
    unk_token: END,
    do_lower_case: true,
    add_prefix_space: false,
    clean_up_tokenization_spaces: true,
    errors: "replace",
  };
}
