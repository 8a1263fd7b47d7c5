import { describe, expect, it } from "vitest";
import { svgElements } from "../testing/svg-elements.ts";
import { parseCalibration } from "./calibration-schema.ts";
import { calibrationChartSvg, cascadeChartSvg } from "./cascade-chart.ts";

const input = {
  title: "Pack <A> & B",
  curve: [
    { share: 0, accuracy: 0.8 },
    { share: 0.1, accuracy: 0.84 },
    { share: 0.25, accuracy: 0.87 },
    { share: 1, accuracy: 0.86 },
  ],
  cnn: 0.8,
  clip: 0.75,
  operatingPoint: { share: 0.25, accuracy: 0.87 },
};

const points = (attr: string) =>
  attr.split(" ").map((p) => p.split(",").map(Number) as [number, number]);

describe("cascadeChartSvg", () => {
  const svg = cascadeChartSvg(input);
  const all = svgElements(svg);

  it("is well-formed, one svg root, the same bytes for the same input", () => {
    expect(all[0]?.name).toBe("svg");
    expect(all.filter((e) => e.name === "svg")).toHaveLength(1);
    expect(cascadeChartSvg(input)).toBe(svg);
  });

  it("draws three series: two flat lines and the curve with a point per curve point", () => {
    const series = all.filter((e) => e.attrs["data-series"]);
    expect(series.map((e) => e.attrs["data-series"])).toEqual(["cnn", "clip", "cascade"]);
    const [cnn, clip, cascade] = series.map((e) => points(e.attrs.points as string));
    expect(new Set(cnn?.map(([, y]) => y)).size).toBe(1);
    expect(new Set(clip?.map(([, y]) => y)).size).toBe(1);
    expect(cascade).toHaveLength(4);
    // Higher accuracy is drawn higher (smaller y); the cascade starts on the CNN's line.
    expect((clip?.[0]?.[1] ?? 0) > (cnn?.[0]?.[1] ?? 0)).toBe(true);
    expect(cascade?.[0]).toEqual(cnn?.[0]);
  });

  it("marks the operating point on the curve", () => {
    const marker = all.find((e) => e.attrs["data-marker"] === "operating-point");
    const cascade = points(
      all.find((e) => e.attrs["data-series"] === "cascade")?.attrs.points as string,
    );
    expect([Number(marker?.attrs.cx), Number(marker?.attrs.cy)]).toEqual(cascade[2]);
  });

  it("has axes, ticks from 0 to 100 %, a legend and an escaped title", () => {
    expect(all.filter((e) => e.attrs.class === "axis")).toHaveLength(2);
    for (const pct of ["0 %", "50 %", "100 %"]) expect(svg).toContain(`>${pct}</text>`);
    expect(all.filter((e) => e.attrs.class === "legend")).toHaveLength(3);
    expect(svg).toContain("<title>Pack &lt;A&gt; &amp; B</title>");
    expect(svg).toContain("Calibrated cascade");
  });
});

describe("calibrationChartSvg", () => {
  const calibration = parseCalibration({
    version: 1,
    temperatures: { cnn: 1, clip: 1 },
    ensemble: { rule: "log-linear", cnnWeight: 0.5 },
    routing: { threshold: 0.6, share: 0.25, choice: "best-within-max-share" },
    fitted: { cnn: 0.8, clip: 0.75, auto: 0.87, force: 0.86 },
    curve: input.curve,
    data: { name: "samples", count: 100, sha256: "0".repeat(64) },
    fittedAt: "2025-01-01T00:00:00Z",
  });

  it("charts the fitting data, marking the chosen share", () => {
    const svg = calibrationChartSvg(calibration);
    expect(svg).toContain("samples: accuracy against share sent (fitting data)");
    expect(svg).toBe(
      cascadeChartSvg({ ...input, title: "samples: accuracy against share sent (fitting data)" }),
    );
  });

  it("needs a held-out section to chart held-out images", () => {
    expect(() => calibrationChartSvg(calibration, { heldOut: true })).toThrow(/held-out/);
  });
});
