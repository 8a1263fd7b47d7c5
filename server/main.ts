import { createServer } from "node:http";
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createRuntime } from "./runtime.ts";

const log = (message: string) => console.log(`[classify] ${message}`);

async function main() {
  const config = loadConfig();
  const runtime = await createRuntime(config, log);
  const { pack, clip, clipUnavailableReason } = runtime.models;
  log(`model pack "${pack.name}" from ${pack.dir}: ${pack.labels.length} labels`);
  log(
    clip
      ? `CLIP ready (label embeddings from ${clip.labelEmbeddingsSource})`
      : `CLIP unavailable: ${clipUnavailableReason}`,
  );
  log(`warm-up inference took ${(runtime.warmUpSeconds ?? 0).toFixed(3)} s`);

  const server = createServer(createApp(runtime));
  server.listen(config.http.port, config.http.host, () => {
    log(`GraphQL and GraphiQL on http://${config.http.host}:${config.http.port}/graphql`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
