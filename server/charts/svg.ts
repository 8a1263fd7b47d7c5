/** Text made safe for an SVG document's text and attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** A coordinate with one decimal: enough for a screen, and the same bytes for the same input. */
export function num(value: number): string {
  return value.toFixed(1);
}

/**
 * Round tick values covering [min, max]: a step of 1, 2 or 5 times a power of ten giving at most
 * `maxTicks` intervals.
 */
export function niceTicks(min: number, max: number, maxTicks = 8): number[] {
  const span = max > min ? max - min : Math.abs(max) || 1;
  const magnitude = 10 ** Math.floor(Math.log10(span / maxTicks));
  const step =
    [1, 2, 5, 10].map((m) => m * magnitude).find((s) => span / s <= maxTicks) ?? 10 * magnitude;
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(Math.ceil(max / step) * step, lo + step);
  const count = Math.round((hi - lo) / step);
  // Rounded to the step's decimals, so 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Array.from({ length: count + 1 }, (_, i) => Number((lo + i * step).toFixed(decimals)));
}
