import { availableParallelism } from "node:os";
import { z } from "zod";

/** A comma-separated list in one environment variable; blanks are dropped. */
const commaList = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/** An empty variable (`PORT=` in an env file) means "not set", never 0. */
const blankAsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;
const number = () => z.preprocess(blankAsUnset, z.coerce.number());
const probability = number().pipe(z.number().min(0).max(1));
const positiveInt = number().pipe(z.number().int().positive());

const thresholds = z.object({
  VLM_THRESHOLD_HIGH: probability.default(0.85),
  VLM_THRESHOLD_LOW: probability.default(0.65),
});

const envSchema = z
  .object({
    /** HTTP port. Default 4000. */
    PORT: number().pipe(z.number().int().min(0).max(65_535)).default(4000),
    /** Interface to listen on. Default loopback; containers set 0.0.0.0. */
    HOST: z.string().min(1).default("127.0.0.1"),
    /** Name of an embedded pack under models/, or a path to a pack folder. Default fashion-mnist. */
    MODEL_PACK: z.string().min(1).default("fashion-mnist"),
    /** Where computed label embeddings are cached between starts. Default .cache/ in the working directory. */
    CACHE_DIR: z.string().min(1).default(".cache"),
    /** CNN top-1 probability at or above which CLIP is not consulted. Default 0.85. */
    VLM_THRESHOLD_HIGH: thresholds.shape.VLM_THRESHOLD_HIGH,
    /** CNN top-1 probability below which CLIP dominates the ensemble. Default 0.65. */
    VLM_THRESHOLD_LOW: thresholds.shape.VLM_THRESHOLD_LOW,
    /** Labels whose CNN answers always get a CLIP second opinion. Default none. */
    VLM_PRIORITY_CLASSES: commaList,
    /** How long a request waits for CLIP before answering with the CNN alone. Default 500 ms. */
    VLM_TIMEOUT_MS: positiveInt.default(500),
    /** Which CLIP files to run when a pack has several. Default int8 (fp16 only helps on GPUs). */
    VLM_PRECISION: z.enum(["int8", "fp32", "fp16"]).default("int8"),
    /** Most images per model call in the cross-request batcher. Default 8. */
    BATCH_MAX_SIZE: positiveInt.default(8),
    /** Longest a queued image waits for a partial batch while a model slot is free. Default 50 ms. */
    BATCH_MAX_WAIT_MS: positiveInt.default(50),
    /** CLIP images waiting beyond which requests fall back as OVERLOADED. Default 64. */
    VLM_QUEUE_MAX: positiveInt.default(64),
    /** CNN images waiting beyond which requests are refused as OVERLOADED. Default 1024. */
    CNN_QUEUE_MAX: positiveInt.default(1024),
    /** Bytes of CLIP image embeddings kept in memory (LRU). Default 64 MiB. */
    EMBEDDING_CACHE_BYTES: positiveInt.default(64 * 1024 * 1024),
    /** Consecutive CLIP failures that open the circuit breaker. Default 5. */
    VLM_BREAKER_FAILURES: positiveInt.default(5),
    /** How long an open breaker waits before one trial CLIP call. Default 10000 ms. */
    VLM_BREAKER_RESET_MS: positiveInt.default(10_000),
    /** Answers kept for feedback (oldest dropped first). Default 100,000. */
    PREDICTION_STORE_MAX: positiveInt.default(100_000),
    /** How long an answer can receive feedback. Default 86,400 s (a day). */
    PREDICTION_TTL_SECONDS: positiveInt.default(86_400),
    /** Feedbacks the accuracy delta is computed over. Default 500. */
    FEEDBACK_WINDOW: positiveInt.default(500),
    /** OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318. Default none: tracing off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    /** service.name on every span. Default vision-classify. */
    OTEL_SERVICE_NAME: z.string().min(1).default("vision-classify"),
    /**
     * onnxruntime intra-op threads per session. Default: half the cores (at least 1), leaving
     * the rest to decoding and the event loop; at 100 req/s on 2 cores, all cores doubled p95.
     */
    ORT_INTRA_OP_THREADS: positiveInt.default(Math.max(1, Math.floor(availableParallelism() / 2))),
    /** libvips threads per image decode; decodes run in parallel on libuv's pool. Default 1. */
    SHARP_CONCURRENCY: positiveInt.default(1),
    /** Largest decoded image, in pixels (width × height). Default 40 megapixels. */
    IMAGE_MAX_PIXELS: positiveInt.default(40_000_000),
    /**
     * Largest accepted side, in pixels, whatever the pixel count: a 40,000×1000 strip would be
     * resized to 8960×224 for a 224 shortest edge. Default 16384, a wide phone panorama.
     */
    IMAGE_MAX_SIDE: positiveInt.default(16_384),
    /** Smallest accepted side, in pixels: below it there is nothing to classify. Default 8. */
    IMAGE_MIN_SIDE: positiveInt.default(8),
    /**
     * Images decoded at once; the rest wait. Default: the cores, at most libuv's pool size.
     * Decoding is CPU-bound work on libuv's pool: more decodes than cores add memory (each holds
     * its full-size pixels) but no throughput, and more than the pool would queue inside libuv
     * where nothing bounds or measures them, ahead of the pool's file and DNS work.
     */
    DECODE_CONCURRENCY: positiveInt.optional(),
    /**
     * Images waiting for a decode beyond which new ones are refused as OVERLOADED. Default 1024,
     * as CNN_QUEUE_MAX: waiting uploads are in memory already, so this bounds the backlog (about
     * 10 s at 100 req/s), not memory; 128 shed requests at 100 req/s on a briefly starved CPU.
     */
    DECODE_QUEUE_MAX: positiveInt.default(1024),
    /** libuv's thread pool size, read by Node itself; here only for DECODE_CONCURRENCY. Default 4. */
    UV_THREADPOOL_SIZE: positiveInt.default(4),
    /** Largest accepted upload, in bytes. Default 20 MiB. */
    UPLOAD_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
    /** Most images in one classifyBatch. Default 32. */
    BATCH_MAX_IMAGES: positiveInt.default(32),
    /** Most labels in one custom label set. Default 256. */
    CUSTOM_LABELS_MAX: positiveInt.default(256),
    /** Serve GraphiQL on /graphql. Default true. */
    GRAPHIQL: z
      .enum(["true", "false", "1", "0"])
      .default("true")
      .transform((value) => value === "true" || value === "1"),
  })
  .refine((env) => env.VLM_THRESHOLD_LOW <= env.VLM_THRESHOLD_HIGH, {
    message: "VLM_THRESHOLD_LOW must not exceed VLM_THRESHOLD_HIGH",
    path: ["VLM_THRESHOLD_LOW"],
    // zod skips object refinements once any field failed; check whenever the thresholds parsed,
    // so every problem is reported in one go.
    when: (payload) => thresholds.safeParse(payload.value).success,
  });

