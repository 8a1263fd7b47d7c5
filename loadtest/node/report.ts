import { quantile } from "../../server/math/quantile.ts";
import type { RateProfile, Scenario } from "../lib/scenarios.js";
import { expectedRequests, profileDurationS } from "../lib/scenarios.js";
import type { Outcome } from "./send-classify.ts";

/** One threshold and how the run did against it. */
export interface ThresholdResult {
  name: string;
  limit: number;
  actual: number;
  passed: boolean;
}

/** What a run measured: the numbers k6's end-of-test summary shows, and the thresholds' verdicts. */
export interface LoadReport {
  scenario: Scenario;
  target: string;
  /** Arrivals the profile scheduled. */
  scheduled: number;
  /** Arrivals actually sent; the rest found the in-flight cap full. */
  sent: number;
  overflow: number;
  /** From the first scheduled arrival to the end of the schedule or the last answer, if later, in s. */
  elapsedS: number;
  /** Answers (of any kind) per second over elapsedS. */
  achievedRate: number;
  /** The profile's own average rate, for comparison. */
  scheduledRate: number;
  /** From each request's scheduled send time, so a slow answer cannot delay the next measurement. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** As k6's http_req_failed: of the requests sent, those with no response or a 4xx/5xx. */
  httpFailedRate: number;
  /** As classify_errors, over every arrival: HTTP errors, GraphQL errors, and arrivals not sent. */
  errorRate: number;
  errors: { http: number; graphql: number; notSent: number; examples: string[] };
  /** Of the answers, the share CLIP contributed to (vlmUsed). */
  clipShare: number;
  /** Of the answers, the share whose CLIP embedding came from the cache. */
  cacheHitShare: number;
  /** Of the answers, the share where CLIP was wanted but the CNN answered alone. */
  fallbackShare: number;
  thresholds: ThresholdResult[];
  passed: boolean;
}

const EXAMPLES_KEPT = 5;

/** Sums a run's outcomes up and judges them against the scenario's thresholds. */
export function summarize(
  scenario: Scenario,
  target: string,
  outcomes: readonly Outcome[],
  run: { scheduled: number; overflow: number; elapsedMs: number },
): LoadReport {
  const latencies = Float64Array.from(outcomes, (o) => o.latencyMs).sort();
  const answers = outcomes.filter((o) => o.ok);
  const httpFailed = outcomes.filter((o) => o.httpFailed).length;
  const graphqlFailed = outcomes.filter((o) => !o.ok && !o.httpFailed).length;
  const share = (count: number, of: number) => (of === 0 ? 0 : count / of);
  const errorRate = share(httpFailed + graphqlFailed + run.overflow, run.scheduled);
  const httpFailedRate = share(httpFailed, outcomes.length);
  const at = (q: number) => (latencies.length === 0 ? 0 : quantile(latencies, q));
  const latencyMs = {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: latencies.at(-1) ?? 0,
  };
  const { p95Ms, p99Ms, maxErrorRate } = scenario.thresholds;
  const thresholds = [
    judge("http_req_duration p(95) ms", latencyMs.p95, p95Ms),
    judge("http_req_duration p(99) ms", latencyMs.p99, p99Ms),
    judge("http_req_failed rate", httpFailedRate, maxErrorRate),
    judge("classify_errors rate", errorRate, maxErrorRate),
  ];
  const elapsedS = run.elapsedMs / 1000;
  return {
    scenario,
    target,
    scheduled: run.scheduled,
    sent: outcomes.length,
    overflow: run.overflow,
    elapsedS,
    achievedRate: share(outcomes.length, elapsedS),
    scheduledRate: expectedRequests(scenario.profile) / profileDurationS(scenario.profile),
    latencyMs,
    httpFailedRate,
    errorRate,
    errors: {
      http: httpFailed,
      graphql: graphqlFailed,
      notSent: run.overflow,
      examples: [...new Set(outcomes.flatMap((o) => (o.error ? [o.error] : [])))].slice(
        0,
        EXAMPLES_KEPT,
      ),
    },
    clipShare: share(answers.filter((o) => o.vlmUsed).length, answers.length),
    cacheHitShare: share(answers.filter((o) => o.cacheHit).length, answers.length),
    fallbackShare: share(answers.filter((o) => o.fallback).length, answers.length),
    thresholds,
    passed: thresholds.every((t) => t.passed),
  };
}

/** The report as the runner prints it. */
export function formatReport(report: LoadReport): string {
  const { scenario, latencyMs: l, errors } = report;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  return [
    `scenario ${scenario.name}: ${describeProfile(scenario.profile)} → ${report.target}`,
    `  requests    ${report.scheduled} scheduled, ${report.sent} sent, ${report.overflow} over the in-flight cap`,
    `  rate        ${report.achievedRate.toFixed(1)} req/s achieved (${report.scheduledRate.toFixed(1)} scheduled) over ${report.elapsedS.toFixed(1)} s`,
    `  latency     p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (from the scheduled send time)`,
    `  errors      ${pct(report.errorRate)}: ${errors.http} HTTP, ${errors.graphql} GraphQL, ${errors.notSent} not sent`,
    ...errors.examples.map((example) => `              e.g. ${example}`),
    `  mix         CLIP ${pct(report.clipShare)} of answers, cache hits ${pct(report.cacheHitShare)}, CLIP fallbacks ${pct(report.fallbackShare)}`,
    "  thresholds",
    ...report.thresholds.map(
      (t) => `    ${t.passed ? "ok  " : "FAIL"} ${t.name} ${format(t.actual)} < ${format(t.limit)}`,
    ),
  ].join("\n");
}

/** "100 req/s for 60 s", or the steps of a ramping profile. */
export function describeProfile(profile: RateProfile): string {
  const duration = `${Math.round(profileDurationS(profile))} s`;
  if (profile.kind === "constant") return `${format(profile.startRate)} req/s for ${duration}`;
  const steps = [profile.startRate];
  for (const { target } of profile.stages) if (target !== steps.at(-1)) steps.push(target);
  return `${steps.map(format).join(" → ")} req/s over ${duration}`;
}

function judge(name: string, actual: number, limit: number): ThresholdResult {
  return { name, limit, actual, passed: actual < limit };
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}
