import { describe, expect, it } from "vitest";
import { sampleValue } from "./metrics-text.ts";

const exposition = `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 52428800
inference_batch_size_count{model="cnn"} 12
inference_batch_size_count{model="clip_vision",pack="a \\"quoted\\" name"} 3
inference_batch_size_sum{model="clip_vision"} 7.5
`;

describe("sampleValue", () => {
  it("reads an unlabelled sample", () => {
    expect(sampleValue(exposition, "process_resident_memory_bytes")).toBe(52428800);
  });

  it("reads the first sample whose labels include the ones asked for", () => {
    expect(sampleValue(exposition, "inference_batch_size_count", { model: "clip_vision" })).toBe(3);
    expect(sampleValue(exposition, "inference_batch_size_count", { model: "cnn" })).toBe(12);
    expect(sampleValue(exposition, "inference_batch_size_sum", { model: "clip_vision" })).toBe(7.5);
  });

  it("is null for a metric or label set that is not there, and never matches a longer name", () => {
    expect(sampleValue(exposition, "process_resident_memory")).toBeNull();
    expect(sampleValue(exposition, "inference_batch_size_count", { model: "text" })).toBeNull();
  });
});
