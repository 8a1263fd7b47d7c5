/**
 * The value of an unlabelled sample in Prometheus' text exposition format (what /metrics
 * serves), e.g. `process_resident_memory_bytes 52428800`; null when the metric is absent.
 */
export function sampleValue(exposition: string, name: string): number | null {
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(name)) continue;
    const [series, value] = line.split(" ");
    if (series === name && value !== undefined) return Number(value);
  }
  return null;
}
