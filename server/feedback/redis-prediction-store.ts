import type { RedisConnection } from "../redis/redis-connection.ts";
import type {
  FeedbackClaim,
  Prediction,
  PredictionStore,
  StoredPrediction,
} from "./prediction-store.ts";

export interface RedisPredictionStoreOptions {
  redis: RedisConnection;
  /** How long an answer can receive feedback: the Redis key's time to live. */
  ttlMs: number;
  /** This process' own store: written too, and answering whenever Redis cannot. */
  local: PredictionStore;
}

// One atomic step on the server, so two replicas claiming the same answer at once cannot both
// win: -1 when the answer is not in Redis (expired, evicted, or stored while Redis was down),
// else HSETNX's 1 (recorded) or 0 (it already had feedback). The EXISTS check keeps HSETNX from
// creating a key without a TTL for an answer that has expired.
const CLAIM_FEEDBACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], 'feedback', ARGV[1])
`;

/**
 * Answers in Redis, so feedback for an answer given by one replica is accepted by any other,
 * once: each answer is a hash `prediction:<id>` {answer: JSON, feedback: label} expiring after
 * `ttlMs`. Every answer is also kept locally; when Redis is down or slow, this replica answers
 * from its own store (feedback then only reaches answers it gave itself).
 */
export function createRedisPredictionStore({
  redis,
  ttlMs,
  local,
}: RedisPredictionStoreOptions): PredictionStore {
  const key = (id: string) => `prediction:${id}`;
  return {
    async remember(id, prediction) {
      await local.remember(id, prediction);
      await redis.attempt("prediction_set", async (client) => {
        const replies = await client
          .multi()
          .hset(key(id), "answer", JSON.stringify(prediction))
          .pexpire(key(id), ttlMs)
          .exec();
        const failed = replies?.find(([error]) => error)?.[0];
        if (!replies || failed) throw failed ?? new Error("transaction discarded");
      });
    },
    async get(id) {
      const found = await redis.attempt("prediction_get", (client) => client.hgetall(key(id)));
      const shared = found.ok ? parseStored(found.value) : undefined;
      if (!shared) return local.get(id);
      // Feedback this replica took while Redis was away counts too.
      const mine = await local.get(id);
      return { ...shared, feedbackLabel: shared.feedbackLabel ?? mine?.feedbackLabel ?? null };
    },
    async claimFeedback(id, label): Promise<FeedbackClaim> {
      const mine = await local.claimFeedback(id, label);
      if (mine === "duplicate") return mine;
      const claimed = await redis.attempt("feedback_claim", (client) =>
        client.eval(CLAIM_FEEDBACK, 1, key(id), label),
      );
      if (!claimed.ok || claimed.value === -1) return mine;
      return claimed.value === 1 ? "recorded" : "duplicate";
    },
  };
}

/** A stored hash back into an answer; undefined when absent or not one this service wrote. */
function parseStored(hash: Record<string, string>): StoredPrediction | undefined {
  if (hash.answer === undefined) return undefined;
  try {
    const value = JSON.parse(hash.answer) as Partial<Prediction>;
    const labels = value.customLabels;
    const valid =
      typeof value.cnnLabel === "string" &&
      typeof value.finalLabel === "string" &&
      typeof value.vlmUsed === "boolean" &&
      (labels === null || (Array.isArray(labels) && labels.every((l) => typeof l === "string")));
    if (!valid) return undefined;
    return { ...(value as Prediction), feedbackLabel: hash.feedback ?? null };
  } catch {
    return undefined;
  }
}
