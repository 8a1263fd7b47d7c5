import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDaemon } from "./daemon.ts";
import { freePort } from "./ports.ts";

/** The Alertmanager binary of Debian's `prometheus-alertmanager` package, else upstream's name. */
const BINARY = ["prometheus-alertmanager", "alertmanager"].find(
  (name) => spawnSync(name, ["--version"]).status === 0,
);
/** Whether an Alertmanager is on the PATH (Debian package `prometheus-alertmanager`). */
export const hasAlertmanager = BINARY !== undefined;

export interface RunningAlertmanager {
  /** `host:port`, as Prometheus' `alerting:` block names it. */
  address: string;
  /** Stops the server (by pid) and removes its config and storage. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A real Alertmanager that sends every alert to one webhook at once (no grouping wait), for
 * tests that follow an alert end to end: config and storage in a temp dir, the API on a free
 * loopback port, clustering off (it would listen on every interface). Resolves once ready.
 */
export async function startAlertmanager(options: {
  webhookUrl: string;
  startTimeoutMs?: number;
}): Promise<RunningAlertmanager> {
  if (!BINARY) throw new Error("alertmanager is not installed (prometheus-alertmanager)");
  const dir = await mkdtemp(join(tmpdir(), "alertmanager-"));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = join(dir, "alertmanager.yml");
  await writeFile(
    config,
    [
      "route:",
      "  receiver: webhook",
      "  group_by: [alertname]",
      "  group_wait: 0s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: webhook",
      `    webhook_configs: [{ url: ${JSON.stringify(options.webhookUrl)}, send_resolved: true }]`,
      "",
    ].join("\n"),
  );
  const daemon = spawnDaemon(
    "alertmanager",
    BINARY,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=${address}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    dir,
  );
  const { stop } = daemon;
  try {
    await daemon.waitUntil(
      options.startTimeoutMs ?? 30_000,
      async () => (await fetch(`http://${address}/-/ready`).catch(() => null))?.ok === true,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, stop };
}
