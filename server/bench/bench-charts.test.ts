import { describe, expect, it } from "vitest";
import { benchCharts } from "./bench-charts.ts";

const load = (perSecond: number, p50Ms: number, p95Ms: number) => ({
  requests: 32,
  concurrency: 16,
  seconds: 1,
  perSecond,
  p50Ms,
  p95Ms,
});
const tower = (batch: number, perImageP50Ms: number) => ({
  batch,
  perImageP50Ms,
  perImageP95Ms: perImageP50Ms * 1.2,
  imagesPerSecond: 1000 / perImageP50Ms,
});

describe("the benchmark charts", () => {
  const charts = benchCharts({
    cpu: "Some CPU [avx2]",
    pack: "clip-vit-b32-bench",
    towers: { fp32: [tower(1, 80), tower(8, 60)], int8: [tower(1, 40), tower(8, 25)] },
    service: { baseline: load(12, 900, 1300), optimised: load(38, 400, 520) },
    batcher: { saturatingPerSecond: 39, bestOfflinePerSecond: 40 },
    cacheHit: { p50Ms: 3, p95Ms: 5 },
  });

  it("draws throughput and latency per configuration, and the tower per batch size", () => {
    expect(Object.keys(charts)).toEqual([
      "bench-throughput.svg",
      "bench-latency.svg",
      "bench-tower-batch.svg",
    ]);
    const throughput = charts["bench-throughput.svg"] ?? "";
    const values = [...throughput.matchAll(/data-value="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(values).toEqual([12, 38, 39, 40]);
    const latency = charts["bench-latency.svg"] ?? "";
    expect([...latency.matchAll(/data-value="([\d.]+)"/g)].map((m) => Number(m[1]))).toEqual([
      900, 400, 3, 1300, 520, 5,
    ]);
    expect(charts["bench-tower-batch.svg"]).toMatch(/data-series="fp32"[\s\S]*data-series="int8"/);
  });

  it("names the pack and the CPU in every title", () => {
    for (const svg of Object.values(charts)) {
      expect(svg).toMatch(/<title>[^<]*\(clip-vit-b32-bench, Some CPU \[avx2\]\)<\/title>/);
    }
  });
});
