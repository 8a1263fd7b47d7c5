import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnDaemon } from "./daemon.ts";
import { freePort } from "./ports.ts";

/** Whether the `prometheus` server binary is on the PATH (Debian package `prometheus`). */
export const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;

/** One series of a query result: its labels and its [unix seconds, value] samples. */
export interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusOptions {
  /** `host:port` of the /metrics endpoint to scrape. */
  target: string;
  /** Job label of the target; default "vision-classify", as in monitoring/prometheus.yml. */
  job?: string;
  /** Scrape (and rule evaluation) interval in seconds; default 1, so tests wait little. */
  scrapeIntervalSeconds?: number;
  /** How long to wait for readiness and the first successful scrape; default 30 s. */
  startTimeoutMs?: number;
  /** Rule files (absolute paths) to evaluate, e.g. monitoring/rules/*.yml; default none. */
  ruleFiles?: readonly string[];
  /** `host:port` of an Alertmanager to send firing alerts to; default none. */
  alertmanager?: string;
}

export interface RunningPrometheus {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234. */
  url: string;
  /** An instant query at `time` (unix seconds; default now), as series with one sample each. */
  query(promql: string, time?: number): Promise<Series[]>;
  /** A range query, as Grafana's time-series panels send them. */
  queryRange(promql: string, start: number, end: number, stepSeconds: number): Promise<Series[]>;
  /** Values of a label on the series matching a selector, as Grafana's label_values(). */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Resolves once the target has been scraped `count` more times. */
  waitForScrapes(count: number): Promise<void>;
  /** Stops the server (by pid) and removes its config and storage. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A real Prometheus server scraping one target, for tests that check queries against real
 * data: config and TSDB in a temp dir, the API on a free loopback port. Resolves once the
 * server is ready and has scraped the target successfully.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const { target, job = "vision-classify", scrapeIntervalSeconds = 1 } = options;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), "prometheus-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "global:",
      `  scrape_interval: ${scrapeIntervalSeconds}s`,
      `  scrape_timeout: ${scrapeIntervalSeconds}s`,
      `  evaluation_interval: ${scrapeIntervalSeconds}s`,
      ...(options.ruleFiles?.length
        ? ["rule_files:", ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`)]
        : []),
      ...(options.alertmanager
        ? [
            "alerting:",
            "  alertmanagers:",
            `    - static_configs: [{ targets: [${JSON.stringify(options.alertmanager)}] }]`,
          ]
        : []),
      "scrape_configs:",
      `  - job_name: ${JSON.stringify(job)}`,
      "    metrics_path: /metrics",
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      "",
    ].join("\n"),
  );

  const daemon = spawnDaemon(
    "prometheus",
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    dir,
  );
  const { stop } = daemon;

  async function api<T = { resultType: string; result: unknown[] }>(
    path: string,
    params: Record<string, string>,
  ): Promise<T> {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; error?: string; data: T };
    if (body.status !== "success") throw new Error(`${params.query ?? path}: ${body.error}`);
    return body.data;
  }

  const labelValues = (label: string, match: string) =>
    api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`, { "match[]": match });

  async function query(promql: string, time?: number): Promise<Series[]> {
    const data = await api("/api/v1/query", {
      query: promql,
      ...(time === undefined ? {} : { time: String(time) }),
    });
    if (data.resultType === "scalar") {
      return [{ metric: {}, values: [data.result as unknown as [number, string]] }];
    }
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map(
      ({ metric, value }) => ({ metric, values: [value] }),
    );
  }

  async function queryRange(promql: string, start: number, end: number, stepSeconds: number) {
    const data = await api("/api/v1/query_range", {
      query: promql,
      start: String(start),
      end: String(end),
      step: String(stepSeconds),
    });
    return data.result as Series[];
  }

  /** Time of the target's newest `up` sample: it moves on with every scrape. */
  async function lastScrape(): Promise<number> {
    const [series] = await query(`timestamp(up{job=${JSON.stringify(job)}})`);
    return Number(series?.values[0]?.[1] ?? 0);
  }

  async function waitForScrapes(count: number) {
    const deadline = Date.now() + (count + 10) * scrapeIntervalSeconds * 1000;
    let last = await lastScrape();
    for (let seen = 0; seen < count; ) {
      if (Date.now() > deadline) throw new Error(`${count} scrapes did not happen in time`);
      await sleep(100);
      const now = await lastScrape();
      if (now > last) {
        seen++;
        last = now;
      }
    }
  }

  try {
    await daemon.waitUntil(startTimeoutMs, async () => {
      const ready = await fetch(`${url}/-/ready`).catch(() => null);
      return ready?.ok === true;
    });
    await daemon.waitUntil(startTimeoutMs, async () => {
      const [up] = await query(`up{job=${JSON.stringify(job)}}`);
      return up?.values[0]?.[1] === "1";
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, query, queryRange, labelValues, waitForScrapes, stop };
}

const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "group_left",
  "group_right",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression reads, histogram suffixes kept (`x_bucket`). A small
 * lexer, not a parser: strings, label matchers, ranges and grouping clauses are dropped, and
 * of the identifiers left, those not followed by "(" (functions, aggregations) are metrics.
 */
export function metricNamesIn(promql: string): string[] {
  const stripped = promql
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const [name, open] = [match[0], match[1]];
    if (open === "(" || PROMQL_WORDS.has(name.toLowerCase())) continue;
    if (/\d/.test(stripped[(match.index ?? 0) - 1] ?? "")) continue; // 1e3, 5m
    names.add(name);
  }
  return [...names];
}
