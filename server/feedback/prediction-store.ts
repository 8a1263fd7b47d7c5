/** What feedback needs to score one answer, kept after it was sent. */
export interface Prediction {
  cnnLabel: string;
  finalLabel: string;
  vlmUsed: boolean;
  /** The labels the answer chose among: the pack's (null) or the caller's own. */
  customLabels: readonly string[] | null;
}

export interface StoredPrediction extends Prediction {
  /** The label feedback gave, null until then. */
  feedbackLabel: string | null;
}

/** What claiming an answer's one feedback did. */
export type FeedbackClaim = "recorded" | "duplicate" | "unknown";

/**
 * Recent answers by id, so submitFeedback can score them. One interface whether they live in
 * this process or in Redis, shared by every replica; the pipeline does not know which.
 * No method throws or waits long: a store backed by Redis falls back to this process.
 */
export interface PredictionStore {
  /** Keeps an answer for feedback; resolves once it is stored where other replicas see it. */
  remember(id: string, prediction: Prediction): Promise<void>;
  /** The answer and its feedback so far; undefined when unknown or expired. */
  get(id: string): Promise<StoredPrediction | undefined>;
  /**
   * Records `label` as the answer's feedback unless it has one: atomic, so of two concurrent
   * claims (on any replicas) exactly one is "recorded".
   */
  claimFeedback(id: string, label: string): Promise<FeedbackClaim>;
}

export interface MemoryPredictionStoreOptions {
  /** Most predictions kept; the oldest go first. Default 100,000 (~20 MB). */
  maxEntries?: number;
  /** How long a prediction can receive feedback. Default 24 h. */
  ttlMs?: number;
  now?: () => number;
}

/** The in-process store, bounded in count and age: one replica, or the fallback beside Redis. */
export function createPredictionStore({
  maxEntries = 100_000,
  ttlMs = 24 * 60 * 60 * 1000,
  now = Date.now,
}: MemoryPredictionStoreOptions = {}): PredictionStore & { readonly size: number } {
  const entries = new Map<string, StoredPrediction & { expiresAt: number }>();

  function current(id: string) {
    const entry = entries.get(id);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(id);
      return undefined;
    }
    return entry;
  }

  return {
    async remember(id, prediction) {
      entries.set(id, { ...prediction, feedbackLabel: null, expiresAt: now() + ttlMs });
      // A Map iterates in insertion order, so the first key is the oldest.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    async get(id) {
      const entry = current(id);
      if (!entry) return undefined;
      const { expiresAt: _, ...prediction } = entry;
      return prediction;
    },
    // No await between the check and the write: on one event loop this is atomic.
    async claimFeedback(id, label) {
      const entry = current(id);
      if (!entry) return "unknown";
      if (entry.feedbackLabel !== null) return "duplicate";
      entry.feedbackLabel = label;
      return "recorded";
    },
    get size() {
      return entries.size;
    },
  };
}
