import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardQueries } from "../dashboards/dashboard-queries.ts";
import { METRIC_NAMES_JSON } from "../dashboards/generate-metric-names.ts";
import { metricNamesIn } from "../server/testing/prometheus.ts";
import { REPO_ROOT } from "../server/testing/shared-data.ts";

const MONITORING = join(REPO_ROOT, "monitoring");
const RULES = join(MONITORING, "rules");
const RULE_TESTS = join(RULES, "tests");
const JOB = "vision-classify";

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;
const hasAmtool = spawnSync("amtool", ["--version"]).status === 0;
if (!hasPromtool) {
  console.warn(
    "skipping the promtool checks: `promtool` is not installed (scripts/install-system-tools.sh installs it)",
  );
}

/** Runs a command from the repository root; its output is the failure message. */
function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith(".yml"))
    .map((file) => join(dir, file));

/** Alert rules as written: name, expression and the raw text of the rule. */
function alertRules() {
  return yamlFiles(RULES).flatMap((file) =>
    readFileSync(file, "utf8")
      .split(/^\s*- alert: /m)
      .slice(1)
      .map((block) => ({ name: block.split("\n")[0]?.trim() ?? "", expr: exprOf(block), block })),
  );
}

/** The `expr:` of a rule block, inline or as a `|` block scalar. */
function exprOf(block: string): string {
  const lines = block.split("\n");
  const start = lines.findIndex((line) => /^\s*expr:/.test(line));
  const inline = lines[start]?.replace(/^\s*expr:\s*/, "") ?? "";
  if (inline !== "|") return inline;
  const indent = (line: string) => line.length - line.trimStart().length;
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== "" && indent(line) <= indent(lines[start] ?? "")) break;
    body.push(line.trim());
  }
  return body.join(" ").trim();
}

describe.skipIf(!hasPromtool)("monitoring/ with promtool", () => {
  it("prometheus.yml is a valid configuration", () => {
    const { status, output } = run("promtool", ["check", "config", "monitoring/prometheus.yml"]);
    expect(output).toContain("SUCCESS");
    expect(status, output).toBe(0);
  });

  it("rule files are valid", () => {
    const { status, output } = run("promtool", ["check", "rules", ...yamlFiles(RULES)]);
    expect(status, output).toBe(0);
  });

  it("alert rules pass their unit tests", () => {
    const { status, output } = run("promtool", ["test", "rules", ...yamlFiles(RULE_TESTS)]);
    expect(status, output).toBe(0);
  });
});

describe("Alertmanager", () => {
  it.skipIf(!hasAmtool)("alertmanager.yml is a valid configuration with a webhook receiver", () => {
    const { status, output } = run("amtool", ["check-config", "monitoring/alertmanager.yml"]);
    expect(status, output).toBe(0);
    expect(readFileSync(join(MONITORING, "alertmanager.yml"), "utf8")).toMatch(
      /webhook_configs:\n\s+- url: http/,
    );
  });

  it("is where prometheus.yml sends alerts: the compose service and its port", () => {
    const config = readFileSync(join(MONITORING, "prometheus.yml"), "utf8");
    expect(config).toMatch(
      /\nalerting:\n\s+alertmanagers:\n[\s\S]*targets: \["alertmanager:9093"\]/,
    );
    const compose = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
    expect(compose).toMatch(
      /\n {2}alertmanager:\n[\s\S]*?alertmanager\.yml:\/etc\/alertmanager\/alertmanager\.yml/,
    );
  });
});

