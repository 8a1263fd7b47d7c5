import { createHash } from "node:crypto";
import type { Models } from "../inference/load-models.ts";

// Bumped when the cached answer's shape or the way answers are composed changes, so replicas
// of two service versions sharing one Redis never serve each other's answers.
const ANSWER_FORMAT_VERSION = 1;

/**
 * A short name for everything that decides an answer besides the image and the client's
 * options: the pack's manifest (labels files, calibration, templates, logit scale), its label
 * and template lists, the models' file hashes and preprocessing, the label embeddings, and the
 * routing rules. Result-cache keys start with it, so two pack versions (or two routing
 * configurations) never read each other's answers, and a changed pack needs no flush.
 */
/** The operator's settings that change answers: threshold overrides and priority classes. */
export interface AnswerSettings {
  high?: number | null | undefined;
  low?: number | null | undefined;
  priorityClasses: ReadonlySet<string>;
}

export function answerFingerprint(models: Models, routing: AnswerSettings): string {
  const { pack, cnn, clip } = models;
  const hash = createHash("sha256");
  const part = (value: unknown) => hash.update(JSON.stringify(value) ?? "null").update("\n");
  part(ANSWER_FORMAT_VERSION);
  part(pack.manifest);
  part(pack.labels);
  part(pack.templates);
  part([cnn.model.sha256, cnn.preprocess]);
  part(clip ? [clip.vision.model.sha256, clip.vision.preprocess, clip.text.model.sha256] : null);
  part(clip ? [clip.logitScale, clip.labelEmbeddings.labels, clip.labelEmbeddings.dim] : null);
  if (clip) {
    const { matrix } = clip.labelEmbeddings;
    hash.update(new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength));
  }
  // Every field, so rules that grow (calibrated ensembles) are fingerprinted without an edit here.
  part({ ...routing, priorityClasses: [...routing.priorityClasses].sort() });
  return hash.digest("hex").slice(0, 16);
}
