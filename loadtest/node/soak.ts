import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ServiceProcess, startServiceProcess } from "../../server/testing/service-process.ts";
import { buildScenario } from "../lib/scenarios.js";
import {
  MEMORY_CSV_HEADER,
  type MemorySample,
  memoryCsvRow,
  sampleMemory,
} from "./memory-sampler.ts";
import { runLoad } from "./open-model.ts";
import { describeProfile, formatReport, type LoadReport } from "./report.ts";

export interface SoakOptions {
  /** Requests per second, an open model as in every scenario. */
  rate: number;
  durationS: number;
  /** Memory before this is start-up and warm-up (pools, JIT, caches filling): not counted. */
  warmupS: number;
  sampleEveryS: number;
  /** Most RSS growth from the end of warm-up to the end of the run, in percent. */
  maxRssGrowthPct: number;
  /** Where the time series (CSV) and the summary (JSON) are written. */
  outDir: string;
  /** Environment for the service on top of this process's. */
  serviceEnv?: Record<string, string>;
  log?: (line: string) => void;
  /** Called once the service runs, e.g. for a test to stop it should the run be abandoned. */
  onServiceStarted?: (service: ServiceProcess) => void;
}

/** Memory at the start (end of warm-up) and the end of the run, and how much it grew. */
export interface Growth {
  startBytes: number;
  endBytes: number;
  growthPct: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, "log" | "serviceEnv" | "onServiceStarted">;
  load: LoadReport;
  samples: MemorySample[];
  rss: Growth;
  heapUsed: Growth;
  /** HTTP errors, GraphQL errors and arrivals not sent, as the load report counts them. */
  errors: number;
  scrapeFailures: string[];
  failures: string[];
  passed: boolean;
  files: { csv: string; json: string };
}

/**
 * The service's bounded caches, made small enough to be full before the warm-up ends: the
 * prediction store keeps 100,000 answers and the embedding cache 64 MiB by default, which take
 * 15–20 minutes to fill at 100 req/s, and their legitimate growth would hide (or fake) a leak.
 * Set either in the environment to soak with other sizes.
 */
const SMALL_CACHES: Record<string, string> = {
  PREDICTION_STORE_MAX: "500",
  EMBEDDING_CACHE_BYTES: String(1024 * 1024),
  RESULT_CACHE_BYTES: String(1024 * 1024),
};

/** Samples averaged at each end, so one garbage collection does not decide the verdict. */
const ENDPOINT_SAMPLES = 3;

