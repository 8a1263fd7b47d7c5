import sharp from "sharp";
import type { Config } from "./config.ts";
import { loadModels, type Models } from "./inference/load-models.ts";
import { loadPack } from "./packs/load-pack.ts";
import { type Classifier, createClassifier } from "./pipeline/classify.ts";
import { warmUp } from "./warm-up.ts";

/** The process-wide singletons, built once at start and passed down to every request. */
export interface Runtime {
  readonly config: Config;
  readonly models: Models;
  readonly classifier: Classifier;
  readonly startedAt: Date;
  /** Null until the first real inference has passed; then how long it took. */
  readonly warmUpSeconds: number | null;
}

export async function createRuntime(
  config: Config,
  log: (message: string) => void = () => {},
): Promise<Runtime> {
  // Decodes run in parallel on libuv's pool; one libvips thread each leaves cores for onnxruntime.
  sharp.concurrency(config.threads.sharp);
  const pack = await loadPack(config.modelPack);
  const models = await loadModels(pack, {
    intraOpThreads: config.threads.ortIntraOp,
    cacheDir: config.cacheDir,
    log,
  });
  const classifier = createClassifier({
    models,
    routing: {
      high: config.routing.high,
      low: config.routing.low,
      priorityClasses: new Set(config.routing.priorityClasses),
    },
    limits: config.limits,
    vlmTimeoutMs: config.vlmTimeoutMs,
  });
  const unknownPriority = config.routing.priorityClasses.filter(
    (label) => !pack.labels.includes(label),
  );
  if (unknownPriority.length > 0) {
    throw new Error(
      `VLM_PRIORITY_CLASSES names labels the pack does not have: ${unknownPriority.join(", ")}`,
    );
  }
  const runtime = {
    config,
    models,
    classifier,
    startedAt: new Date(),
    warmUpSeconds: null as number | null,
  };
  runtime.warmUpSeconds = await warmUp(classifier);
  return runtime;
}
