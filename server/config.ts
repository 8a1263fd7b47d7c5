import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { z } from "zod";
import {
  type ApiKeyEntry,
  parseApiKeyList,
  parseRateLimit,
  type RateLimit,
} from "./auth/api-keys.ts";
import { LEGACY_THRESHOLDS } from "./calibration/index.ts";

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
const flag = (fallback: boolean) =>
  z
    .preprocess(blankAsUnset, z.enum(["true", "false", "1", "0"]).optional())
    .transform((value) => (value === undefined ? fallback : value === "true" || value === "1"));
const probability = number().pipe(z.number().min(0).max(1));
const positiveInt = number().pipe(z.number().int().positive());
/** API key entries (see server/auth/api-keys.ts); a bad entry is reported like any variable. */
const apiKeyList = (text: string, ctx: z.RefinementCtx): ApiKeyEntry[] => {
  try {
    return parseApiKeyList(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
};

/** An origin as browsers send it: scheme, host and optional port, lower case, no path. */
const isOrigin = (value: string) => {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
};
const corsOrigins = commaList.pipe(
  z
    .array(
      z.string().refine((value) => value === "*" || isOrigin(value), {
        error: (issue) =>
          `"${String(issue.input)}" is not an origin like https://app.example.com (no path, no trailing slash)`,
      }),
    )
    .refine((origins) => !origins.includes("*") || origins.length === 1, {
      error: "* allows every origin; list origins or set * alone",
    }),
);

// Unset: the pack's calibration decides (else the legacy 0.85 / 0.65); set: the operator wins.
const thresholds = z.object({
  VLM_THRESHOLD_HIGH: probability.optional(),
  VLM_THRESHOLD_LOW: probability.optional(),
});

const envSchema = z
  .object({
    /** HTTP port. Default 4000. */
    PORT: number().pipe(z.number().int().min(0).max(65_535)).default(4000),
    /** Interface to listen on. Default loopback; containers set 0.0.0.0. */
    HOST: z.string().min(1).default("127.0.0.1"),
    /** Name of an embedded pack under models/, or a path to a pack folder. Default imagenet (real photos, 1000 classes). */
    MODEL_PACK: z.string().min(1).default("imagenet"),
    /** Where computed label embeddings and downloaded model packs are kept. Default .cache/ in the working directory. */
    CACHE_DIR: z.string().min(1).default(".cache"),
    /**
     * CNN (calibrated) top-1 probability at or above which CLIP is not consulted. Default: the
     * pack's calibration, else 0.85.
     */
    VLM_THRESHOLD_HIGH: thresholds.shape.VLM_THRESHOLD_HIGH,
    /**
     * Packs without calibration: CNN top-1 probability below which CLIP dominates the
     * ensemble. Default 0.65 (a calibrated pack's ensemble weight is fitted).
     */
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
    /**
     * Bytes of complete answers kept in memory (LRU), so a repeated image with the same options
     * skips decode, CNN and CLIP. Default 32 MiB (about 10,000 answers of topK 5); 0 turns the
     * result cache off, in memory and in Redis.
     */
    RESULT_CACHE_BYTES: number()
      .pipe(z.number().int().min(0))
      .default(32 * 1024 * 1024),
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
    /**
     * Redis shared by every replica (redis:// or rediss://): second-level embedding cache,
     * predictions for feedback, the fleet's accuracy window. Default none: all in process.
     */
    REDIS_URL: z.preprocess(
      blankAsUnset,
      z
        .url({ protocol: /^rediss?$/, hostname: /./, error: "must be redis://host:port" })
        .optional(),
    ),
    /** Longest one Redis command may take before the request goes on without it. Default 50 ms. */
    REDIS_COMMAND_TIMEOUT_MS: positiveInt.default(50),
    /** How long Redis keeps an image embedding. Default 604,800 s (a week). */
    REDIS_EMBEDDING_TTL_SECONDS: positiveInt.default(604_800),
    /** How long Redis keeps a complete answer for the result cache. Default 86,400 s (a day). */
    REDIS_RESULT_TTL_SECONDS: positiveInt.default(86_400),
    /** OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318. Default none: tracing off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    /** service.name on every span. Default vision-classify. */
    OTEL_SERVICE_NAME: z.string().min(1).default("vision-classify"),
    /**
     * onnxruntime intra-op threads per session (CNN, CLIP vision, CLIP text). Default: every
     * core. Sessions overlap and their idle threads sleep instead of spinning, so whichever
     * model has work gets the whole machine and decodes still get the cores between calls
     * (`npm run bench:cpu`). Half the cores partitions them as before: less CLIP throughput.
     * A choice from `npm run models:choose-variant` overrides it per model.
     */
    ORT_INTRA_OP_THREADS: positiveInt.default(availableParallelism()),
    /**
     * Niceness of the CNN's threads (0–19). When CLIP and the CNN compete for the cores, CLIP
     * gets the larger share: its answers are the scarce ones, and a request whose CLIP batch
     * is late falls back, while a late CNN answer is only slower. Alone, the CNN still gets
     * every core. 0 shares the cores evenly.
     */
    CNN_NICENESS: number().pipe(z.number().int().min(0).max(19)).default(10),
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
    /** Most images one request classifies (a classifyBatch, or classify fields together). Default 32. */
    BATCH_MAX_IMAGES: positiveInt.default(32),
    /** Most file parts in one multipart request. Default: BATCH_MAX_IMAGES. */
    UPLOAD_MAX_FILES: positiveInt.optional(),
    /** Largest request body, in bytes, checked on Content-Length and while it streams. Default 64 MiB. */
    REQUEST_MAX_BYTES: positiveInt.default(64 * 1024 * 1024),
    /** Largest non-file multipart field (operations, map), in bytes. Default 1 MiB. */
    UPLOAD_MAX_FIELD_BYTES: positiveInt.default(1024 * 1024),
    /** Header bytes kept per multipart part; a part whose name lies beyond is refused. Default 8 KiB. */
    UPLOAD_MAX_PART_HEADER_BYTES: positiveInt.default(8 * 1024),
    /** Most labels in one custom label set. Default 256. */
    CUSTOM_LABELS_MAX: positiveInt.default(256),
    /** Model downloads use only the cache, never the network (`npm run models:download`). Default false. */
    MODELS_OFFLINE: flag(false),
    /**
     * Base URL of a mirror for model downloads: replaces the scheme and host of every catalog URL,
     * keeping its path (a path here is put in front). Default none: the catalog's own hosts.
     */
    MODELS_MIRROR_URL: z.preprocess(blankAsUnset, z.url().optional()),
    /** Serve GraphiQL on /graphql. Default true. */
    GRAPHIQL: flag(true),
    /**
     * After SIGTERM, how long requests in flight may take before the process exits anyway.
     * Default 10,000 ms; keep it under the orchestrator's grace period.
     */
    SHUTDOWN_DRAIN_MS: positiveInt.default(10_000),
    /** Serve the demo page (upload images, see the answers) on /. Default true. */
    DEMO_PAGE: flag(true),
    /**
     * Web origins allowed to call the API from a browser (CORS), comma-separated, e.g.
     * https://app.example.com; * allows any. Default none: same-origin pages only.
     */
    CORS_ORIGINS: corsOrigins,
    /** Answer schema introspection (and "did you mean" hints). Default true; set false in production. */
    INTROSPECTION: flag(true),
    /** Put an internal error's message and stack in its response (masked either way). Default false. */
    ERROR_DETAILS: flag(false),
    /** Deepest selection a GraphQL operation may have. Default 8 (the largest real query has 5). */
    GRAPHQL_MAX_DEPTH: positiveInt.default(8),
    /** Most aliases in one operation. Default 15. */
    GRAPHQL_MAX_ALIASES: positiveInt.default(15),
    /** Most lexical tokens in one document. Default 1000 (a classifyBatch with every field has ~110). */
    GRAPHQL_MAX_TOKENS: positiveInt.default(1000),
    /** Most directives in one operation. Default 10. */
    GRAPHQL_MAX_DIRECTIVES: positiveInt.default(10),
    /** Highest GraphQL Armor cost of one operation. Default 1000 (a classifyBatch with every field costs ~180). */
    GRAPHQL_MAX_COST: positiveInt.default(1000),
    /**
     * API keys: entries `name:sha256hex:scope1+scope2[:rate[/burst]]`, separated by commas or
     * line breaks; mint them with `npm run keys:create`. Default none: the API is open.
     */
    API_KEYS: z.string().default("").transform(apiKeyList),
    /** A file of API key entries, one per line (# comments allowed), instead of API_KEYS. Default none. */
    API_KEYS_FILE: z.preprocess(blankAsUnset, z.string().optional()),
    /** Requests/s and burst of a key whose entry gives no rate, e.g. 100/200. Default 100/200. */
    API_KEY_DEFAULT_RATE: z
      .string()
      .default("100/200")
      .transform((text, ctx) => {
        const rate = parseRateLimit(text);
        if (rate) return rate;
        ctx.addIssue({
          code: "custom",
          message: "expected REQUESTS_PER_SECOND[/BURST], e.g. 100/200",
        });
        return z.NEVER;
      }),
  })
  .refine(
    (env) =>
      env.VLM_THRESHOLD_LOW === undefined ||
      env.VLM_THRESHOLD_LOW <= (env.VLM_THRESHOLD_HIGH ?? LEGACY_THRESHOLDS.high),
    {
      message: "VLM_THRESHOLD_LOW must not exceed VLM_THRESHOLD_HIGH",
      path: ["VLM_THRESHOLD_LOW"],
      // zod skips object refinements once any field failed; check whenever the thresholds parsed,
      // so every problem is reported in one go.
      when: (payload) => thresholds.safeParse(payload.value).success,
    },
  );

/** Reads API_KEYS_FILE; a missing file or a bad entry is a configuration error like any other. */
function keysFromFile(env: Record<string, string | undefined>, issues: string[]): ApiKeyEntry[] {
  const path = blankAsUnset(env.API_KEYS_FILE) as string | undefined;
  if (path === undefined) return [];
  if (blankAsUnset(env.API_KEYS) !== undefined) {
    issues.push("  API_KEYS_FILE: set API_KEYS or API_KEYS_FILE, not both");
    return [];
  }
  try {
    return parseApiKeyList(readFileSync(path, "utf8"));
  } catch (error) {
    issues.push(`  API_KEYS_FILE: ${(error as Error).message}`);
    return [];
  }
}

export interface Config {
  http: {
    port: number;
    host: string;
    graphiql: boolean;
    demoPage: boolean;
    /** Exact origins, or ["*"]; empty: no cross-origin access. */
    corsOrigins: readonly string[];
  };
  graphql: {
    introspection: boolean;
    errorDetails: boolean;
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
  };
  auth: { keys: readonly ApiKeyEntry[]; defaultRate: RateLimit };
  modelPack: string;
  cacheDir: string;
  /** Model pack downloads: the cache lives under cacheDir. */
  modelDownloads: { offline: boolean; mirrorUrl: string | null };
  shutdown: { drainMs: number };
  /** Thresholds the operator set; unset ones are the pack's (calibration, else legacy). */
  routing: {
    high: number | undefined;
    low: number | undefined;
    priorityClasses: readonly string[];
  };
  clipTimeoutMs: number;
  clipPrecision: "int8" | "fp32" | "fp16";
  batching: { maxBatchSize: number; maxWaitMs: number; clipQueueMax: number; cnnQueueMax: number };
  embeddingCacheBytes: number;
  /** 0: no result cache. */
  resultCacheBytes: number;
  feedback: { storeMax: number; ttlMs: number; window: number };
  /** Null url: no Redis, every store in process (one replica). */
  redis: {
    url: string | null;
    commandTimeoutMs: number;
    embeddingTtlSeconds: number;
    resultTtlSeconds: number;
  };
  breaker: { failures: number; resetMs: number };
  threads: { ortIntraOp: number; sharp: number; cnnNiceness: number };
  decode: { concurrency: number; queueMax: number };
  tracing: { endpoint: string | null; serviceName: string; timeoutMs: number };
  limits: {
    maxPixels: number;
    maxSide: number;
    minSide: number;
    uploadMaxBytes: number;
    uploadMaxFiles: number;
    uploadMaxFieldBytes: number;
    uploadMaxPartHeaderBytes: number;
    requestMaxBytes: number;
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
  const lines = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  const fileKeys = keysFromFile(env, lines);
  if (!parsed.success || lines.length > 0) {
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      graphiql: e.GRAPHIQL,
      demoPage: e.DEMO_PAGE,
      corsOrigins: e.CORS_ORIGINS,
    },
    graphql: {
      introspection: e.INTROSPECTION,
      errorDetails: e.ERROR_DETAILS,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
    },
    auth: { keys: [...e.API_KEYS, ...fileKeys], defaultRate: e.API_KEY_DEFAULT_RATE },
    modelPack: e.MODEL_PACK,
    cacheDir: e.CACHE_DIR,
    modelDownloads: { offline: e.MODELS_OFFLINE, mirrorUrl: e.MODELS_MIRROR_URL ?? null },
    shutdown: { drainMs: e.SHUTDOWN_DRAIN_MS },
    routing: {
      high: e.VLM_THRESHOLD_HIGH,
      low: e.VLM_THRESHOLD_LOW,
      priorityClasses: e.VLM_PRIORITY_CLASSES,
    },
    clipTimeoutMs: e.VLM_TIMEOUT_MS,
    clipPrecision: e.VLM_PRECISION,
    batching: {
      maxBatchSize: e.BATCH_MAX_SIZE,
      maxWaitMs: e.BATCH_MAX_WAIT_MS,
      clipQueueMax: e.VLM_QUEUE_MAX,
      cnnQueueMax: e.CNN_QUEUE_MAX,
    },
    embeddingCacheBytes: e.EMBEDDING_CACHE_BYTES,
    resultCacheBytes: e.RESULT_CACHE_BYTES,
    feedback: {
      storeMax: e.PREDICTION_STORE_MAX,
      ttlMs: e.PREDICTION_TTL_SECONDS * 1000,
      window: e.FEEDBACK_WINDOW,
    },
    redis: {
      url: e.REDIS_URL ?? null,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      embeddingTtlSeconds: e.REDIS_EMBEDDING_TTL_SECONDS,
      resultTtlSeconds: e.REDIS_RESULT_TTL_SECONDS,
    },
    breaker: { failures: e.VLM_BREAKER_FAILURES, resetMs: e.VLM_BREAKER_RESET_MS },
    threads: {
      ortIntraOp: e.ORT_INTRA_OP_THREADS,
      sharp: e.SHARP_CONCURRENCY,
      cnnNiceness: e.CNN_NICENESS,
    },
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
      uploadMaxFiles: e.UPLOAD_MAX_FILES ?? e.BATCH_MAX_IMAGES,
      uploadMaxFieldBytes: e.UPLOAD_MAX_FIELD_BYTES,
      uploadMaxPartHeaderBytes: e.UPLOAD_MAX_PART_HEADER_BYTES,
      requestMaxBytes: e.REQUEST_MAX_BYTES,
      batchMaxImages: e.BATCH_MAX_IMAGES,
      customLabelsMax: e.CUSTOM_LABELS_MAX,
    },
  };
}
