import { loadConfig } from "../config/config.ts";
import { createAccuracyWindow } from "../feedback/accuracy-window.ts";
import { createFeedback } from "../feedback/feedback.ts";
import type { ServiceRuntime } from "../runtime/service-runtime.ts";
import { createFakePipeline, type FakePipelineOptions } from "./fake-pipeline.ts";

/**
 * A runtime for tests of the HTTP edge (guards, API keys, CORS, GraphiQL, error masking): the
 * config parsed from `env` as a deployment's would be, real feedback and metrics, and the real
 * pipeline on fake runners (createFakePipeline), so no model file is opened and nothing warms
 * up. Its pack is the fake one: labels cat, dog and fox, CNN fairly sure of "cat" by default.
 */
export function createFakeRuntime(
  env: Record<string, string> = {},
  pipeline: Omit<FakePipelineOptions, "settings"> = {},
) {
  const config = loadConfig({ CACHE_DIR: ".cache/test", ...env });
  const fake = createFakePipeline({
    embeddingCacheBytes: config.embeddingCacheBytes,
    ...pipeline,
    settings: config,
  });
  const window = createAccuracyWindow(config.feedback.window);
  const submitFeedback = createFeedback({
    store: fake.predictions,
    packLabels: fake.models.pack.labels,
    window,
    metrics: fake.metrics,
  });
  // As createRuntime exports it: the gauge reads the window feedback moves.
  fake.metrics.sources.accuracyDelta = async () => (await window.read()).delta;
  const runtime = {
    config,
    models: fake.models,
    classifier: fake.classifier,
    metrics: fake.metrics,
    submitFeedback,
    startedAt: new Date(),
    warmUp: { seconds: 0 },
    cnnPriority: { niceness: 0, reason: "fake models share nothing" },
    redisHealth: () => ({ state: "disabled" as const, lastError: null, lastErrorAt: null }),
    lifecycle: { draining: false },
  } satisfies ServiceRuntime;
  return { runtime, calls: fake.calls };
}