describe("alert rules", () => {
  const rules = alertRules();

  it("are the twelve the service needs", () => {
    expect(rules.map((rule) => rule.name)).toEqual([
      "VisionClassifyTargetDown",
      "VisionClassifyHighFallbackRate",
      "VisionClassifyClipLatencyHigh",
      "VisionClassifyQueueSaturated",
      "VisionClassifyCnnConfidenceCollapse",
      "VisionClassifyAccuracyDeltaNegative",
      "VisionClassifyHighErrorRate",
      "VisionClassifyHttpLatencyHigh",
      "VisionClassifyOverloaded",
      "VisionClassifyRequestsRejected",
      "VisionClassifyRedisDown",
      "VisionClassifyMemoryGrowth",
    ]);
  });

  it("each have a severity, a summary, a description and a runbook_url to its own section", () => {
    const runbook = readFileSync(join(REPO_ROOT, "docs/runbook.md"), "utf8");
    const sections = new Set(
      [...runbook.matchAll(/^## (\w+)$/gm)].map(([, heading]) => heading?.toLowerCase()),
    );
    for (const { name, block } of rules) {
      expect(block, name).toMatch(/severity: (critical|warning|info)\n/);
      for (const field of ["summary", "description"]) {
        expect(block, `${name} ${field}`).toMatch(new RegExp(`\\n\\s+${field}: (".+"|'.+')\\n`));
      }
      expect(block, name).not.toMatch(/\n\s+runbook:/);
      const url = /\n\s+runbook_url: "([^"]+)"/.exec(block)?.[1];
      expect(url, name).toBe(`docs/runbook.md#${name.toLowerCase()}`);
      expect(sections.has(name.toLowerCase()), `docs/runbook.md section for ${name}`).toBe(true);
    }
  });

  it("each have a unit test that fires and one that stays quiet", () => {
    const tests = yamlFiles(RULE_TESTS)
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    for (const { name } of rules) {
      const cases = [
        ...tests.matchAll(new RegExp(`alertname: ${name}\\n\\s+exp_alerts:(.*)`, "g")),
      ];
      expect(
        cases.some(([, rest]) => rest?.trim() === "[]"),
        `${name} quiet`,
      ).toBe(true);
      expect(
        cases.some(([, rest]) => rest?.trim() === ""),
        `${name} firing`,
      ).toBe(true);
    }
  });

  it("read only metrics of server/telemetry/metric-names.ts (via lib/metrics.json)", () => {
    const known = new Set<string>(
      Object.values(JSON.parse(readFileSync(METRIC_NAMES_JSON, "utf8"))),
    );
    known.add("up");
    const unknown = rules.flatMap(({ name, expr }) =>
      metricNamesIn(expr)
        .filter((metric) => !known.has(metric.replace(/_(bucket|sum|count)$/, "")))
        .map((metric) => `${name}: ${metric}`),
    );
    expect(rules.every(({ expr }) => expr.length > 0)).toBe(true);
    expect(unknown).toEqual([]);
  });

  it("together with the dashboards, read every metric the service exports", () => {
    const exported: string[] = Object.values(JSON.parse(readFileSync(METRIC_NAMES_JSON, "utf8")));
    const dashboards = join(REPO_ROOT, "dashboards/rendered");
    const read = new Set(
      [
        ...rules.map(({ expr }) => expr),
        ...readdirSync(dashboards)
          .filter((file) => file.endsWith(".json"))
          .flatMap((file) => dashboardQueries(join(dashboards, file)).map(({ expr }) => expr)),
      ]
        .flatMap(metricNamesIn)
        .map((metric) => metric.replace(/_(bucket|sum|count)$/, "")),
    );
    expect(exported.length).toBeGreaterThan(30);
    expect(exported.filter((name) => !read.has(name))).toEqual([]);
  });

  it("name the job that prometheus.yml scrapes and the dashboard selects", () => {
    const config = readFileSync(join(MONITORING, "prometheus.yml"), "utf8");
    expect(config).toContain(`job_name: ${JOB}\n`);
    const dashboard = readFileSync(join(REPO_ROOT, "dashboards/rendered/vision-classify.json"));
    const job = JSON.parse(dashboard.toString()).templating.list.find(
      (variable: { name: string }) => variable.name === "job",
    );
    expect(job.current.value).toBe(JOB);
    expect(rules[0]?.expr).toContain(`up{job="${JOB}"}`);
  });
});

describe("scripts/render-dashboards.sh --check", () => {
  it("finds the rendered dashboards current (or says why it cannot check)", () => {
    const { status, output } = run("bash", ["scripts/render-dashboards.sh", "--check"]);
    if (output.startsWith("skipped:")) console.warn(`render-dashboards.sh --check ${output}`);
    expect(status, output).toBe(0);
  });
});
