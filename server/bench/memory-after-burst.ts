import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { type MemorySample, sampleMemory } from "../../loadtest/node/memory-sampler.ts";
import { lineChartSvg, niceAxis } from "../charts/svg-chart.ts";
import { cpuLine } from "../inference/cpu-features.ts";
import { distinctCopy, noiseImage, sendUpload } from "../testing/large-uploads.ts";
import { startServiceProcess } from "../testing/service-process.ts";

/**
 * Memory returned after a burst (`npm run bench:memory`): for each allocator, starts the service
 * (default pack) as its own process, samples its RSS every second at rest, through a burst of
 * large uploads (photo-sized JPEGs that are decoded, and PNGs past UPLOAD_MAX_BYTES that are
 * refused while they stream in), and for 60 s after it; prints RSS before, at the peak and 60 s
 * after, and writes a chart of RSS over time. Target: 60 s after, within 25 % of before.
 */
const { values } = parseArgs({
  options: {
    pack: { type: "string", default: "imagenet" },
    waves: { type: "string", default: "3" },
    concurrency: { type: "string", default: "12" },
    "rest-seconds": { type: "string", default: "10" },
    "after-seconds": { type: "string", default: "60" },
    allocators: { type: "string", default: "glibc,glibc-arenas-2,jemalloc" },
    chart: { type: "string", default: ".cache/bench/memory-after-burst.svg" },
  },
});

const JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
/** The environment each allocator runs with (Debian's libjemalloc2 for jemalloc). */
const ALLOCATORS: Record<string, Record<string, string>> = {
  glibc: {},
  "glibc-arenas-2": { MALLOC_ARENA_MAX: "2" },
  // A fixed mmap threshold: glibc otherwise raises it after the first large free (up to 32 MiB),
  // so a burst's large buffers land in its arenas and stay there; mmap'd ones go back at free.
  "glibc-mmap": { MALLOC_MMAP_THRESHOLD_: "131072" },
  jemalloc: { LD_PRELOAD: JEMALLOC },
  // Purges from a background thread even while the process idles, and with MADV_DONTNEED
  // (muzzy pages, freed lazily with MADV_FREE, still count in RSS until the kernel wants them).
  // Not a default: it measured worse than plain jemalloc (BENCHMARKS.md).
  "jemalloc-purge": {
    LD_PRELOAD: JEMALLOC,
    MALLOC_CONF: "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0",
  },
};

const waves = Number(values.waves);
const concurrency = Number(values.concurrency);
const restS = Number(values["rest-seconds"]);
const afterS = Number(values["after-seconds"]);
const log = (line: string) => console.log(line);
const mib = (bytes: number) => bytes / 1024 / 1024;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface Run {
  allocator: string;
  samples: MemorySample[];
  burstStartS: number;
  burstEndS: number;
  beforeMiB: number;
  peakMiB: number;
  afterMiB: number;
  outcomes: Record<string, number>;
}

const jpeg = await noiseImage(3600, 3600, "jpeg");
const png = await noiseImage(3600, 3600, "png");
log(`CPU: ${cpuLine()}`);
log(
  `burst: ${waves} waves of ${concurrency} concurrent uploads, 2 in 3 a ${(jpeg.length / 1e6).toFixed(1)} MB JPEG (3600×3600, decoded), 1 in 3 a ${(png.length / 1e6).toFixed(1)} MB PNG (refused: past UPLOAD_MAX_BYTES)`,
);

const runs: Run[] = [];
let copies = 0;
for (const allocator of String(values.allocators).split(",")) {
  const env = ALLOCATORS[allocator];
  if (!env)
    throw new Error(`unknown allocator "${allocator}" (${Object.keys(ALLOCATORS).join(", ")})`);
  if (env.LD_PRELOAD && !existsSync(env.LD_PRELOAD))
    throw new Error(`${env.LD_PRELOAD} is missing: apt-get install libjemalloc2`);
  const service = await startServiceProcess({ MODEL_PACK: String(values.pack), ...env });
  try {
    const sampler = sampleMemory(`${service.url}/metrics`, 1000);
    const clock = performance.now();
    const now = () => (performance.now() - clock) / 1000;
    await sleep(restS * 1000);
    const burstStartS = now();
    const outcomes: Record<string, number> = {};
    for (let wave = 0; wave < waves; wave++) {
      const sent = Array.from({ length: concurrency }, (_, i) =>
        sendUpload(service.url, i % 3 === 2 ? png : distinctCopy(jpeg, copies++)),
      );
      for (const outcome of await Promise.all(sent)) {
        const key = outcome.failure ?? outcome.code ?? "answered";
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    }
    const burstEndS = now();
    await sleep(afterS * 1000);
    await sampler.stop();
    const samples = sampler.samples;
    const rss = (from: number, to: number) =>
      samples.filter((s) => s.tS >= from && s.tS <= to).map((s) => mib(s.rssBytes));
    const run: Run = {
      allocator,
      samples,
      burstStartS,
      burstEndS,
      beforeMiB: median(rss(restS / 2, burstStartS)),
      peakMiB: Math.max(...rss(burstStartS, burstEndS + 5)),
      afterMiB: median(rss(burstEndS + afterS - 3, Number.POSITIVE_INFINITY)),
      outcomes,
    };
    runs.push(run);
    // What JavaScript still holds (V8 heap and Buffers): memory that waits for a garbage
    // collection, which no allocator can return.
    const js = (s: MemorySample | undefined) =>
      s ? mib(s.heapUsedBytes + s.externalBytes).toFixed(0) : "?";
    const rest = samples.filter((s) => s.tS < burstStartS).at(-1);
    log(
      `${allocator}: before ${run.beforeMiB.toFixed(0)} MiB, peak ${run.peakMiB.toFixed(0)} MiB, ${afterS} s after ${run.afterMiB.toFixed(0)} MiB (${ratio(run)}); JS heap + Buffers ${js(rest)} → ${js(samples.at(-1))} MiB; burst ${(burstEndS - burstStartS).toFixed(1)} s, ${JSON.stringify(outcomes)}`,
    );
  } finally {
    await service.stop();
  }
}

function ratio(run: Run): string {
  const pct = ((run.afterMiB - run.beforeMiB) / run.beforeMiB) * 100;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(0)} % of before${Math.abs(pct) <= 25 ? ", within 25 %" : ""}`;
}

log("");
log("| allocator | before | peak during the burst | 60 s after | after vs before |");
log("|---|---|---|---|---|");
for (const run of runs) {
  log(
    `| ${run.allocator} | ${run.beforeMiB.toFixed(0)} MiB | ${run.peakMiB.toFixed(0)} MiB | ${run.afterMiB.toFixed(0)} MiB | ${ratio(run)} |`,
  );
}

const chart = String(values.chart);
await mkdir(dirname(chart), { recursive: true });
await writeFile(
  chart,
  lineChartSvg({
    title: `RSS through a burst of large uploads (${values.pack} pack)`,
    xLabel: "seconds since the burst started",
    yLabel: "RSS (MiB)",
    series: runs.map((run) => ({
      key: run.allocator,
      label: run.allocator,
      points: run.samples.map((s) => ({ x: s.tS - run.burstStartS, y: mib(s.rssBytes) })),
    })),
    y: niceAxis(0, Math.max(...runs.flatMap((run) => run.samples.map((s) => mib(s.rssBytes))))),
    verticals: [
      { x: 0, label: "burst" },
      {
        x: Math.max(...runs.map((r) => r.burstEndS - r.burstStartS)) + afterS,
        label: `${afterS} s after the longest burst`,
      },
    ],
  }),
);
log(`chart: ${chart}`);

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
