import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { type OnnxModel, splitRows, stackImages } from "./onnx-session.ts";
import { softmax } from "./vector-math.ts";

/** The pack's classifier: preprocessed images in, class probabilities out. */
export interface CnnModel {
  readonly model: OnnxModel;
  readonly preprocess: PreprocessSpec;
  /** Class probabilities for each image, in the order given. */
  classify(images: readonly Float32Array[]): Promise<Float32Array[]>;
}

export function createCnn(options: {
  model: OnnxModel;
  input: string;
  output: string;
  outputKind: "logits" | "probabilities";
  preprocess: PreprocessSpec;
}): CnnModel {
  const { model, input, output, outputKind, preprocess } = options;
  const { height, width } = preprocess.outputSize;
  return {
    model,
    preprocess,
    async classify(images) {
      if (images.length === 0) return [];
      const feeds = { [input]: stackImages(images, height, width) };
      const result = await model.run(feeds, [output]);
      const rows = splitRows(result[output]);
      return outputKind === "logits" ? rows.map((row) => softmax(row)) : rows;
    },
  };
}
