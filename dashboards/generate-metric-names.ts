import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PrometheusTracingPluginConfig } from "@graphql-yoga/plugin-prometheus";
import { collectDefaultMetrics, Registry } from "prom-client";
import { METRICS } from "../server/telemetry/metric-names.ts";

/** Where the jsonnet imports the names from (`import 'lib/metrics.json'`). */
export const METRIC_NAMES_JSON = fileURLToPath(new URL("./lib/metrics.json", import.meta.url));

type GraphQLPluginMetric = keyof NonNullable<PrometheusTracingPluginConfig["metrics"]>;

/**
 * Series the service exports through libraries, which the dashboard needs but
 * server/telemetry/metric-names.ts does not list (yet). Each is checked against its source:
 * the GraphQL plugin's names against its option keys (a rename fails tsc), prom-client's
 * default metrics against a fresh registry (a rename fails generation). A name the contract
 * adds later wins: it is not repeated here.
 */
const GRAPHQL_PLUGIN_METRICS = {
  /** HTTP requests (histogram, seconds), by method, statusCode, operationName, operationType. */
  httpDuration: "graphql_yoga_http_duration",
  /** GraphQL operations executed (counter without the _total suffix), by operationName. */
  graphqlRequests: "graphql_envelop_request",
  /** Whole-operation duration (histogram, seconds), by operationName. */
  graphqlRequestDuration: "graphql_envelop_request_duration",
  /** Errors in results (counter without _total), by operationName, phase and path. */
  graphqlErrors: "graphql_envelop_error_result",
  /** Execute-phase duration (histogram, seconds), by operationName. */
  graphqlExecute: "graphql_envelop_phase_execute",
} as const satisfies Record<string, GraphQLPluginMetric>;

const DEFAULT_PROCESS_METRICS = {
  /** Event loop lag, 99th percentile over prom-client's sampling window (gauge, seconds). */
  eventLoopLagP99: "nodejs_eventloop_lag_p99_seconds",
} as const;

/** The names the dashboard may use, keyed as in METRICS, as the JSON the jsonnet imports. */
export async function renderMetricNames(): Promise<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const defaults = new Set((await registry.getMetricsAsJSON()).map((metric) => metric.name));
  for (const name of Object.values(DEFAULT_PROCESS_METRICS)) {
    if (!defaults.has(name)) throw new Error(`prom-client no longer exports ${name}`);
  }
  const contract = new Set<string>(Object.values(METRICS));
  const supplementary = Object.entries({ ...GRAPHQL_PLUGIN_METRICS, ...DEFAULT_PROCESS_METRICS })
    .filter(([key, name]) => !contract.has(name) && !(key in METRICS))
    .sort(([a], [b]) => a.localeCompare(b));
  return `${JSON.stringify({ ...METRICS, ...Object.fromEntries(supplementary) }, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(METRIC_NAMES_JSON, await renderMetricNames());
  console.log("wrote dashboards/lib/metrics.json");
}
