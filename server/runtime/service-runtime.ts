import type { Config } from "../config/config.ts";
import type { SubmitFeedback } from "../feedback/feedback.ts";
import type { Models } from "../inference/load-models.ts";
import type { OnnxModel } from "../inference/onnx-session.ts";
import type { ModelPack } from "../packs/load-pack.ts";
import type { Classifier } from "../pipeline/classify.ts";
import type { RedisHealth } from "../redis/redis-connection.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { CnnPriority } from "./cpu-priority.ts";

/** What the service reports about one model file: never its session. */
export type ModelFacts = Pick<OnnxModel, "path" | "inputNames" | "outputNames" | "loadSeconds">;

/** The models as the HTTP edge describes them (labels, files, variants, CLIP's availability). */
export interface ServedModels {
  readonly pack: Pick<ModelPack, "name" | "labels" | "dir">;
  readonly cnn: { readonly model: ModelFacts };
  readonly clip: {
    readonly vision: { readonly model: ModelFacts };
    readonly text: { readonly model: ModelFacts };
  } | null;
  readonly clipUnavailableReason: string | null;
  readonly variants: Models["variants"];
}

/**
 * What the HTTP handler and the resolvers read of the runtime: its settings, the classifier,
 * feedback, metrics and health. The full Runtime is one; so is a runtime on fake models, which
 * lets the HTTP edge be tested without opening a model.
 */
export interface ServiceRuntime {
  readonly config: Pick<Config, "limits" | "http" | "graphql" | "auth" | "metrics">;
  readonly models: ServedModels;
  readonly classifier: Pick<Classifier, "classifyImages" | "embeddings">;
  readonly metrics: Metrics;
  readonly submitFeedback: SubmitFeedback;
  readonly startedAt: Date;
  /** How long the warm-up took, for /ready. */
  readonly warmUp: { readonly seconds: number };
  /** How the CNN shares the cores with CLIP, for /ready. */
  readonly cnnPriority: CnnPriority;
  /** Redis' state for /ready; "disabled" without REDIS_URL. */
  redisHealth(): RedisHealth;
  /** Set on shutdown: readiness fails so load balancers stop sending new requests. */
  readonly lifecycle: { draining: boolean };
}
