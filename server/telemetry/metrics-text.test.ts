import { describe, expect, it } from "vitest";
import { sampleValue, seriesIn } from "./metrics-text.ts";

const exposition = `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 52428800
inference_batch_size_count{role="cnn"} 12
inference_batch_size_count{role="clip_vision",pack="a \\"quoted\\" name"} 3
inference_batch_size_sum{role="clip_vision"} 7.5
`;

describe("sampleValue", () => {
  it("reads an unlabelled sample", () => {
    expect(sampleValue(exposition, "process_resident_memory_bytes")).toBe(52428800);
  });

  it("reads the first sample whose labels include the ones asked for", () => {
    expect(sampleValue(exposition, "inference_batch_size_count", { role: "clip_vision" })).toBe(3);
    expect(sampleValue(exposition, "inference_batch_size_count", { role: "cnn" })).toBe(12);
    expect(sampleValue(exposition, "inference_batch_size_sum", { role: "clip_vision" })).toBe(7.5);
  });

  it("is null for a metric or label set that is not there, and never matches a longer name", () => {
    expect(sampleValue(exposition, "process_resident_memory")).toBeNull();
    expect(sampleValue(exposition, "inference_batch_size_count", { role: "text" })).toBeNull();
  });
});

describe("seriesIn", () => {
  it("lists each sample's series, label values with spaces included, and no comment", () => {
    expect(seriesIn(exposition)).toEqual([
      "process_resident_memory_bytes",
      'inference_batch_size_count{role="cnn"}',
      'inference_batch_size_count{role="clip_vision",pack="a \\"quoted\\" name"}',
      'inference_batch_size_sum{role="clip_vision"}',
    ]);
  });
});
