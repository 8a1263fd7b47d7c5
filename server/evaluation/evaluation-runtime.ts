import { loadConfig } from "../config/config.ts";
import { createRuntime } from "../runtime/runtime.ts";

/**
 * The service's runtime as evaluations run it: CLIP gets a minute per answer unless the
 * environment says otherwise (an evaluation measures the models, not the serving deadline),
 * and `batchSize` says how many images to send at once without overflowing CLIP's queue.
 */
export async function createEvaluationRuntime(pack?: string) {
  const runtime = await createRuntime(
    loadConfig({
      VLM_TIMEOUT_MS: "60000",
      ...process.env,
      ...(pack ? { MODEL_PACK: pack } : {}),
    }),
  );
  // Each pass sends a whole batch to CLIP at once; past the queue's bound they would be shed.
  const batchSize = Math.min(32, runtime.config.batching.clipQueueMax);
  return { runtime, batchSize };
}
