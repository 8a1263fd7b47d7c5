import { describe, expect, it } from "vitest";
import { barChartSvg } from "./bar-chart-svg.ts";

describe("barChartSvg", () => {
  const svg = barChartSvg(
    [
      { label: "peer <1/call>", value: 2 },
      { label: "service", value: 4 },
    ],
    { title: "t", unit: " img/s", reference: 1, labelWidth: 100, barWidth: 400 },
  );

  it("scales bars to the largest value", () => {
    expect(svg).toContain('width="200.0"');
    expect(svg).toContain('width="400.0"');
  });

  it("escapes labels and draws the reference line", () => {
    expect(svg).toContain("peer &lt;1/call&gt;");
    expect(svg).toContain('<line x1="200.0"');
  });
});
