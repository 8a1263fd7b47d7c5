import { barChartSvg, lineChartSvg } from "../charts/svg-chart.ts";
import type { LoadResult } from "./closed-loop.ts";
import type { BatchTiming } from "./tower-latency.ts";

/** The figures of one `npm run bench` run that the charts draw. */
export interface BenchFigures {
  /** The CPU model and flags, in every chart's title. */
  cpu: string;
  /** The pack the run measured (its folder's name). */
  pack: string;
  towers: { fp32: readonly BatchTiming[]; int8: readonly BatchTiming[] };
  service: { baseline: LoadResult; optimised: LoadResult };
  batcher: { saturatingPerSecond: number; bestOfflinePerSecond: number };
  cacheHit: { p50Ms: number; p95Ms: number };
}

/**
 * The suite's charts, by file name: images per second and request latency per configuration
 * (bars), and the vision tower's time per image against batch size (lines).
 */
export function benchCharts(figures: BenchFigures): Record<string, string> {
  const { towers, service, batcher, cacheHit } = figures;
  const on = `${figures.pack}, ${figures.cpu}`;
  return {
    "bench-throughput.svg": barChartSvg({
      title: `Images per second, CLIP forced (${on})`,
      yLabel: "images/s",
      categories: [
        "baseline service",
        "optimised service",
        "CLIP batcher, saturated",
        "best offline batch",
      ],
      series: [
        {
          key: "images-per-second",
          label: "images per second (higher is better)",
          values: [
            service.baseline.perSecond,
            service.optimised.perSecond,
            batcher.saturatingPerSecond,
            batcher.bestOfflinePerSecond,
          ],
        },
      ],
    }),
    "bench-latency.svg": barChartSvg({
      title: `Request latency per configuration (${on})`,
      yLabel: "ms",
      categories: ["baseline service", "optimised service", "embedding-cache hit"],
      series: [
        {
          key: "p50",
          label: "p50",
          values: [service.baseline.p50Ms, service.optimised.p50Ms, cacheHit.p50Ms],
        },
        {
          key: "p95",
          label: "p95",
          values: [service.baseline.p95Ms, service.optimised.p95Ms, cacheHit.p95Ms],
        },
      ],
    }),
    "bench-tower-batch.svg": lineChartSvg({
      title: `Vision tower: ms per image by batch size (${on})`,
      xLabel: "batch size",
      yLabel: "p50 ms per image",
      series: (["fp32", "int8"] as const).map((precision) => ({
        key: precision,
        label: precision,
        points: towers[precision].map((t) => ({ x: t.batch, y: t.perImageP50Ms })),
      })),
    }),
  };
}
