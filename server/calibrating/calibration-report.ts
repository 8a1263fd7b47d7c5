import type { CalibrationResult, SharePoint } from "../calibration/index.ts";

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)} %`;

/**
 * The calibration as a Markdown table (held-out and in-sample accuracy of every way of
 * answering) followed by the fitted rule in one line each: what a README and the console show.
 */
export function calibrationTable({ calibration, comparison }: CalibrationResult): string {
  const { heldOut, fitted, routing, temperatures, ensemble, data } = calibration;
  const rows = [
    "| images | CNN alone | second model alone | AUTO (calibrated cascade) | share sent | FORCE (ensemble always) |",
    "|---|---|---|---|---|---|",
  ];
  if (heldOut) {
    rows.push(
      `| held out (${heldOut.method}, ${heldOut.count}) | ${pct(heldOut.cnn)} | ${pct(heldOut.clip)} | ${pct(heldOut.auto)} | ${pct(heldOut.share, 1)} | ${pct(heldOut.force)} |`,
    );
  }
  rows.push(
    `| fitted on (${data.count}) | ${pct(fitted.cnn)} | ${pct(fitted.clip)} | ${pct(fitted.auto)} | ${pct(routing.share, 1)} | ${pct(fitted.force)} |`,
  );
  const weights =
    ensemble.rule === "log-linear"
      ? `CNN weight ${ensemble.cnnWeight}`
      : `CNN weight by confidence band: ${ensemble.bands.map((b) => `≥ ${b.from.toFixed(3)} → ${b.cnnWeight}`).join(", ")}`;
  return [
    ...rows,
    "",
    `- Data: ${data.name}, ${data.count} images, sha256 \`${data.sha256}\`.`,
    `- Temperatures: CNN ${temperatures.cnn.toFixed(4)}, second model ${temperatures.clip.toFixed(4)}.`,
    `- Ensemble: ${ensemble.rule} (${weights}); rules compared out of fold: ${comparison.map((c) => `${c.rule} ${pct(c.auto)}`).join(", ")}.`,
    `- Routing: CNN calibrated confidence below ${routing.threshold.toFixed(4)} goes to the second model (${routing.choice}).`,
  ].join("\n");
}

/** An accuracy-against-share curve as text, one row per tenth of share, with a bar. */
export function curveText(curve: readonly SharePoint[], title: string): string {
  const lo = Math.min(...curve.map((p) => p.accuracy));
  const hi = Math.max(...curve.map((p) => p.accuracy));
  const rows = [];
  for (let tenth = 0; tenth <= 10; tenth++) {
    const point = curve.findLast((p) => p.share <= tenth / 10 + 1e-9);
    if (!point) continue;
    const width = hi > lo ? Math.round(((point.accuracy - lo) / (hi - lo)) * 40) : 40;
    rows.push(
      `${pct(point.share, 0).padStart(6)}  ${pct(point.accuracy).padStart(8)}  ${"█".repeat(width)}`,
    );
  }
  return [title, " share  accuracy", ...rows].join("\n");
}
