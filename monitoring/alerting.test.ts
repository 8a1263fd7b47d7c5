import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import {
  hasAlertmanager,
  type RunningAlertmanager,
  startAlertmanager,
} from "../server/testing/alertmanager.ts";
import {
  hasPrometheus,
  type RunningPrometheus,
  startPrometheus,
} from "../server/testing/prometheus.ts";
import { REPO_ROOT } from "../server/testing/shared-data.ts";

const RULES = join(REPO_ROOT, "monitoring/rules/vision-classify.yml");
const JOB = "vision-classify";
// VisionClassifyTargetDown holds for 1 minute before it fires; the rest is scrapes and sends.
const FIRE_TIMEOUT_MS = 150_000;

if (!hasPrometheus || !hasAlertmanager) {
  console.warn(
    "skipping the alerting test: `prometheus` and `prometheus-alertmanager` must be installed (scripts/install-system-tools.sh installs them)",
  );
}

/** What Alertmanager's webhook posts (the fields this test reads). */
interface WebhookMessage {
  status: "firing" | "resolved";
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }[];
}

/** An HTTP server on a free loopback port; resolves with it and its `host:port`. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined) {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe.skipIf(!hasPrometheus || !hasAlertmanager)("an alert, end to end", () => {
  let target: Server | undefined;
  let receiver: Server | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  let prometheus: RunningPrometheus | undefined;
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await close(target);
    await close(receiver);
  });

  it(
    "goes from the real rules through Prometheus and Alertmanager to a webhook",
    async () => {
      const received: WebhookMessage[] = [];
      receiver = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on("end", () => {
          received.push(JSON.parse(body) as WebhookMessage);
          response.end();
        });
      });
      const webhook = await listen(receiver);
      // A stand-in for the service's /metrics: the alert is about the target going away.
      target = createServer((_request, response) => {
        response.setHeader("content-type", "text/plain; version=0.0.4");
        response.end("# TYPE service_up gauge\nservice_up 1\n");
      });
      const instance = await listen(target);

      alertmanager = await startAlertmanager({ webhookUrl: `http://${webhook}/alerts` });
      prometheus = await startPrometheus({
        target: instance,
        job: JOB,
        ruleFiles: [RULES],
        alertmanager: alertmanager.address,
      });
      // Scraped once (startPrometheus waits for it); now the service goes down.
      await close(target);

      const deadline = Date.now() + FIRE_TIMEOUT_MS;
      const fired = () =>
        received
          .flatMap((message) => message.alerts)
          .find((a) => a.labels.alertname === "VisionClassifyTargetDown" && a.status === "firing");
      while (!fired() && Date.now() < deadline) await sleep(500);

      const alert = fired();
      expect(alert, "no VisionClassifyTargetDown reached the webhook in time").toBeDefined();
      expect(alert?.labels).toMatchObject({ job: JOB, instance, severity: "critical" });
      expect(alert?.annotations).toMatchObject({
        summary: `vision-classify ${instance} is down`,
        runbook_url: "docs/runbook.md#visionclassifytargetdown",
      });
      // Nothing else fired: the other rules need metrics this stand-in never served.
      const others = received
        .flatMap((message) => message.alerts)
        .filter((a) => a.labels.alertname !== "VisionClassifyTargetDown");
      expect(others).toEqual([]);
    },
    FIRE_TIMEOUT_MS + 60_000,
  );
});
