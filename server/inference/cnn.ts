import { LOG_PROB_FLOOR, logSoftmax } from "../math/log-space.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { type OnnxModel, splitRows, stackImages } from "./onnx-session.ts";

/**
 * The pack's classifier: preprocessed images in, class log-probabilities out. Log-space because
 * the pack's calibration (temperature, log-linear ensemble) works on logits or log-probabilities,
 * and a probability that underflows to 0 would lose what a temperature could recover.
 */
export interface CnnModel {
  readonly model: OnnxModel;
  readonly preprocess: PreprocessSpec;
  /** Class log-probabilities for each image, in the order given. */
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
      return rows.map((row) =>
        outputKind === "logits" ? Float32Array.from(logSoftmax(row)) : logOfProbabilities(row),
      );
    },
  };
}

/** log p, floored so a class the model rules out entirely stays a finite score. */
function logOfProbabilities(probabilities: Float32Array): Float32Array {
  return probabilities.map((p) => Math.max(LOG_PROB_FLOOR, Math.log(p)));
}
