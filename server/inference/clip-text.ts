import { l2Normalise } from "../math/vector-math.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { type OnnxModel, splitRows, type TensorData } from "./onnx-session.ts";

/** CLIP's text tower: strings in, unit-length embeddings out. */
export interface ClipTextModel {
  readonly model: OnnxModel;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export function createClipText(options: {
  model: OnnxModel;
  tokenizer: ClipTokenizer;
  input: string;
  output: string;
  needsAttentionMask: boolean;
}): ClipTextModel {
  const { model, tokenizer, input, output, needsAttentionMask } = options;
  const length = tokenizer.contextLength;
  return {
    model,
    async embed(texts) {
      if (texts.length === 0) return [];
      const ids = tokenizer.encodeBatch(texts);
      const feeds: Record<string, TensorData> = {
        [input]: { type: "int64", data: ids, dims: [texts.length, length] },
      };
      if (needsAttentionMask) feeds.attention_mask = attentionMask(texts, tokenizer);
      const result = await model.run(feeds, [output]);
      return splitRows(result[output]).map(l2Normalise);
    },
  };
}

function attentionMask(texts: readonly string[], tokenizer: ClipTokenizer) {
  const length = tokenizer.contextLength;
  const mask = new BigInt64Array(texts.length * length);
  texts.forEach((text, row) => {
    const used = tokenizer.encode(text).length;
    mask.fill(1n, row * length, row * length + used);
  });
  return { type: "int64", data: mask, dims: [texts.length, length] } satisfies TensorData;
}
