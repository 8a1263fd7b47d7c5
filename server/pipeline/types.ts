import type { ImageInfo } from "../preprocess/decode-image.ts";

/** AUTO lets the routing rules decide; FORCE always asks CLIP; OFF never does. */
export type ClipMode = "AUTO" | "FORCE" | "OFF";
/** Why CLIP was consulted. */
export type ClipReason = "LOW_CONFIDENCE" | "PRIORITY_CLASS" | "FORCED" | "CUSTOM_LABELS";
/** Why CLIP was wanted but the answer is the CNN's alone. */
export type Fallback = "TIMEOUT" | "ERROR" | "OVERLOADED" | "UNAVAILABLE";

export interface ClassifyOptions {
  /** How many predictions to return. */
  topK: number;
  vlm: ClipMode;
  /** The caller's own label set for zero-shot classification, or null for the pack's labels. */
  labels: readonly string[] | null;
}

/** One uploaded image, identified by the sha256 of its bytes. */
export interface ImageInput {
  bytes: Uint8Array;
  sha256: string;
}

export interface LabelScore {
  label: string;
  score: number;
}

/** One model's own answer, before the ensemble. */
export interface ModelScores {
  model: string;
  top: LabelScore;
  predictions: LabelScore[];
}

export interface Timings {
  decodeMs: number;
  cnnMs: number;
  vlmMs: number | null;
  totalMs: number;
}

export interface Classification {
  id: string;
  top: LabelScore;
  predictions: LabelScore[];
  cnn: ModelScores;
  vlm: ModelScores | null;
  vlmUsed: boolean;
  vlmReason: ClipReason | null;
  fallback: Fallback | null;
  /** Weight of the CNN in the ensemble; null when only one model answered. */
  cnnWeight: number | null;
  /** CLIP's part came from a cache: its image embedding, or the whole answer (resultCacheHit). */
  cacheHit: boolean;
  /**
   * The answer was copied from an identical earlier request (same image, options and pack):
   * no model ran. Set by the result cache; absent means false.
   */
  resultCacheHit?: boolean;
  timings: Timings;
  image: ImageInfo & { sha256: string };
  model: string;
}
