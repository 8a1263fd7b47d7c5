import * as ort from "onnxruntime-node";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { type OnnxModel, splitRows } from "./onnx-session.ts";
import { l2Normalise } from "./vector-math.ts";

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
      const feeds: Record<string, ort.Tensor> = {
        [input]: new ort.Tensor("int64", ids, [texts.length, length]),
      };
      if (needsAttentionMask) feeds.attention_mask = attentionMask(texts, tokenizer);
      const result = await model.session.run(feeds, [output]);
      return splitRows(result[output] as never).map(l2Normalise);
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
  return new ort.Tensor("int64", mask, [texts.length, length]);
}
