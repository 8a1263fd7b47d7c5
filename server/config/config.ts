import { availableParallelism } from "node:os";
import { z } from "zod";
import { LEGACY_THRESHOLDS } from "../calibration/index.ts";
import {
  apiKeyFile,
  apiKeyList,
  blankAsUnset,
  commaList,
  corsOrigins,
  flag,
  number,
  orNull,
  positiveInt,
  probability,
  rateLimit,
} from "./env-values.ts";

/** The environment variable each field of the configuration is read from. */
const variableNames = z.registry<{ name: string }>();

/** Declares that a field is read from the environment variable `name`, parsed by `schema`. */
function variable<S extends z.ZodType>(name: string, schema: S): S {
  variableNames.add(schema, { name });
  return schema;
}

/**
 * Every setting, once: where it sits in the configuration, the variable it is read from, how
 * that variable parses (with its default), and what it means. The `Config` type is inferred
 * from it; a section's transform fills a default that depends on another variable.
 */
const configSchema = z.object({
  http: z.object({
    /** HTTP port. Default 4000. */
    port: variable("PORT", number().pipe(z.number().int().min(0).max(65_535)).default(4000)),
    /** Interface to listen on. Default loopback; containers set 0.0.0.0. */
    host: variable("HOST", z.string().min(1).default("127.0.0.1")),
    /** Serve GraphiQL on /graphql. Default true. */
    graphiql: variable("GRAPHIQL", flag(true)),
    /** Serve the demo page (upload images, see the answers) on /. Default true. */
    demoPage: variable("DEMO_PAGE", flag(true)),
    /**
     * Web origins allowed to call the API from a browser (CORS), comma-separated, e.g.
     * https://app.example.com; * allows any. Default none: same-origin pages only.
     */
    corsOrigins: variable("CORS_ORIGINS", corsOrigins()),
  }),
  metrics: z.object({
    /**
     * Operation names kept as a label on the GraphQL request metrics, comma-separated, beside
     * the operations the repository ships (About, Classify, ClassifyBatch, SubmitFeedback).
     * Default none: every other name is counted as "other", so clients cannot add series.
     */
    operationNames: variable("METRICS_OPERATION_NAMES", commaList()),
  }),
  /** Limits on connections and the time and pace of what clients send (server/http/connection-limits.ts). */
  connections: z
    .object({
      /** Longest a client may take to send a request's headers. Default 10,000 ms. */
      headersTimeoutMs: variable("HTTP_HEADERS_TIMEOUT_MS", positiveInt().default(10_000)),
      /**
       * Longest a client may take to send a whole request, headers and body. Default 600,000 ms:
       * a 64 MiB body at 1 Mbit/s takes ~9 minutes; HTTP_BODY_MIN_BYTES_PER_SECOND cuts off slow ones sooner.
       */
      requestTimeoutMs: variable("HTTP_REQUEST_TIMEOUT_MS", positiveInt().default(600_000)),
      /**
       * Least body bytes per second a client must send, averaged over HTTP_BODY_RATE_WINDOW_MS,
       * or its connection is cut. Default 1024 (a 2G link sends ~10× that; a byte every few
       * seconds is cut off after one window).
       */
      bodyMinBytesPerSecond: variable(
        "HTTP_BODY_MIN_BYTES_PER_SECOND",
        positiveInt().default(1024),
      ),
      /** The sliding window the body rate is averaged over. Default 20,000 ms. */
      bodyRateWindowMs: variable("HTTP_BODY_RATE_WINDOW_MS", positiveInt().default(20_000)),
      /** How long an idle keep-alive connection stays open. Default 5,000 ms (Node's own). */
      keepAliveTimeoutMs: variable("HTTP_KEEP_ALIVE_TIMEOUT_MS", positiveInt().default(5_000)),
      /** Open connections beyond which new ones are closed at once. Default 1000 (under a 1024 descriptor limit). */
      maxConnections: variable("HTTP_MAX_CONNECTIONS", positiveInt().default(1000)),
    })
    .refine(({ headersTimeoutMs, requestTimeoutMs }) => headersTimeoutMs <= requestTimeoutMs, {
      message: "HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS",
      path: ["headersTimeoutMs"],
    }),
  graphql: z.object({
    /** Answer schema introspection (and "did you mean" hints). Default true; set false in production. */
    introspection: variable("INTROSPECTION", flag(true)),
    /** Put an internal error's message and stack in its response (masked either way). Default false. */
    errorDetails: variable("ERROR_DETAILS", flag(false)),
    /** Deepest selection a GraphQL operation may have. Default 8 (the largest real query has 5). */
    maxDepth: variable("GRAPHQL_MAX_DEPTH", positiveInt().default(8)),
    /** Most aliases in one operation. Default 15. */
    maxAliases: variable("GRAPHQL_MAX_ALIASES", positiveInt().default(15)),
    /** Most lexical tokens in one document. Default 1000 (a classifyBatch with every field has ~110). */
    maxTokens: variable("GRAPHQL_MAX_TOKENS", positiveInt().default(1000)),
    /** Most directives in one operation. Default 10. */
    maxDirectives: variable("GRAPHQL_MAX_DIRECTIVES", positiveInt().default(10)),
    /** Highest GraphQL Armor cost of one operation. Default 1000 (a classifyBatch with every field costs ~180). */
    maxCost: variable("GRAPHQL_MAX_COST", positiveInt().default(1000)),
  }),
  auth: z
    .object({
      /**
       * API keys: entries `name:sha256hex:scope1+scope2[:rate[/burst]]`, separated by commas or
       * line breaks; mint them with `npm run keys:create`. Default none: the API is open.
       */
      keys: variable("API_KEYS", apiKeyList()),
      /** A file of API key entries, one per line (# comments allowed), instead of API_KEYS. Default none. */
      keysFile: variable("API_KEYS_FILE", apiKeyFile()),
      /** Requests/s and burst of a key whose entry gives no rate, e.g. 100/200. Default 100/200. */
      defaultRate: variable("API_KEY_DEFAULT_RATE", rateLimit("100/200")),
    })
    .refine(({ keys, keysFile }) => keys.length === 0 || keysFile === undefined, {
      message: "set API_KEYS or API_KEYS_FILE, not both",
      path: ["keysFile"],
    })
    .transform(({ keys, keysFile, defaultRate }) => ({ keys: keysFile ?? keys, defaultRate })),
  /** Name of an embedded pack under models/, or a path to a pack folder. Default imagenet (real photos, 1000 classes). */
  modelPack: variable("MODEL_PACK", z.string().min(1).default("imagenet")),
  /** Where computed label embeddings and downloaded model packs are kept. Default .cache/ in the working directory. */
  cacheDir: variable("CACHE_DIR", z.string().min(1).default(".cache")),
  /** Model pack downloads: the cache lives under cacheDir. */
  modelDownloads: z.object({
    /** Model downloads use only the cache, never the network (`npm run models:download`). Default false. */
    offline: variable("MODELS_OFFLINE", flag(false)),
    /**
     * Base URL of a mirror for model downloads: replaces the scheme and host of every catalog URL,
     * keeping its path (a path here is put in front). Default none: the catalog's own hosts.
     */
    mirrorUrl: variable(
      "MODELS_MIRROR_URL",
      z.preprocess(blankAsUnset, z.url().optional()).transform(orNull),
    ),
  }),
  shutdown: z.object({
    /**
     * After SIGTERM, how long requests in flight may take before the process exits anyway.
     * Default 10,000 ms; keep it under the orchestrator's grace period.
     */
    drainMs: variable("SHUTDOWN_DRAIN_MS", positiveInt().default(10_000)),
  }),
  /** Thresholds the operator set; unset ones are the pack's (calibration, else legacy). */
  routing: z
    .object({
      /**
       * CNN (calibrated) top-1 probability at or above which CLIP is not consulted. Default: the
       * pack's calibration, else 0.85.
       */
      high: variable("VLM_THRESHOLD_HIGH", probability().optional()),
      /**
       * Packs without calibration: CNN top-1 probability below which CLIP dominates the
       * ensemble. Default 0.65 (a calibrated pack's ensemble weight is fitted).
       */
      low: variable("VLM_THRESHOLD_LOW", probability().optional()),
      /** Labels whose CNN answers always get a CLIP second opinion. Default none. */
      priorityClasses: variable("VLM_PRIORITY_CLASSES", commaList()),
    })
    // A section's refinement runs whenever that section parsed, so this is reported together
    // with problems in other variables.
    .refine(({ high, low }) => low === undefined || low <= (high ?? LEGACY_THRESHOLDS.high), {
      message: "VLM_THRESHOLD_LOW must not exceed VLM_THRESHOLD_HIGH",
      path: ["low"],
    }),
  /** How long a request waits for CLIP before answering with the CNN alone. Default 500 ms. */
  clipTimeoutMs: variable("VLM_TIMEOUT_MS", positiveInt().default(500)),
  /** Which CLIP files to run when a pack has several. Default int8 (fp16 only helps on GPUs). */
  clipPrecision: variable("VLM_PRECISION", z.enum(["int8", "fp32", "fp16"]).default("int8")),
  batching: z.object({
    /** Most images per model call in the cross-request batcher. Default 8. */
    maxBatchSize: variable("BATCH_MAX_SIZE", positiveInt().default(8)),
    /** Longest a queued image waits for a partial batch while a model slot is free. Default 50 ms. */
    maxWaitMs: variable("BATCH_MAX_WAIT_MS", positiveInt().default(50)),
    /** CLIP images waiting beyond which requests fall back as OVERLOADED. Default 64. */
    clipQueueMax: variable("VLM_QUEUE_MAX", positiveInt().default(64)),
    /** CNN images waiting beyond which requests are refused as OVERLOADED. Default 1024. */
    cnnQueueMax: variable("CNN_QUEUE_MAX", positiveInt().default(1024)),
  }),
  /** Bytes of CLIP image embeddings kept in memory (LRU). Default 64 MiB. */
  embeddingCacheBytes: variable("EMBEDDING_CACHE_BYTES", positiveInt().default(64 * 1024 * 1024)),
  /**
   * Bytes of complete answers kept in memory (LRU), so a repeated image with the same options
   * skips decode, CNN and CLIP. Default 32 MiB (about 10,000 answers of topK 5); 0 turns the
   * result cache off, in memory and in Redis.
   */
  resultCacheBytes: variable(
    "RESULT_CACHE_BYTES",
    number()
      .pipe(z.number().int().min(0))
      .default(32 * 1024 * 1024),
  ),
  feedback: z.object({
    /** Answers kept for feedback (oldest dropped first). Default 100,000. */
    storeMax: variable("PREDICTION_STORE_MAX", positiveInt().default(100_000)),
    /** How long an answer can receive feedback. Default 86,400 s (a day). */
    ttlMs: variable(
      "PREDICTION_TTL_SECONDS",
      positiveInt()
        .default(86_400)
        .transform((seconds) => seconds * 1000),
    ),
    /** Feedbacks the accuracy delta is computed over. Default 500. */
    window: variable("FEEDBACK_WINDOW", positiveInt().default(500)),
  }),
  redis: z.object({
    /**
     * Redis shared by every replica (redis:// or rediss://): second-level embedding cache,
     * predictions for feedback, the fleet's accuracy window. Default none: all in process.
     */
    url: variable(
      "REDIS_URL",
      z
        .preprocess(
          blankAsUnset,
          z
            .url({ protocol: /^rediss?$/, hostname: /./, error: "must be redis://host:port" })
            .optional(),
        )
        .transform(orNull),
    ),
    /** Longest one Redis command may take before the request goes on without it. Default 50 ms. */
    commandTimeoutMs: variable("REDIS_COMMAND_TIMEOUT_MS", positiveInt().default(50)),
    /** How long Redis keeps an image embedding. Default 604,800 s (a week). */
    embeddingTtlSeconds: variable("REDIS_EMBEDDING_TTL_SECONDS", positiveInt().default(604_800)),
    /** How long Redis keeps a complete answer for the result cache. Default 86,400 s (a day). */
    resultTtlSeconds: variable("REDIS_RESULT_TTL_SECONDS", positiveInt().default(86_400)),
  }),
  breaker: z.object({
    /** Consecutive CLIP failures that open the circuit breaker. Default 5. */
    failures: variable("VLM_BREAKER_FAILURES", positiveInt().default(5)),
    /** How long an open breaker waits before one trial CLIP call. Default 10000 ms. */
    resetMs: variable("VLM_BREAKER_RESET_MS", positiveInt().default(10_000)),
  }),
  threads: z.object({
    /**
     * onnxruntime intra-op threads per session (CNN, CLIP vision, CLIP text). Default: every
     * core. Sessions overlap and their idle threads sleep instead of spinning, so whichever
     * model has work gets the whole machine and decodes still get the cores between calls
     * (`npm run bench:cpu`). Half the cores partitions them as before: less CLIP throughput.
     * A choice from `npm run models:choose-variant` overrides it per model.
     */
    ortIntraOp: variable("ORT_INTRA_OP_THREADS", positiveInt().default(availableParallelism())),
    /**
     * Niceness of the CNN's threads, 0–19, or auto. When both models have work, the kernel splits
     * the cores by niceness: a nicer CNN hands them to CLIP. Default auto: 10 when the warm-up
     * finds a CLIP image costs at least 3 CNN images (CLIP is the bottleneck, and its late
     * answers are lost while late CNN answers are only slower), else 0 (docs/deployment.md).
     */
    cnnNiceness: variable(
      "CNN_NICENESS",
      z.preprocess(
        blankAsUnset,
        z.union([z.literal("auto"), z.coerce.number().int().min(0).max(19)]).default("auto"),
      ),
    ),
    /** libvips threads per image decode; decodes run in parallel on libuv's pool. Default 1. */
    sharp: variable("SHARP_CONCURRENCY", positiveInt().default(1)),
  }),
  decode: z
    .object({
      /**
       * Images decoded at once; the rest wait. Default: the cores, at most libuv's pool size.
       * Decoding is CPU-bound work on libuv's pool: more decodes than cores add memory (each holds
       * its full-size pixels) but no throughput, and more than the pool would queue inside libuv
       * where nothing bounds or measures them, ahead of the pool's file and DNS work.
       */
      concurrency: variable("DECODE_CONCURRENCY", positiveInt().optional()),
      /** libuv's thread pool size, read by Node itself; here only for DECODE_CONCURRENCY. Default 4. */
      threadPoolSize: variable("UV_THREADPOOL_SIZE", positiveInt().default(4)),
      /**
       * Images waiting for a decode beyond which new ones are refused as OVERLOADED. Default 1024,
       * as CNN_QUEUE_MAX: waiting uploads are in memory already, so this bounds the backlog (about
       * 10 s at 100 req/s), not memory; 128 shed requests at 100 req/s on a briefly starved CPU.
       */
      queueMax: variable("DECODE_QUEUE_MAX", positiveInt().default(1024)),
    })
    .transform(({ concurrency, threadPoolSize, queueMax }) => ({
      concurrency: concurrency ?? Math.min(availableParallelism(), threadPoolSize),
      queueMax,
    })),
  tracing: z.object({
    /** OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318. Default none: tracing off. */
    endpoint: variable("OTEL_EXPORTER_OTLP_ENDPOINT", z.url().optional().transform(orNull)),
    /** service.name on every span. Default vision-classify. */
    serviceName: variable("OTEL_SERVICE_NAME", z.string().min(1).default("vision-classify")),
  }),
  limits: z
    .object({
      /** Largest decoded image, in pixels (width × height). Default 40 megapixels. */
      maxPixels: variable("IMAGE_MAX_PIXELS", positiveInt().default(40_000_000)),
      /**
       * Largest accepted side, in pixels, whatever the pixel count: a 40,000×1000 strip would be
       * resized to 8960×224 for a 224 shortest edge. Default 16384, a wide phone panorama.
       */
      maxSide: variable("IMAGE_MAX_SIDE", positiveInt().default(16_384)),
      /** Smallest accepted side, in pixels: below it there is nothing to classify. Default 8. */
      minSide: variable("IMAGE_MIN_SIDE", positiveInt().default(8)),
      /** Largest accepted upload, in bytes. Default 20 MiB. */
      uploadMaxBytes: variable("UPLOAD_MAX_BYTES", positiveInt().default(20 * 1024 * 1024)),
      /** Most file parts in one multipart request. Default: BATCH_MAX_IMAGES. */
      uploadMaxFiles: variable("UPLOAD_MAX_FILES", positiveInt().optional()),
      /** Largest non-file multipart field (operations, map), in bytes. Default 1 MiB. */
      uploadMaxFieldBytes: variable("UPLOAD_MAX_FIELD_BYTES", positiveInt().default(1024 * 1024)),
      /** Header bytes kept per multipart part; a part whose name lies beyond is refused. Default 8 KiB. */
      uploadMaxPartHeaderBytes: variable(
        "UPLOAD_MAX_PART_HEADER_BYTES",
        positiveInt().default(8 * 1024),
      ),
      /** Largest request body, in bytes, checked on Content-Length and while it streams. Default 64 MiB. */
      requestMaxBytes: variable("REQUEST_MAX_BYTES", positiveInt().default(64 * 1024 * 1024)),
      /**
       * Request body bytes in flight across all requests, counted from Content-Length up front (as
       * they arrive when chunked) and returned when the request ends. Past it new requests are
       * refused as OVERLOADED before their bodies are read. Default 256 MiB (4 × REQUEST_MAX_BYTES).
       */
      uploadBudgetBytes: variable("UPLOAD_BUDGET_BYTES", positiveInt().default(256 * 1024 * 1024)),
      /** Most images one request classifies (a classifyBatch, or classify fields together). Default 32. */
      batchMaxImages: variable("BATCH_MAX_IMAGES", positiveInt().default(32)),
      /** Most labels in one custom label set. Default 256. */
      customLabelsMax: variable("CUSTOM_LABELS_MAX", positiveInt().default(256)),
    })
    .refine(({ uploadBudgetBytes, requestMaxBytes }) => uploadBudgetBytes >= requestMaxBytes, {
      message:
        "UPLOAD_BUDGET_BYTES must be at least REQUEST_MAX_BYTES, or the largest request never fits",
      path: ["uploadBudgetBytes"],
    })
    .transform((limits) => ({
      ...limits,
      uploadMaxFiles: limits.uploadMaxFiles ?? limits.batchMaxImages,
    })),
});

