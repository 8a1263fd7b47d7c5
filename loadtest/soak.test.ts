import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceProcess } from "../server/testing/service-process.ts";
import { TEST_PACK } from "../server/testing/test-app.ts";
import { MEMORY_CSV_HEADER } from "./node/memory-sampler.ts";
import { formatSoakReport, runSoak } from "./node/soak.ts";

// The short soak: the bookkeeping of `npm run soak` (a real service process, the real load
// generator, /metrics sampled) over 20 s. No RSS or latency verdict here: on a shared machine
// 20 s says nothing about leaks, and the long run is on demand.
describe("npm run soak, short", () => {
  const dirs: string[] = [];
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    // runSoak stops its service itself; this is for a run abandoned by the test's timeout.
    for (const service of services) await service.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("starts the service, drives it, samples its memory, writes the series and stops it", async () => {
    const outDir = await mkdtemp(join(tmpdir(), "soak-"));
    dirs.push(outDir);
    const lines: string[] = [];
    const report = await runSoak({
      rate: 20,
      durationS: 20,
      warmupS: 5,
      sampleEveryS: 1,
      maxRssGrowthPct: 5,
      outDir,
      serviceEnv: {
        MODEL_PACK: TEST_PACK,
        ORT_INTRA_OP_THREADS: "1",
        CACHE_DIR: join(outDir, "cache"),
      },
      log: (line) => lines.push(line),
      onServiceStarted: (service) => services.push(service),
    });
    const printed = formatSoakReport(report);

    expect(report.errors, printed).toBe(0);
    expect(report.load.scheduled, printed).toBe(400);
    expect(report.scrapeFailures, printed).toEqual([]);
    // About one sample a second, in time order, every value a real number of bytes.
    expect(report.samples.length, printed).toBeGreaterThanOrEqual(15);
    expect(report.samples.every((s, i) => i === 0 || s.tS > (report.samples[i - 1]?.tS ?? 0))).toBe(
      true,
    );
    for (const s of report.samples) {
      expect(s.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(s.heapUsedBytes).toBeGreaterThan(0);
      expect(s.heapUsedBytes).toBeLessThanOrEqual(s.heapTotalBytes);
    }
    // Growth is measured from the end of the warm-up to the end, as the verdict says.
    expect(report.rss.startBytes).toBeGreaterThan(0);
    expect(report.rss.growthPct).toBeCloseTo(
      ((report.rss.endBytes - report.rss.startBytes) / report.rss.startBytes) * 100,
      10,
    );
    expect(report.passed).toBe(report.failures.length === 0);

    const csv = (await readFile(report.files.csv, "utf8")).trim().split("\n");
    expect(csv[0]).toBe(MEMORY_CSV_HEADER);
    expect(csv).toHaveLength(report.samples.length + 1);
    expect(csv[1]?.split(",").map(Number).every(Number.isFinite)).toBe(true);
    const summary = JSON.parse(await readFile(report.files.json, "utf8"));
    expect(summary).toMatchObject({ errors: 0, rss: report.rss, heapUsed: report.heapUsed });
    expect(printed).toMatch(/RSS .* MiB → .* MiB/);

    // The service process is gone.
    const pid = services[0]?.pid as number;
    expect(lines.join("\n")).toContain(`service pid ${pid}`);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 180_000);
});
