import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardQueries } from "../../dashboards/dashboard-queries.ts";
import { METRIC_NAMES_JSON, renderMetricNames } from "../../dashboards/generate-metric-names.ts";
import { metricNamesIn } from "../testing/prometheus.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { METRICS } from "./metric-names.ts";

const DASHBOARDS = join(REPO_ROOT, "dashboards");
const names = (): Record<string, string> => JSON.parse(readFileSync(METRIC_NAMES_JSON, "utf8"));

/** The series a metric name stands for: a histogram's `_bucket`, `_sum` and `_count` too. */
const baseName = (series: string) => series.replace(/_(bucket|sum|count)$/, "");

/** Every jsonnet source of the dashboards (vendored libraries excluded). */
function jsonnetSources(): string[] {
  return readdirSync(DASHBOARDS, { recursive: true, encoding: "utf8" })
    .filter((path) => /\.(jsonnet|libsonnet)$/.test(path) && !path.startsWith("vendor"))
    .map((path) => join(DASHBOARDS, path));
}

describe("dashboards/lib/metrics.json", () => {
  it("is current (regenerate with `npx tsx dashboards/generate-metric-names.ts`)", async () => {
    expect(readFileSync(METRIC_NAMES_JSON, "utf8")).toBe(await renderMetricNames());
  });

  it("carries every name of the contract under its key", () => {
    expect(names()).toMatchObject(METRICS);
  });
});

describe("the dashboard jsonnet", () => {
  it("writes no metric name itself: every one comes from lib/metrics.json", () => {
    const sources = jsonnetSources();
    expect(sources.length).toBeGreaterThan(0);
    const literals = sources.flatMap((path) => {
      const text = readFileSync(path, "utf8");
      return Object.values(names())
        .filter((name) => text.includes(name))
        .map((name) => `${path.slice(DASHBOARDS.length + 1)}: ${name}`);
    });
    expect(literals).toEqual([]);
  });

  it("renders queries that read only metrics of lib/metrics.json", () => {
    const known = new Set(Object.values(names()));
    const rendered = readdirSync(join(DASHBOARDS, "rendered")).filter((f) => f.endsWith(".json"));
    expect(rendered).not.toEqual([]);
    const unknown = rendered.flatMap((file) =>
      dashboardQueries(join(DASHBOARDS, "rendered", file))
        .flatMap(({ expr }) => metricNamesIn(expr))
        .filter((name) => !known.has(baseName(name)))
        .map((name) => `${file}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("renders descriptions without float artefacts such as 0.40000000000000002", () => {
    const rendered = readFileSync(join(DASHBOARDS, "rendered/vision-classify.json"), "utf8");
    expect(rendered.match(/\d\.\d*(0{6,}|9{6,})\d/g) ?? []).toEqual([]);
  });
});

describe("metricNamesIn", () => {
  it("finds the metrics of an expression and nothing else", () => {
    const expr = `histogram_quantile(0.95, sum by (job, le) (rate(a_seconds_bucket{le="0.5", x=~"y|z"}[$__rate_interval])))
      / on (job) group_left sum without (cause) (increase(b_total[5m] offset 1h)) > 1e3 and c_bytes`;
    expect(metricNamesIn(expr).sort()).toEqual(["a_seconds_bucket", "b_total", "c_bytes"]);
  });
});
