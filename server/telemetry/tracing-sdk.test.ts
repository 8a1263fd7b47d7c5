import { describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../testing/otlp-receiver.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { CLASSIFY, createFakeTestApp } from "../testing/test-app.ts";
import { startTracing } from "./tracing-sdk.ts";

const image = (loadEmbeddedSamples()[0] as { bytes: Buffer }).bytes;

describe("tracing to an OTLP/HTTP collector", () => {
  it("exports a span per pipeline step, with attributes, under the request's span", async () => {
    const receiver = await startOtlpReceiver();
    const tracing = startTracing({
      endpoint: receiver.url,
      serviceName: "vision-classify-test",
      timeoutMs: 2000,
    });
    try {
      // CLIP's real step (cache, queue, batcher) in front of a fake tower: its spans are traced.
      const service = createFakeTestApp(
        {},
        { pipeline: { runClip: async (tensors) => tensors.map(() => new Float32Array(4)) } },
      );
      const response = await service.upload(CLASSIFY, { image: null, options: { vlm: "FORCE" } }, [
        { path: "variables.image", bytes: image },
      ]);
      expect(response.errors).toBeUndefined();
      await tracing.shutdown();
      const request = receiver.spans.find((s) => s.name === "classify");
      const trace = receiver.spans.filter((s) => s.traceId === request?.traceId);
      const names = new Set(trace.map((s) => s.name));
      for (const step of [
        "decode",
        "cnn",
        "cnn.batch",
        "route",
        "clip",
        "cache",
        "queue",
        "clip.batch",
        "ensemble",
      ]) {
        expect(names, `span ${step}`).toContain(step);
      }
      expect(trace.filter((s) => s.parentSpanId === undefined)).toEqual([request]);
      expect(request?.attributes["vlm.mode"]).toBe("FORCE");
      expect(receiver.spans.find((s) => s.name === "ensemble")?.attributes["vlm.reason"]).toBe(
        "FORCED",
      );
      expect(receiver.spans.find((s) => s.name === "cache")?.attributes["cache.hit"]).toBe(false);
      expect(receiver.spans.find((s) => s.name === "clip.batch")?.attributes["batch.size"]).toBe(1);
    } finally {
      await tracing.shutdown();
      await receiver.close();
    }
  });
});
