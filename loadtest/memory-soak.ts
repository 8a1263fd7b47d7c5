// Soak test for leaks: starts the service (embedded pack), drives it at a constant rate with
// the open-model load generator, samples its RSS and heap from /metrics, writes the series
// (CSV), a summary (JSON) and a chart of RSS and heap over time (SVG), and exits 1 when RSS grew more than the limit after the warm-up
// or any request failed; 2 on a usage error. On demand, not in CI:
//   npm run soak -- --minutes 30 --rate 100 [--warmup 60] [--sample-every 5]
//     [--max-rss-growth 5] [--out .cache/soak]
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { lineChartSvg, niceAxis } from "../server/charts/svg-chart.ts";
import { formatSoakReport, runSoak, type SoakReport } from "./node/soak.ts";

const USAGE =
  "usage: npm run soak -- --minutes N --rate N [--warmup S] [--sample-every S] [--max-rss-growth PCT] [--out DIR]";

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: "string" },
        rate: { type: "string" },
        warmup: { type: "string", default: "60" },
        "sample-every": { type: "string", default: "5" },
        "max-rss-growth": { type: "string", default: "5" },
        out: { type: "string", default: ".cache/soak" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) return usage();
  const number = (key: string) => Number(values[key]);
  const [minutes, rate, warmupS, sampleEveryS, maxRssGrowthPct] = [
    "minutes",
    "rate",
    "warmup",
    "sample-every",
    "max-rss-growth",
  ].map(number) as [number, number, number, number, number];
  if (![minutes, rate, sampleEveryS].every((n) => Number.isFinite(n) && n > 0)) {
    return usage("--minutes, --rate and --sample-every must be positive numbers");
  }
  if (!(warmupS >= 0 && maxRssGrowthPct >= 0)) {
    return usage("--warmup and --max-rss-growth must not be negative");
  }
  const report = await runSoak({
    rate,
    durationS: minutes * 60,
    warmupS,
    sampleEveryS,
    maxRssGrowthPct,
    outDir: String(values.out),
    log: (line) => console.log(line),
  });
  console.log(formatSoakReport(report));
  const chart = report.files.csv.replace(/\.csv$/, ".svg");
  await writeFile(chart, memoryChart(report));
  console.log(`  chart       ${chart}`);
  return report.passed ? 0 : 1;
}

/** RSS and heap used over the run, in MiB, with the end of the warm-up marked. */
function memoryChart(report: SoakReport): string {
  const mib = (bytes: number) => bytes / 1024 / 1024;
  const { rate, durationS, warmupS } = report.options;
  const rss = report.samples.map((s) => ({ x: s.tS, y: mib(s.rssBytes) }));
  return lineChartSvg({
    title: `Memory over a ${durationS} s soak at ${rate} req/s`,
    xLabel: "seconds since the load started",
    yLabel: "MiB",
    series: [
      { key: "rss", label: "RSS", points: rss },
      {
        key: "heap-used",
        label: "heap used",
        points: report.samples.map((s) => ({ x: s.tS, y: mib(s.heapUsedBytes) })),
      },
    ],
    y: niceAxis(0, Math.max(...rss.map((point) => point.y))),
    verticals: [{ x: warmupS, label: "warm-up ends" }],
  });
}

function usage(problem?: string): number {
  if (problem) console.error(problem);
  console.error(USAGE);
  return problem ? 2 : 0;
}

process.exitCode = await main();