/** The parsed configuration, inferred from the declaration above. */
export type Config = z.output<typeof configSchema>;

/** One environment variable and the field of the configuration it is read into. */
export interface ConfigVariable {
  readonly name: string;
  /** Field names from the top of the configuration, e.g. ["http", "port"]. */
  readonly path: readonly string[];
  /** Parses the variable's text, with its default. */
  readonly schema: z.ZodType;
}

function collectVariables(schema: z.ZodType, path: string[], found: ConfigVariable[]) {
  const declared = variableNames.get(schema);
  if (declared) found.push({ name: declared.name, path, schema });
  else if (schema instanceof z.ZodPipe) collectVariables(schema.in as z.ZodType, path, found);
  else if (schema instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      collectVariables(field, [...path, key], found);
    }
  } else throw new Error(`config field ${path.join(".")} is read from no environment variable`);
  return found;
}

/** Every variable the service reads, in declaration order. */
export const configVariables: readonly ConfigVariable[] = collectVariables(configSchema, [], []);

/** The environment arranged as the configuration: each variable's text at its field. */
function nestedInput(env: Record<string, string | undefined>) {
  const root: Record<string, unknown> = {};
  for (const { name, path } of configVariables) {
    let section = root;
    for (const key of path.slice(0, -1)) {
      section[key] ??= {};
      section = section[key] as Record<string, unknown>;
    }
    section[path[path.length - 1] as string] = env[name];
  }
  return root;
}

/** Names an issue by its variable, e.g. "CORS_ORIGINS.0" for the first origin in the list. */
function variableOf(issuePath: readonly PropertyKey[]): string {
  const found = configVariables.find(({ path }) => path.every((key, i) => issuePath[i] === key));
  if (!found) return issuePath.map(String).join(".");
  return [found.name, ...issuePath.slice(found.path.length).map(String)].join(".");
}

/** Thrown with every problem in the environment at once, one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once at start-up; everything else receives the result. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(nestedInput(env));
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${variableOf(issue.path)}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}
