import { l2Normalise } from "../math/vector-math.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { type OnnxModel, splitRows, stackImages } from "./onnx-session.ts";

/** CLIP's image tower: preprocessed images in, unit-length embeddings out. */
export interface ClipVisionModel {
  readonly model: OnnxModel;
  readonly preprocess: PreprocessSpec;
  embed(images: readonly Float32Array[]): Promise<Float32Array[]>;
}

export function createClipVision(options: {
  model: OnnxModel;
  input: string;
  output: string;
  preprocess: PreprocessSpec;
}): ClipVisionModel {
  const { model, input, output, preprocess } = options;
  const { height, width } = preprocess.outputSize;
  return {
    model,
    preprocess,
    async embed(images) {
      if (images.length === 0) return [];
      // Fetch only the embedding: some towers also compute logits nobody reads.
      const result = await model.run({ [input]: stackImages(images, height, width) }, [output]);
      return splitRows(result[output]).map(l2Normalise);
    },
  };
}
