/**
 * One model as the pipeline sees it: a batch of preprocessed images in, one output per image
 * out, in order. The CNN (class probabilities) and CLIP's vision tower (embeddings) both have
 * this shape, so the pipeline batches and measures them the same way, and tests can pass fakes.
 */
export type ModelRunner = (tensors: Float32Array[]) => Promise<Float32Array[]>;

/** The runners the pipeline builds its steps from; no CLIP runner without a CLIP model. */
export interface ModelRunners {
  cnn: ModelRunner;
  clipVision: ModelRunner | null;
}
