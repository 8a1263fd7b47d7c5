import { createHash } from "node:crypto";
import type { OnnxModel } from "./onnx-session.ts";

/**
 * A short, stable name for what a model computes: its file's contents and the preprocessing it
 * is fed with. Caches shared across replicas key by it, not by path, so two machines with the
 * same model share entries and a changed model never reads stale ones.
 */
export function modelFingerprint(model: OnnxModel, preprocess: unknown): string {
  return createHash("sha256")
    .update(model.sha256)
    .update(JSON.stringify(preprocess))
    .digest("hex")
    .slice(0, 16);
}
