import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../testing/otlp-receiver.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { CLASSIFY, createFakeTestApp } from "../testing/test-app.ts";
import { startTracing } from "./tracing-sdk.ts";

const image = (loadEmbeddedSamples()[0] as { bytes: Buffer }).bytes;
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

describe("the caller's W3C traceparent", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: ReturnType<typeof startTracing>;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing({ endpoint: receiver.url, serviceName: "trace-context-test" });
    const service = createFakeTestApp();
    const classify = (traceparent: string) =>
      service.upload(CLASSIFY, { image: null }, [{ path: "variables.image", bytes: image }], {
        traceparent,
      });
    const answers = [
      await classify(`00-${CALLER_TRACE}-${CALLER_SPAN}-01`),
      await classify("00-not-a-trace-context-01"),
      await classify(`00-${"0".repeat(32)}-${CALLER_SPAN}-01`),
    ];
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    await tracing.shutdown();
  });
  afterAll(async () => {
    await tracing.shutdown();
    await receiver.close();
  });

  it("makes the caller's span the parent of the request's span, in the caller's trace", () => {
    const joined = receiver.spans.filter((s) => s.traceId === CALLER_TRACE);
    const request = joined.find((s) => s.name === "classify");
    expect(request?.parentSpanId).toBe(CALLER_SPAN);
    // Every pipeline step sits in the same trace, under the request's span.
    const names = joined.map((s) => s.name);
    for (const step of ["decode", "cnn", "route"]) expect(names).toContain(step);
    expect(joined.filter((s) => s.name !== "classify").every((s) => s.parentSpanId)).toBe(true);
  });

  it("ignores a malformed or invalid traceparent: those requests start traces of their own", () => {
    const requests = receiver.spans.filter((s) => s.name === "classify");
    expect(requests).toHaveLength(3);
    const own = requests.filter((s) => s.traceId !== CALLER_TRACE);
    expect(own).toHaveLength(2);
    for (const span of own) {
      expect(span.parentSpanId).toBeUndefined();
      expect(span.traceId).not.toBe("0".repeat(32));
    }
    expect(own[0]?.traceId).not.toBe(own[1]?.traceId);
  });
});
