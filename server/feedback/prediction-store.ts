/** What feedback needs to score one answer, kept after it was sent. */
export interface StoredPrediction {
  cnnLabel: string;
  finalLabel: string;
  vlmUsed: boolean;
  /** The labels the answer chose among: the pack's (null) or the caller's own. */
  customLabels: readonly string[] | null;
  feedbackLabel: string | null;
  expiresAt: number;
}

export interface PredictionStoreOptions {
  /** Most predictions kept; the oldest go first. Default 100,000 (~20 MB). */
  maxEntries?: number;
  /** How long a prediction can receive feedback. Default 24 h. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Recent answers by id, bounded in count and age, so submitFeedback can score them. In memory:
 * one process. (Several replicas share it through Redis, behind the same interface.)
 */
export function createPredictionStore({
  maxEntries = 100_000,
  ttlMs = 24 * 60 * 60 * 1000,
  now = Date.now,
}: PredictionStoreOptions = {}) {
  const entries = new Map<string, StoredPrediction>();
  return {
    remember(id: string, prediction: Omit<StoredPrediction, "expiresAt" | "feedbackLabel">) {
      entries.set(id, { ...prediction, feedbackLabel: null, expiresAt: now() + ttlMs });
      // A Map iterates in insertion order, so the first key is the oldest.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get(id: string): StoredPrediction | undefined {
      const entry = entries.get(id);
      if (entry && entry.expiresAt <= now()) {
        entries.delete(id);
        return undefined;
      }
      return entry;
    },
    get size() {
      return entries.size;
    },
  };
}

export type PredictionStore = ReturnType<typeof createPredictionStore>;
