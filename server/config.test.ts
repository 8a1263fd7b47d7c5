import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

/** loadConfig's error, or a failed expectation when it does not throw. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  describe("defaults", () => {
    it("fills every setting when the environment is empty", () => {
      expect(loadConfig({})).toEqual({
        http: { port: 4000, host: "127.0.0.1", graphiql: true },
        modelPack: "fashion-mnist",
        cacheDir: ".cache",
        routing: { high: 0.85, low: 0.65, priorityClasses: [] },
        vlmTimeoutMs: 500,
        vlmPrecision: "int8",
        batching: { maxBatchSize: 8, maxWaitMs: 50, vlmQueueMax: 64, cnnQueueMax: 1024 },
        embeddingCacheBytes: 64 * 1024 * 1024,
        feedback: { storeMax: 100_000, ttlMs: 86_400_000, window: 500 },
        breaker: { failures: 5, resetMs: 10_000 },
        threads: { ortIntraOp: Math.max(1, Math.floor(availableParallelism() / 2)), sharp: 1 },
        decode: { concurrency: Math.min(availableParallelism(), 4), queueMax: 1024 },
        tracing: { endpoint: null, serviceName: "vision-classify", timeoutMs: 2000 },
        limits: {
          maxPixels: 40_000_000,
          maxSide: 16_384,
          minSide: 8,
          uploadMaxBytes: 20 * 1024 * 1024,
          batchMaxImages: 32,
          customLabelsMax: 256,
        },
      });
    });

    it("ignores variables it does not know", () => {
      expect(loadConfig({ PATH: "/bin", NODE_ENV: "test" }).http.port).toBe(4000);
    });

    // An empty variable (`PORT=` in an env file) must not silently become port 0, which
    // makes the server listen on a random port.
    it("does not turn an empty PORT into port 0", () => {
      let port: number;
      try {
        port = loadConfig({ PORT: "" }).http.port;
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return;
      }
      expect(port).toBe(4000);
    });
  });

  describe("values", () => {
    it("parses numbers, strings and booleans", () => {
      const config = loadConfig({
        PORT: "8080",
        HOST: "0.0.0.0",
        MODEL_PACK: "imagenet-mini",
        CACHE_DIR: "/var/cache/vision",
        VLM_THRESHOLD_HIGH: "0.9",
        VLM_THRESHOLD_LOW: "0.5",
        VLM_TIMEOUT_MS: "250",
        ORT_INTRA_OP_THREADS: "3",
        SHARP_CONCURRENCY: "2",
        IMAGE_MAX_PIXELS: "1000000",
        IMAGE_MIN_SIDE: "16",
        IMAGE_MAX_SIDE: "4096",
        DECODE_CONCURRENCY: "3",
        DECODE_QUEUE_MAX: "16",
        UPLOAD_MAX_BYTES: "1024",
        BATCH_MAX_IMAGES: "4",
        CUSTOM_LABELS_MAX: "10",
        GRAPHIQL: "false",
        VLM_PRECISION: "fp32",
        BATCH_MAX_SIZE: "16",
        BATCH_MAX_WAIT_MS: "5",
        VLM_QUEUE_MAX: "32",
        CNN_QUEUE_MAX: "128",
        EMBEDDING_CACHE_BYTES: "1048576",
        PREDICTION_STORE_MAX: "10",
        PREDICTION_TTL_SECONDS: "60",
        FEEDBACK_WINDOW: "20",
        VLM_BREAKER_FAILURES: "3",
        VLM_BREAKER_RESET_MS: "1000",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_SERVICE_NAME: "classify-eu",
      });
      expect(config).toEqual({
        http: { port: 8080, host: "0.0.0.0", graphiql: false },
        modelPack: "imagenet-mini",
        cacheDir: "/var/cache/vision",
        routing: { high: 0.9, low: 0.5, priorityClasses: [] },
        vlmTimeoutMs: 250,
        vlmPrecision: "fp32",
        batching: { maxBatchSize: 16, maxWaitMs: 5, vlmQueueMax: 32, cnnQueueMax: 128 },
        embeddingCacheBytes: 1_048_576,
        feedback: { storeMax: 10, ttlMs: 60_000, window: 20 },
        breaker: { failures: 3, resetMs: 1000 },
        threads: { ortIntraOp: 3, sharp: 2 },
        decode: { concurrency: 3, queueMax: 16 },
        tracing: { endpoint: "http://127.0.0.1:4318", serviceName: "classify-eu", timeoutMs: 2000 },
        limits: {
          maxPixels: 1_000_000,
          maxSide: 4096,
          minSide: 16,
          uploadMaxBytes: 1024,
          batchMaxImages: 4,
          customLabelsMax: 10,
        },
      });
    });

    it.each([
      ["true", true],
      ["1", true],
      ["false", false],
      ["0", false],
    ])("reads GRAPHIQL=%s as %s", (value, expected) => {
      expect(loadConfig({ GRAPHIQL: value }).http.graphiql).toBe(expected);
    });

    it("decodes at most as many images at once as libuv's pool has threads, by default", () => {
      expect(loadConfig({ UV_THREADPOOL_SIZE: "1" }).decode.concurrency).toBe(1);
      expect(loadConfig({ UV_THREADPOOL_SIZE: "64" }).decode.concurrency).toBe(
        availableParallelism(),
      );
      expect(loadConfig({ UV_THREADPOOL_SIZE: "1", DECODE_CONCURRENCY: "6" }).decode).toEqual({
        concurrency: 6,
        queueMax: 1024,
      });
    });

    it("accepts equal thresholds and the 0 and 1 extremes", () => {
      expect(
        loadConfig({ VLM_THRESHOLD_HIGH: "0.7", VLM_THRESHOLD_LOW: "0.7" }).routing,
      ).toMatchObject({
        high: 0.7,
        low: 0.7,
      });
      expect(loadConfig({ VLM_THRESHOLD_HIGH: "1", VLM_THRESHOLD_LOW: "0" }).routing).toMatchObject(
        {
          high: 1,
          low: 0,
        },
      );
    });
  });

  describe("VLM_PRIORITY_CLASSES", () => {
    it("splits on commas, trims each name and drops blanks", () => {
      const config = loadConfig({
        VLM_PRIORITY_CLASSES: " tench, goldfish ,, ,great white shark, ",
      });
      expect(config.routing.priorityClasses).toEqual(["tench", "goldfish", "great white shark"]);
    });

    it("keeps spaces inside a name", () => {
      expect(loadConfig({ VLM_PRIORITY_CLASSES: "ankle boot" }).routing.priorityClasses).toEqual([
        "ankle boot",
      ]);
    });

    it.each(["", " ", ",", " , ,, "])("is empty for %j", (value) => {
      expect(loadConfig({ VLM_PRIORITY_CLASSES: value }).routing.priorityClasses).toEqual([]);
    });
  });

  describe("errors", () => {
    it.each([
      ["PORT", "abc"],
      ["PORT", "65536"],
      ["PORT", "-1"],
      ["PORT", "80.5"],
      ["HOST", ""],
      ["MODEL_PACK", ""],
      ["VLM_THRESHOLD_HIGH", "2"],
      ["VLM_THRESHOLD_HIGH", "-0.1"],
      ["VLM_TIMEOUT_MS", "0"],
      ["ORT_INTRA_OP_THREADS", "1.5"],
      ["IMAGE_MIN_SIDE", "-3"],
      ["IMAGE_MAX_SIDE", "0"],
      ["DECODE_CONCURRENCY", "0"],
      ["DECODE_QUEUE_MAX", "1.5"],
      ["GRAPHIQL", "yes"],
    ])("rejects %s=%j and names the variable", (name, value) => {
      const error = configError({ [name]: value });
      expect(error.name).toBe("ConfigError");
      expect(error.message).toContain(`${name}:`);
    });

    it("rejects a low threshold above the high one", () => {
      const error = configError({ VLM_THRESHOLD_HIGH: "0.5", VLM_THRESHOLD_LOW: "0.9" });
      expect(error.message).toContain("VLM_THRESHOLD_LOW: VLM_THRESHOLD_LOW must not exceed");
    });

    it("reports every bad variable in one error, one per line", () => {
      const error = configError({
        PORT: "abc",
        VLM_THRESHOLD_HIGH: "2",
        VLM_TIMEOUT_MS: "0",
        IMAGE_MIN_SIDE: "-3",
        GRAPHIQL: "maybe",
      });
      const lines = error.message.split("\n");
      expect(lines[0]).toBe("invalid configuration:");
      for (const name of [
        "PORT",
        "VLM_THRESHOLD_HIGH",
        "VLM_TIMEOUT_MS",
        "IMAGE_MIN_SIDE",
        "GRAPHIQL",
      ]) {
        expect(lines.filter((line) => line.startsWith(`  ${name}: `))).toHaveLength(1);
      }
      expect(lines).toHaveLength(6);
    });

    // The thresholds' ordering is a cross-field rule; it must still be reported when another
    // variable is also wrong, or the operator fixes one problem only to meet the next.
    it("reports the threshold ordering together with other bad variables", () => {
      const error = configError({
        PORT: "abc",
        VLM_THRESHOLD_HIGH: "0.5",
        VLM_THRESHOLD_LOW: "0.9",
      });
      expect(error.message).toContain("  PORT: ");
      expect(error.message).toContain("  VLM_THRESHOLD_LOW: ");
    });
  });
});
