import { embedLabels, type LabelEmbeddings } from "../inference/label-embeddings.ts";
import type { ClipModels } from "../inference/load-models.ts";

/**
 * Text embeddings of callers' own label sets, computed once per set and kept for the most
 * recently used `maxSets`. In-flight computations are shared, and a failed one is forgotten.
 */
export function createCustomLabelSets(templates: readonly string[], maxSets = 64) {
  const sets = new Map<string, Promise<LabelEmbeddings>>();
  return {
    get(clip: ClipModels, labels: readonly string[]): Promise<LabelEmbeddings> {
      const key = JSON.stringify(labels);
      const known = sets.get(key);
      if (known) {
        // Re-insert to mark as most recently used (a Map iterates in insertion order).
        sets.delete(key);
        sets.set(key, known);
        return known;
      }
      const computing = embedLabels(clip.text, labels, templates);
      sets.set(key, computing);
      computing.catch(() => sets.delete(key));
      while (sets.size > maxSets) sets.delete(sets.keys().next().value as string);
      return computing;
    },
    get size() {
      return sets.size;
    },
  };
}
