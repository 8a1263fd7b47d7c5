import { createApp } from "./app.ts";
import { describeAccessControl } from "./auth/use-api-keys.ts";
import { ConfigError, loadConfig } from "./config/config.ts";
import { createLimitedServer } from "./http/connection-limits.ts";
import { fullCollection, startIdleCollector } from "./runtime/idle-collector.ts";
import { createRuntime } from "./runtime/runtime.ts";
import { startTracing } from "./telemetry/tracing-sdk.ts";

const log = (message: string) => console.log(`[classify] ${message}`);
// After a burst, one full collection once 10 s pass without a POST and Buffers have grown by
// 64 MiB: a burst of large uploads leaves hundreds of MiB that V8 would otherwise keep while idle.
const IDLE_LOOK_MS = 10_000;
const IDLE_COLLECT_GROWTH_BYTES = 64 * 1024 * 1024;

async function main() {
  const config = loadConfig();
  const tracing = startTracing(config.tracing);
  const runtime = await createRuntime(config, log);
  const { pack, clip, clipUnavailableReason } = runtime.models;
  log(`model pack "${pack.name}" from ${pack.dir}: ${pack.labels.length} labels`);
  log(
    clip
      ? `CLIP ready (${clip.vision.model.path}, label embeddings from ${clip.labelEmbeddingsSource})`
      : `CLIP unavailable: ${clipUnavailableReason}`,
  );
  const warm = runtime.warmUp;
  if (warm) {
    const sizes = (list: number[]) =>
      list.length ? `${Math.min(...list)}..${Math.max(...list)}` : "none";
    log(
      `warm-up took ${warm.seconds.toFixed(3)} s (batch sizes: cnn ${sizes(warm.batchSizes.cnn)}, clip_vision ${sizes(warm.batchSizes.clip_vision)}; text tower ${warm.textTower ? "once" : "absent"})`,
    );
  }
  const redis = runtime.redisHealth();
  if (redis.state === "disabled")
    log("no REDIS_URL: caches and feedback state are in this process only");
  if (tracing.enabled) log(`tracing to ${config.tracing.endpoint}`);
  log(describeAccessControl(config.auth.keys));

  const { metrics } = runtime;
  const { server, openConnections } = createLimitedServer(createApp(runtime), {
    limits: config.connections,
    onCutOff: (cause) => metrics.requestsCutOff.inc({ cause }),
  });
  metrics.sources.openConnections = openConnections;
  // Work is what allocates: POSTs (GraphQL). Scrapes and health checks (GETs) go on while idle.
  let postsSeen = 0;
  server.on("request", (request) => {
    if (request.method === "POST") postsSeen++;
  });
  startIdleCollector({
    intervalMs: IDLE_LOOK_MS,
    minGrowthBytes: IDLE_COLLECT_GROWTH_BYTES,
    requestsSeen: () => postsSeen,
    externalBytes: () => process.memoryUsage().arrayBuffers,
    collect: fullCollection(),
  });
  server.once("error", (error) => {
    console.error(`cannot listen on ${config.http.host}:${config.http.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.http.port, config.http.host, () => {
    const base = `http://${config.http.host}:${config.http.port}`;
    log(`GraphQL${config.http.graphiql ? " and GraphiQL" : ""} on ${base}/graphql`);
    if (config.http.demoPage) log(`demo page on ${base}/`);
  });

  const shutdown = (signal: string) => {
    log(`${signal}: draining (readiness now fails, no new connections)`);
    runtime.lifecycle.draining = true;
    const deadline = setTimeout(() => {
      log("drain deadline reached; exiting with requests still open");
      process.exit(0);
    }, config.shutdown.drainMs);
    deadline.unref();
    server.close(async () => {
      await runtime.close();
      await tracing.shutdown();
      log("drained; bye");
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