/**
 * Starts the service (embedded pack) as its own process, drives it with the open-model load
 * generator for `durationS`, samples its RSS and heap from /metrics throughout, writes the
 * series and a summary, and stops the service, whatever happens.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { rate, durationS, warmupS, sampleEveryS, log = () => {} } = options;
  if (warmupS + ENDPOINT_SAMPLES * sampleEveryS >= durationS) {
    throw new Error("the run must outlast the warm-up by a few samples");
  }
  const caches = Object.fromEntries(
    Object.entries(SMALL_CACHES).map(([name, value]) => [name, process.env[name] || value]),
  );
  const service = await startServiceProcess({ ...caches, ...options.serviceEnv });
  log(`service pid ${service.pid} on ${service.url}`);
  options.onServiceStarted?.(service);
  try {
    const scenario = buildScenario("soak", { rate, durationS });
    log(
      `soak: ${describeProfile(scenario.profile)}, warm-up ${warmupS} s, sampling every ${sampleEveryS} s`,
    );
    const sampler = sampleMemory(`${service.url}/metrics`, sampleEveryS * 1000);
    let load: LoadReport;
    try {
      load = await runLoad({
        scenario,
        target: `${service.url}/graphql`,
        progressEveryMs: 60_000,
        onProgress: ({ elapsedS, sent, errors }) => {
          const rss = sampler.samples.at(-1)?.rssBytes ?? 0;
          log(`  ${elapsedS.toFixed(0)} s: ${sent} sent, ${errors} errors, RSS ${mib(rss)}`);
        },
      });
    } finally {
      await sampler.stop();
    }
    return await summarize(options, load, sampler.samples, sampler.failures);
  } finally {
    await service.stop();
  }
}

async function summarize(
  options: SoakOptions,
  load: LoadReport,
  samples: MemorySample[],
  scrapeFailures: string[],
): Promise<SoakReport> {
  const { warmupS, maxRssGrowthPct, outDir } = options;
  const counted = samples.filter((sample) => sample.tS >= warmupS);
  if (counted.length < 2 * ENDPOINT_SAMPLES) {
    throw new Error(
      `${counted.length} memory samples after the warm-up; need ${2 * ENDPOINT_SAMPLES}`,
    );
  }
  const growth = (pick: (s: MemorySample) => number): Growth => {
    const startBytes = median(counted.slice(0, ENDPOINT_SAMPLES).map(pick));
    const endBytes = median(counted.slice(-ENDPOINT_SAMPLES).map(pick));
    return { startBytes, endBytes, growthPct: ((endBytes - startBytes) / startBytes) * 100 };
  };
  const rss = growth((s) => s.rssBytes);
  const heapUsed = growth((s) => s.heapUsedBytes);
  const errors = load.errors.http + load.errors.graphql + load.errors.notSent;
  const failures = [
    ...(rss.growthPct > maxRssGrowthPct
      ? [`RSS grew ${rss.growthPct.toFixed(1)}% after the warm-up (limit ${maxRssGrowthPct}%)`]
      : []),
    ...(errors > 0 ? [`${errors} requests failed`] : []),
    ...(scrapeFailures.length > 0 ? [`${scrapeFailures.length} /metrics scrapes failed`] : []),
  ];

  await mkdir(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const files = {
    csv: join(outDir, `soak-${stamp}.csv`),
    json: join(outDir, `soak-${stamp}.json`),
  };
  const { log: _log, serviceEnv: _env, onServiceStarted: _started, ...recorded } = options;
  const report: SoakReport = {
    options: recorded,
    load,
    samples,
    rss,
    heapUsed,
    errors,
    scrapeFailures,
    failures,
    passed: failures.length === 0,
    files,
  };
  await writeFile(files.csv, `${[MEMORY_CSV_HEADER, ...samples.map(memoryCsvRow)].join("\n")}\n`);
  const { samples: _series, ...summary } = report;
  await writeFile(files.json, `${JSON.stringify(summary, null, 2)}\n`);
  return report;
}

/** The soak's verdict and numbers, then the load report as the load runner prints it. */
export function formatSoakReport(report: SoakReport): string {
  const { rss, heapUsed, load, options } = report;
  const growth = (g: Growth) =>
    `${mib(g.startBytes)} → ${mib(g.endBytes)} (${g.growthPct >= 0 ? "+" : ""}${g.growthPct.toFixed(1)}%)`;
  return [
    `soak ${report.passed ? "PASSED" : "FAILED"}: ${load.achievedRate.toFixed(1)} req/s achieved of ${options.rate} for ${options.durationS} s`,
    `  RSS         ${growth(rss)} from ${options.warmupS} s to the end (limit +${options.maxRssGrowthPct}%)`,
    `  heap used   ${growth(heapUsed)}`,
    `  errors      ${report.errors} (${load.errors.http} HTTP, ${load.errors.graphql} GraphQL, ${load.errors.notSent} not sent)`,
    `  latency     p95 ${load.latencyMs.p95.toFixed(1)} ms  p99 ${load.latencyMs.p99.toFixed(1)} ms`,
    ...report.failures.map((failure) => `  FAIL        ${failure}`),
    `  series      ${report.files.csv}`,
    `  summary     ${report.files.json}`,
    "",
    formatReport(load),
  ].join("\n");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
