/**
 * The value of a sample in Prometheus' text exposition format (what /metrics serves): the first
 * line of metric `name` whose labels include every one of `labels`, e.g.
 * `process_resident_memory_bytes 52428800` or `inference_batch_size_count{role="cnn"} 12`;
 * null when there is none.
 */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | null {
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([^\s{]+)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map(
      Array.from((match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g), ([, k, v]) => [k, v]),
    );
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) {
      return Number(match[3]);
    }
  }
  return null;
}

/**
 * Every series of an exposition, as `name{labels}` (each sample line but its value): how many
 * series a scrape holds, and which, e.g. to show that some input adds none.
 */
export function seriesIn(exposition: string): string[] {
  return exposition
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.slice(0, line.lastIndexOf(" ")));
}
