import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { Classifier } from "../pipeline/classify.ts";
import type { LabelledImageScores } from "./threshold-sweep.ts";

/** A labelled image to score: its bytes, its true class index and a name for messages. */
export interface ImageToScore {
  name: string;
  bytes: Uint8Array;
  label: number;
}

/** The scores of every image that both models answered, and what happened to the others. */
export interface ScoredImages {
  scores: LabelledImageScores[];
  /** Names of the images left out, each with why. */
  skipped: { name: string; reason: string }[];
}

/**
 * Each image's full CNN and CLIP scores through the service's own pipeline (decode, CNN, CLIP
 * vision, cosine × logit scale against the pack's label embeddings), batch by batch. An image
 * that fails to decode, or that CLIP did not answer, is reported through `onSkip` and left out.
 */
export async function scoreLabelledImages(
  classifier: Pick<Classifier, "scoreImages">,
  batches: AsyncIterable<readonly ImageToScore[]>,
  {
    onSkip = () => {},
    onProgress = () => {},
  }: {
    onSkip?: (name: string, reason: string) => void;
    onProgress?: (done: number) => void;
  } = {},
): Promise<ScoredImages> {
  const out: ScoredImages = { scores: [], skipped: [] };
  let done = 0;
  for await (const batch of batches) {
    const results = await classifier.scoreImages(
      batch.map(({ bytes }) => ({ bytes, sha256: sha256Hex(bytes) })),
    );
    batch.forEach(({ name, label }, i) => {
      const result = results[i];
      if (result instanceof UserError || !result?.clip) {
        const reason =
          result instanceof UserError
            ? result.message
            : `the second model did not answer (${result?.fallback ?? "no result"})`;
        out.skipped.push({ name, reason });
        onSkip(name, reason);
        return;
      }
      out.scores.push({ label, cnn: result.cnn, clip: result.clip });
    });
    done += batch.length;
    onProgress(done);
  }
  return out;
}
