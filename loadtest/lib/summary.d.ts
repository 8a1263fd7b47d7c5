// Types for summary.js, which stays plain JavaScript so k6 can import it as is. The
// implementation is type-checked against these declarations by `tsc -p loadtest`.

/** One metric of k6's end-of-test summary data (what `handleSummary` receives). */
export interface SummaryMetric {
  type: "counter" | "gauge" | "rate" | "trend";
  /** "time" for durations in ms, "data" for bytes. */
  contains?: string;
  /** Trends: avg, min, med, max, p(N); rates: rate, passes, fails; counters: count, rate. */
  values: Record<string, number>;
  /** Each threshold's expression and whether it held. */
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  state?: { testRunDurationMs?: number };
}

/** The summary as text: the verdict, every threshold, then every metric, one line each. */
export function summaryText(scenario: string, data: SummaryData): string;

/**
 * What `handleSummary` returns: the text on stdout, and `<scenario>-summary.json` (k6's data
 * as is) and `<scenario>-summary.txt` in `dir`.
 */
export function summaryFiles(
  scenario: string,
  data: SummaryData,
  dir: string,
): Record<string, string>;