export interface Config {
  http: { port: number; host: string; graphiql: boolean };
  modelPack: string;
  cacheDir: string;
  routing: {
    high: number;
    low: number;
    priorityClasses: readonly string[];
  };
  vlmTimeoutMs: number;
  vlmPrecision: "int8" | "fp32" | "fp16";
  batching: { maxBatchSize: number; maxWaitMs: number; vlmQueueMax: number; cnnQueueMax: number };
  embeddingCacheBytes: number;
  feedback: { storeMax: number; ttlMs: number; window: number };
  breaker: { failures: number; resetMs: number };
  threads: { ortIntraOp: number; sharp: number };
  decode: { concurrency: number; queueMax: number };
  tracing: { endpoint: string | null; serviceName: string; timeoutMs: number };
  limits: {
    maxPixels: number;
    maxSide: number;
    minSide: number;
    uploadMaxBytes: number;
    batchMaxImages: number;
    customLabelsMax: number;
  };
}

/** Thrown with every problem in the environment at once, one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once at start-up; everything else receives the result. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    http: { port: e.PORT, host: e.HOST, graphiql: e.GRAPHIQL },
    modelPack: e.MODEL_PACK,
    cacheDir: e.CACHE_DIR,
    routing: {
      high: e.VLM_THRESHOLD_HIGH,
      low: e.VLM_THRESHOLD_LOW,
      priorityClasses: e.VLM_PRIORITY_CLASSES,
    },
    vlmTimeoutMs: e.VLM_TIMEOUT_MS,
    vlmPrecision: e.VLM_PRECISION,
    batching: {
      maxBatchSize: e.BATCH_MAX_SIZE,
      maxWaitMs: e.BATCH_MAX_WAIT_MS,
      vlmQueueMax: e.VLM_QUEUE_MAX,
      cnnQueueMax: e.CNN_QUEUE_MAX,
    },
    embeddingCacheBytes: e.EMBEDDING_CACHE_BYTES,
    feedback: {
      storeMax: e.PREDICTION_STORE_MAX,
      ttlMs: e.PREDICTION_TTL_SECONDS * 1000,
      window: e.FEEDBACK_WINDOW,
    },
    breaker: { failures: e.VLM_BREAKER_FAILURES, resetMs: e.VLM_BREAKER_RESET_MS },
    threads: { ortIntraOp: e.ORT_INTRA_OP_THREADS, sharp: e.SHARP_CONCURRENCY },
    decode: {
      concurrency: e.DECODE_CONCURRENCY ?? Math.min(availableParallelism(), e.UV_THREADPOOL_SIZE),
      queueMax: e.DECODE_QUEUE_MAX,
    },
    tracing: {
      endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
      serviceName: e.OTEL_SERVICE_NAME,
      timeoutMs: 2000,
    },
    limits: {
      maxPixels: e.IMAGE_MAX_PIXELS,
      maxSide: e.IMAGE_MAX_SIDE,
      minSide: e.IMAGE_MIN_SIDE,
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      batchMaxImages: e.BATCH_MAX_IMAGES,
      customLabelsMax: e.CUSTOM_LABELS_MAX,
    },
  };
}
