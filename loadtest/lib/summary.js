// @ts-check
/**
 * The end-of-test summary, written by k6's handleSummary (lib/lifecycle.js): JSON for tools,
 * text for people. Plain JavaScript with no k6 import, so Node tests it too.
 */

/** @param {number} ms */
const duration = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`);

/**
 * @param {import("./summary.js").SummaryMetric} metric
 * @returns {string}
 */
function describeValues(metric) {
  const { values } = metric;
  const number = (/** @type {number} */ value) =>
    metric.contains === "time" ? duration(value) : String(Math.round(value * 100) / 100);
  if (metric.type === "rate") {
    const total = (values.passes ?? 0) + (values.fails ?? 0);
    return `${((values.rate ?? 0) * 100).toFixed(2)}% (${values.passes ?? 0} of ${total})`;
  }
  if (metric.type === "counter") {
    return `${number(values.count ?? 0)} (${(values.rate ?? 0).toFixed(2)}/s)`;
  }
  return Object.entries(values)
    .map(([stat, value]) => `${stat}=${number(value)}`)
    .join(" ");
}

/** @type {typeof import("./summary.js").summaryText} */
export function summaryText(scenario, data) {
  const metrics = Object.entries(data.metrics).sort(([a], [b]) => a.localeCompare(b));
  const thresholds = metrics.flatMap(([name, metric]) =>
    Object.entries(metric.thresholds ?? {}).map(([expression, { ok }]) => ({
      line: `  ${ok ? "pass" : "FAIL"}  ${name}: ${expression}`,
      ok,
    })),
  );
  const failed = thresholds.filter((threshold) => !threshold.ok).length;
  const seconds = (data.state?.testRunDurationMs ?? 0) / 1000;
  const verdict = failed === 0 ? "every threshold held" : `${failed} threshold(s) FAILED`;
  const width = Math.max(...metrics.map(([name]) => name.length));
  return [
    `k6 ${scenario}: ${seconds.toFixed(1)} s, ${verdict}`,
    "thresholds:",
    ...thresholds.map((threshold) => threshold.line),
    "metrics:",
    ...metrics.map(([name, metric]) => `  ${name.padEnd(width)}  ${describeValues(metric)}`),
    "",
  ].join("\n");
}

/** @type {typeof import("./summary.js").summaryFiles} */
export function summaryFiles(scenario, data, dir) {
  const text = summaryText(scenario, data);
  const base = `${dir.replace(/\/$/, "")}/${scenario}-summary`;
  return {
    stdout: text,
    [`${base}.json`]: `${JSON.stringify(data, null, 2)}\n`,
    [`${base}.txt`]: text,
  };
}
