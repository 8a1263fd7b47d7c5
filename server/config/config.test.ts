import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, configVariables, loadConfig } from "./config.ts";

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

/** The doc comment on each `variable("NAME", …)` field in config.ts, by variable name. */
function docComments(): Map<string, string> {
  const path = fileURLToPath(new URL("./config.ts", import.meta.url));
  const source = ts.createSourceFile(
    path,
    readFileSync(path, "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const docs = new Map<string, string>();
  const visit = (node: ts.Node) => {
    const [name] = ts.isCallExpression(node) ? node.arguments : [];
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "variable" &&
      name &&
      ts.isStringLiteral(name)
    ) {
      const comments = ts.getJSDocCommentsAndTags(node.parent);
      docs.set(name.text, comments.map((doc) => ts.getTextOfJSDocComment(doc.comment)).join(" "));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return docs;
}

describe("the declaration", () => {
  const names = configVariables.map(({ name }) => name);

  it("reads each variable into one field, and each field from one variable", () => {
    expect(names.length).toBeGreaterThan(50);
    expect(new Set(names).size).toBe(names.length);
    const paths = configVariables.map(({ path }) => path.join("."));
    expect(new Set(paths).size).toBe(paths.length);
  });

  it("documents every variable, with its default", () => {
    const docs = docComments();
    expect([...docs.keys()].sort()).toEqual([...names].sort());
    for (const [name, doc] of docs) expect(doc, name).toMatch(/\bDefault\b/);
  });

  // A value no variable takes: not a number, flag, URL, origin, key entry or rate.
  const bad = "%not valid%";
  const rejecting = names.filter((name) => {
    try {
      loadConfig({ [name]: bad });
      return false;
    } catch {
      return true;
    }
  });

  it.each(rejecting)("reports a bad %s under its own name", (name) => {
    const lines = configError({ [name]: bad })
      .message.split("\n")
      .slice(1);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`^  ${name}(\\.\\d+)?: `));
  });

  it("reports every bad variable at once", () => {
    expect(rejecting.length).toBeGreaterThan(40);
    const message = configError(Object.fromEntries(rejecting.map((name) => [name, bad]))).message;
    for (const name of rejecting)
      expect(message).toMatch(new RegExp(`^  ${name}(\\.\\d+)?: `, "m"));
  });
});

describe("loadConfig", () => {
  describe("defaults", () => {
    it("fills every setting when the environment is empty", () => {
      expect(loadConfig({})).toEqual({
        http: { port: 4000, host: "127.0.0.1", graphiql: true, demoPage: true, corsOrigins: [] },
        connections: {
          headersTimeoutMs: 10_000,
          requestTimeoutMs: 600_000,
          bodyMinBytesPerSecond: 1024,
          bodyRateWindowMs: 20_000,
          keepAliveTimeoutMs: 5000,
          maxConnections: 1000,
        },
        graphql: {
          introspection: true,
          errorDetails: false,
          maxDepth: 8,
          maxAliases: 15,
          maxTokens: 1000,
          maxDirectives: 10,
          maxCost: 1000,
        },
        auth: { keys: [], defaultRate: { perSecond: 100, burst: 200 } },
        modelPack: "imagenet",
        cacheDir: ".cache",
        modelDownloads: { offline: false, mirrorUrl: null },
        metrics: { operationNames: [] },
        shutdown: { drainMs: 10_000 },
        routing: { high: undefined, low: undefined, priorityClasses: [] },
        clipTimeoutMs: 500,
        clipPrecision: "int8",
        batching: { maxBatchSize: 8, maxWaitMs: 50, clipQueueMax: 64, cnnQueueMax: 1024 },
        embeddingCacheBytes: 64 * 1024 * 1024,
        resultCacheBytes: 32 * 1024 * 1024,
        feedback: { storeMax: 100_000, ttlMs: 86_400_000, window: 500 },
        redis: {
          url: null,
          commandTimeoutMs: 50,
          embeddingTtlSeconds: 604_800,
          resultTtlSeconds: 86_400,
        },
        breaker: { failures: 5, resetMs: 10_000 },
        threads: { ortIntraOp: availableParallelism(), sharp: 1, cnnNiceness: "auto" },
        decode: { concurrency: Math.min(availableParallelism(), 4), queueMax: 1024 },
        tracing: { endpoint: null, serviceName: "vision-classify" },
        limits: {
          maxPixels: 40_000_000,
          maxSide: 16_384,
          minSide: 8,
          uploadMaxBytes: 20 * 1024 * 1024,
          uploadMaxFiles: 32,
          uploadMaxFieldBytes: 1024 * 1024,
          uploadMaxPartHeaderBytes: 8 * 1024,
          requestMaxBytes: 64 * 1024 * 1024,
          uploadBudgetBytes: 256 * 1024 * 1024,
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
        CNN_NICENESS: "4",
        METRICS_OPERATION_NAMES: "Search,Tag",
        IMAGE_MAX_PIXELS: "1000000",
        IMAGE_MIN_SIDE: "16",
        IMAGE_MAX_SIDE: "4096",
        DECODE_CONCURRENCY: "3",
        DECODE_QUEUE_MAX: "16",
        UPLOAD_MAX_BYTES: "1024",
        BATCH_MAX_IMAGES: "4",
        CUSTOM_LABELS_MAX: "10",
        GRAPHIQL: "false",
        DEMO_PAGE: "0",
        CORS_ORIGINS: "https://app.example.com, http://127.0.0.1:5173",
        VLM_PRECISION: "fp32",
        BATCH_MAX_SIZE: "16",
        BATCH_MAX_WAIT_MS: "5",
        VLM_QUEUE_MAX: "32",
        CNN_QUEUE_MAX: "128",
        EMBEDDING_CACHE_BYTES: "1048576",
        RESULT_CACHE_BYTES: "0",
        PREDICTION_STORE_MAX: "10",
        PREDICTION_TTL_SECONDS: "60",
        FEEDBACK_WINDOW: "20",
        VLM_BREAKER_FAILURES: "3",
        VLM_BREAKER_RESET_MS: "1000",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_SERVICE_NAME: "classify-eu",
        REDIS_URL: "redis://redis:6379/0",
        REDIS_COMMAND_TIMEOUT_MS: "20",
        REDIS_EMBEDDING_TTL_SECONDS: "3600",
        REDIS_RESULT_TTL_SECONDS: "600",
        UPLOAD_MAX_FILES: "6",
        UPLOAD_MAX_FIELD_BYTES: "2048",
        UPLOAD_MAX_PART_HEADER_BYTES: "512",
        REQUEST_MAX_BYTES: "4096",
        UPLOAD_BUDGET_BYTES: "8192",
        HTTP_HEADERS_TIMEOUT_MS: "2000",
        HTTP_REQUEST_TIMEOUT_MS: "60000",
        HTTP_BODY_MIN_BYTES_PER_SECOND: "512",
        HTTP_BODY_RATE_WINDOW_MS: "5000",
        HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
        HTTP_MAX_CONNECTIONS: "64",
        INTROSPECTION: "false",
        ERROR_DETAILS: "1",
        GRAPHQL_MAX_DEPTH: "5",
        GRAPHQL_MAX_ALIASES: "3",
        GRAPHQL_MAX_TOKENS: "200",
        GRAPHQL_MAX_DIRECTIVES: "2",
        GRAPHQL_MAX_COST: "300",
        API_KEYS: `ci:${"ab".repeat(32)}:classify+classify:force-vlm:5/10`,
        API_KEY_DEFAULT_RATE: "7.5",
        MODELS_OFFLINE: "1",
        MODELS_MIRROR_URL: "https://models.example.com/mirror",
        SHUTDOWN_DRAIN_MS: "3000",
      });
      expect(config).toEqual({
        http: {
          port: 8080,
          host: "0.0.0.0",
          graphiql: false,
          demoPage: false,
          corsOrigins: ["https://app.example.com", "http://127.0.0.1:5173"],
        },
        connections: {
          headersTimeoutMs: 2000,
          requestTimeoutMs: 60_000,
          bodyMinBytesPerSecond: 512,
          bodyRateWindowMs: 5000,
          keepAliveTimeoutMs: 1000,
          maxConnections: 64,
        },
        graphql: {
          introspection: false,
          errorDetails: true,
          maxDepth: 5,
          maxAliases: 3,
          maxTokens: 200,
          maxDirectives: 2,
          maxCost: 300,
        },
        auth: {
          keys: [
            {
              name: "ci",
              sha256: "ab".repeat(32),
              scopes: ["classify", "classify:force-vlm"],
              rate: { perSecond: 5, burst: 10 },
            },
          ],
          defaultRate: { perSecond: 7.5, burst: 8 },
        },
        modelPack: "imagenet-mini",
        cacheDir: "/var/cache/vision",
        modelDownloads: { offline: true, mirrorUrl: "https://models.example.com/mirror" },
        metrics: { operationNames: ["Search", "Tag"] },
        shutdown: { drainMs: 3000 },
        routing: { high: 0.9, low: 0.5, priorityClasses: [] },
        clipTimeoutMs: 250,
        clipPrecision: "fp32",
        batching: { maxBatchSize: 16, maxWaitMs: 5, clipQueueMax: 32, cnnQueueMax: 128 },
        embeddingCacheBytes: 1_048_576,
        resultCacheBytes: 0,
        feedback: { storeMax: 10, ttlMs: 60_000, window: 20 },
        redis: {
          url: "redis://redis:6379/0",
          commandTimeoutMs: 20,
          embeddingTtlSeconds: 3600,
          resultTtlSeconds: 600,
        },
        breaker: { failures: 3, resetMs: 1000 },
        threads: { ortIntraOp: 3, sharp: 2, cnnNiceness: 4 },
        decode: { concurrency: 3, queueMax: 16 },
        tracing: { endpoint: "http://127.0.0.1:4318", serviceName: "classify-eu" },
        limits: {
          maxPixels: 1_000_000,
          maxSide: 4096,
          minSide: 16,
          uploadMaxBytes: 1024,
          uploadMaxFiles: 6,
          uploadMaxFieldBytes: 2048,
          uploadMaxPartHeaderBytes: 512,
          requestMaxBytes: 4096,
          uploadBudgetBytes: 8192,
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

    it("reads an empty flag as its default", () => {
      const config = loadConfig({ GRAPHIQL: "", INTROSPECTION: " ", ERROR_DETAILS: "" });
      expect([
        config.http.graphiql,
        config.graphql.introspection,
        config.graphql.errorDetails,
      ]).toEqual([true, true, false]);
    });

    it.each([
      ["true", true],
      ["1", true],
      ["false", false],
      ["0", false],
      ["", false],
    ])("reads MODELS_OFFLINE=%j as %s", (value, expected) => {
      expect(loadConfig({ MODELS_OFFLINE: value }).modelDownloads.offline).toBe(expected);
    });

    it("reads an empty MODELS_MIRROR_URL as no mirror", () => {
      expect(loadConfig({ MODELS_MIRROR_URL: "" }).modelDownloads.mirrorUrl).toBeNull();
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

  describe("REDIS_URL", () => {
    it("takes redis:// and rediss:// URLs, and reads an empty one as unset", () => {
      expect(
        loadConfig({ REDIS_URL: "rediss://user:secret@cache.internal:6380/2" }).redis.url,
      ).toBe("rediss://user:secret@cache.internal:6380/2");
      expect(loadConfig({ REDIS_URL: "" }).redis.url).toBeNull();
    });

    it.each(["http://redis:6379", "redis:/no-host", "localhost:6379"])("refuses %s", (url) => {
      expect(configError({ REDIS_URL: url }).message).toContain("REDIS_URL: must be redis://");
    });
  });

  describe("CORS_ORIGINS", () => {
    it("is empty unless set: cross-origin pages get no access", () => {
      expect(loadConfig({}).http.corsOrigins).toEqual([]);
      expect(loadConfig({ CORS_ORIGINS: " " }).http.corsOrigins).toEqual([]);
    });

    it("allows any origin only when * is set explicitly", () => {
      expect(loadConfig({ CORS_ORIGINS: "*" }).http.corsOrigins).toEqual(["*"]);
    });

    it.each([
      "https://app.example.com/",
      "https://app.example.com/path",
      "HTTPS://App.Example.com",
      "app.example.com",
      "ftp://files.example.com",
      "null",
    ])("rejects %j, which is not an origin as browsers send it", (value) => {
      const error = configError({ CORS_ORIGINS: value });
      expect(error.message).toContain("CORS_ORIGINS.0:");
      expect(error.message).toContain("is not an origin");
    });

    it("rejects * mixed with origins", () => {
      const error = configError({ CORS_ORIGINS: "*,https://app.example.com" });
      expect(error.message).toContain("CORS_ORIGINS: * allows every origin");
    });
  });

  describe("upload limits", () => {
    it("allows as many files per request as images per batch unless told otherwise", () => {
      expect(loadConfig({ BATCH_MAX_IMAGES: "4" }).limits.uploadMaxFiles).toBe(4);
      expect(
        loadConfig({ BATCH_MAX_IMAGES: "4", UPLOAD_MAX_FILES: "2" }).limits.uploadMaxFiles,
      ).toBe(2);
    });
  });

  describe("API keys", () => {
    const hash = (c: string) => c.repeat(64);
    const dir = mkdtempSync(join(tmpdir(), "api-keys-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("reads entries separated by commas or lines, with or without a rate", () => {
      const { keys } = loadConfig({
        API_KEYS: `web:${hash("a")}:classify,\n ops:${hash("b")}:feedback+classify:2`,
      }).auth;
      expect(keys).toEqual([
        { name: "web", sha256: hash("a"), scopes: ["classify"], rate: null },
        {
          name: "ops",
          sha256: hash("b"),
          scopes: ["feedback", "classify"],
          rate: { perSecond: 2, burst: 2 },
        },
      ]);
    });

    it("reads API_KEYS_FILE, skipping comments and blank lines", () => {
      const file = join(dir, "keys");
      writeFileSync(file, `# the web app\nweb:${hash("c")}:classify:10/20\n\n`);
      expect(loadConfig({ API_KEYS_FILE: file }).auth.keys).toEqual([
        {
          name: "web",
          sha256: hash("c"),
          scopes: ["classify"],
          rate: { perSecond: 10, burst: 20 },
        },
      ]);
    });

    it.each([
      ["API_KEYS", "web:abc:classify", "is not name:sha256hex"],
      ["API_KEYS", `web:${hash("a")}:classify+admin`, 'unknown scopes "admin"'],
      ["API_KEYS", `web:${hash("a")}:classify:5/0`, "rate or burst of 0"],
      [
        "API_KEYS",
        `web:${hash("a")}:classify,web:${hash("b")}:feedback`,
        'two keys are named "web"',
      ],
      ["API_KEYS", `a:${hash("a")}:classify,b:${hash("a")}:feedback`, "same hash"],
      ["API_KEYS_FILE", "/nonexistent/keys", "ENOENT"],
      ["API_KEY_DEFAULT_RATE", "fast", "expected REQUESTS_PER_SECOND"],
    ])("rejects %s=%j: %s", (name, value, message) => {
      const error = configError({ [name]: value });
      expect(error.message).toContain(`${name}: `);
      expect(error.message).toContain(message);
    });

    it("refuses both API_KEYS and API_KEYS_FILE, together with other problems", () => {
      const error = configError({
        API_KEYS: `web:${hash("a")}:classify`,
        API_KEYS_FILE: join(dir, "keys"),
        PORT: "abc",
      });
      expect(error.message).toContain("  API_KEYS_FILE: set API_KEYS or API_KEYS_FILE, not both");
      expect(error.message).toContain("  PORT: ");
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
      ["CNN_NICENESS", "20"],
      ["CNN_NICENESS", "-1"],
      ["CNN_NICENESS", "high"],
      ["IMAGE_MIN_SIDE", "-3"],
      ["IMAGE_MAX_SIDE", "0"],
      ["DECODE_CONCURRENCY", "0"],
      ["DECODE_QUEUE_MAX", "1.5"],
      ["GRAPHIQL", "yes"],
      ["DEMO_PAGE", "on"],
      ["INTROSPECTION", "off"],
      ["ERROR_DETAILS", "yes"],
      ["GRAPHQL_MAX_DEPTH", "0"],
      ["REQUEST_MAX_BYTES", "-1"],
      ["HTTP_MAX_CONNECTIONS", "0"],
      ["HTTP_BODY_MIN_BYTES_PER_SECOND", "fast"],
      ["MODELS_OFFLINE", "yes"],
      ["MODELS_MIRROR_URL", "not a url"],
    ])("rejects %s=%j and names the variable", (name, value) => {
      const error = configError({ [name]: value });
      expect(error.name).toBe("ConfigError");
      expect(error.message).toContain(`${name}:`);
    });

    it("rejects a low threshold above the high one", () => {
      const error = configError({ VLM_THRESHOLD_HIGH: "0.5", VLM_THRESHOLD_LOW: "0.9" });
      expect(error.message).toContain("VLM_THRESHOLD_LOW: VLM_THRESHOLD_LOW must not exceed");
    });

    it("rejects an upload budget smaller than the largest request", () => {
      const error = configError({ REQUEST_MAX_BYTES: "4096", UPLOAD_BUDGET_BYTES: "4095" });
      expect(error.message).toContain("UPLOAD_BUDGET_BYTES: UPLOAD_BUDGET_BYTES must be at least");
    });

    it("rejects a headers timeout longer than the whole request's", () => {
      const error = configError({
        HTTP_HEADERS_TIMEOUT_MS: "5000",
        HTTP_REQUEST_TIMEOUT_MS: "4000",
      });
      expect(error.message).toContain(
        "HTTP_HEADERS_TIMEOUT_MS: HTTP_HEADERS_TIMEOUT_MS must not exceed",
      );
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
