import { describe, expect, it } from "vitest";
import { lineChartSvg } from "./line-chart-svg.ts";
import { escapeXml, niceTicks } from "./svg.ts";

const rss = [
  {
    label: "glibc <malloc>",
    points: [
      { x: 0, y: 300 },
      { x: 30, y: 1200 },
      { x: 90, y: 1150 },
    ],
  },
  {
    label: "jemalloc",
    points: [
      { x: 0, y: 310 },
      { x: 30, y: 900 },
      { x: 90, y: 340 },
    ],
  },
];
const options = { title: "RSS & time", xLabel: "seconds", yLabel: "MiB" };

describe("lineChartSvg", () => {
  it("draws one polyline per series, in the plot, with escaped labels", () => {
    const svg = lineChartSvg(rss, { ...options, markers: [{ x: 30, label: "burst ends" }] });
    expect(svg.startsWith("<svg xmlns=")).toBe(true);
    const lines = [...svg.matchAll(/<polyline data-series="([^"]+)" points="([^"]+)"/g)];
    expect(lines.map((m) => m[1])).toEqual(["glibc &lt;malloc&gt;", "jemalloc"]);
    // Every point lies inside the 720×400 canvas, and the higher value is drawn higher.
    const glibc = (lines[0]?.[2] ?? "").split(" ").map((p) => p.split(",").map(Number));
    for (const [x, y] of glibc) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(720);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(400);
    }
    expect(glibc[1]?.[1]).toBeLessThan(glibc[0]?.[1] as number);
    expect(svg).toContain('data-marker="burst ends"');
    expect(svg).toContain("<title>RSS &amp; time</title>");
  });

  it("gives the same bytes for the same input", () => {
    expect(lineChartSvg(rss, options)).toBe(lineChartSvg(rss, options));
  });

  it("refuses an empty chart", () => {
    expect(() => lineChartSvg([{ label: "none", points: [] }], options)).toThrow(/at least one/);
  });
});

describe("niceTicks", () => {
  it("covers the range with round steps", () => {
    expect(niceTicks(0, 1234)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400]);
    expect(niceTicks(0, 90)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.1, 0.3, 4)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it("has two ticks at least, also for a flat series", () => {
    expect(niceTicks(5, 5).length).toBeGreaterThanOrEqual(2);
  });
});

describe("escapeXml", () => {
  it("escapes markup and quotes", () => {
    expect(escapeXml(`<a href="x">&</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  });
});
