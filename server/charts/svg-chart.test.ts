import { describe, expect, it } from "vitest";
import { svgElements } from "../testing/svg-elements.ts";
import { barChartSvg, lineChartSvg, niceAxis } from "./svg-chart.ts";

describe("niceAxis", () => {
  it("rounds a range outwards to a step of 1, 2, 2.5 or 5 × a power of ten", () => {
    expect(niceAxis(3, 97)).toEqual({ lo: 0, hi: 100, step: 20 });
    expect(niceAxis(0.81, 0.87)).toEqual({ lo: 0.81, hi: 0.87, step: 0.01 });
    expect(niceAxis(120, 330, 6, true)).toEqual({ lo: 0, hi: 400, step: 100 });
    expect(niceAxis(5, 5)).toEqual({ lo: 5, hi: 6, step: 1 });
  });
});

describe("lineChartSvg", () => {
  const input = {
    title: "RSS <over> time",
    xLabel: "seconds",
    yLabel: "MB",
    series: [
      { key: "rss", label: "RSS", points: [0, 1, 2, 3].map((x) => ({ x: x * 10, y: 100 + x })) },
      { key: "heap", label: "heap", points: [0, 30].map((x) => ({ x, y: 50 })) },
    ],
  };
  const svg = lineChartSvg(input);

  it("is well-formed and the same bytes for the same input", () => {
    expect(svgElements(svg)[0]?.name).toBe("svg");
    expect(lineChartSvg(input)).toBe(svg);
    expect(svg).toContain("<title>RSS &lt;over&gt; time</title>");
  });

  it("draws each series as a polyline, higher values higher, with a legend entry each", () => {
    const all = svgElements(svg);
    const lines = all.filter((e) => e.name === "polyline");
    expect(lines.map((e) => e.attrs["data-series"])).toEqual(["rss", "heap"]);
    const rss = (lines[0]?.attrs.points ?? "").split(" ").map((p) => p.split(",").map(Number));
    expect(rss).toHaveLength(4);
    expect(rss.map(([x]) => x)).toEqual(
      [...rss.map(([x]) => x)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    expect((rss[3]?.[1] ?? 0) < (rss[0]?.[1] ?? 0)).toBe(true);
    expect(all.filter((e) => e.attrs.class === "legend")).toHaveLength(2);
  });

  it("draws a labelled vertical line at each x asked for, widening the axis to reach it", () => {
    const marked = lineChartSvg({ ...input, verticals: [{ x: 45, label: "burst <ends>" }] });
    const verticals = svgElements(marked).filter((e) => e.attrs.class === "vertical");
    expect(verticals).toHaveLength(1);
    const [x1, x2] = [Number(verticals[0]?.attrs.x1), Number(verticals[0]?.attrs.x2)];
    expect(x1).toBe(x2);
    const lastPoint = Number(
      svgElements(marked)
        .find((e) => e.attrs["data-series"] === "rss")
        ?.attrs.points?.split(" ")
        .at(-1)
        ?.split(",")[0],
    );
    expect(x1).toBeGreaterThan(lastPoint);
    expect(marked).toContain("burst &lt;ends&gt;");
  });
});

describe("barChartSvg", () => {
  const svg = barChartSvg({
    title: "Latency",
    yLabel: "ms",
    categories: ["baseline", "optimised"],
    series: [
      { key: "p50", label: "p50", values: [200, 100] },
      { key: "p95", label: "p95", values: [300, 150] },
    ],
  });
  const bars = svgElements(svg).filter((e) => e.attrs["data-series"]);

  it("draws one bar per series and category, its height proportional to its value", () => {
    expect(bars.map((b) => [b.attrs["data-series"], b.attrs["data-category"]])).toEqual([
      ["p50", "baseline"],
      ["p50", "optimised"],
      ["p95", "baseline"],
      ["p95", "optimised"],
    ]);
    const height = (i: number) => Number(bars[i]?.attrs.height);
    expect(height(0) / height(1)).toBeCloseTo(2, 1);
    expect(height(2) / height(0)).toBeCloseTo(1.5, 1);
    // The bars of a category sit side by side, within it.
    expect(Number(bars[2]?.attrs.x)).toBeGreaterThan(Number(bars[0]?.attrs.x));
    expect(Number(bars[2]?.attrs.x)).toBeLessThan(Number(bars[1]?.attrs.x));
  });

  it("labels the bars with their values and the axis from zero", () => {
    for (const label of [">200.0<", ">150.0<", ">0<", ">300<"]) expect(svg).toContain(label);
  });
});
