import { describe, expect, it, vi } from "vitest";
import { sampleValue } from "../telemetry/metrics-text.ts";
import { gate } from "../testing/gate.ts";
import { solidPng } from "../testing/image-fixtures.ts";
import { multipartRequest } from "../testing/multipart.ts";
import { CLASSIFY, createFakeTestApp, type FakeTestApp } from "../testing/test-app.ts";

const BUDGET = 1_000_000;
const ENV = {
  UPLOAD_BUDGET_BYTES: String(BUDGET),
  REQUEST_MAX_BYTES: String(BUDGET),
  UPLOAD_MAX_BYTES: String(BUDGET),
};
const CNN_SCORES = Float32Array.from([0.9, 0.06, 0.04], Math.log);

/** A valid PNG padded with trailing bytes (decoders stop at IEND) to about `bytes` in all. */
async function paddedPng(bytes: number): Promise<Buffer> {
  const png = await solidPng(16, 16);
  return Buffer.concat([png, Buffer.alloc(bytes - png.length)]);
}

/** A classify upload with its Content-Length declared, as browsers and curl send it. */
async function declared(image: Uint8Array): Promise<Request> {
  const built = multipartRequest(CLASSIFY, { image: null }, [
    { path: "variables.image", bytes: image },
  ]);
  const body = new Uint8Array(await built.arrayBuffer());
  const headers = new Headers(built.headers);
  headers.set("content-length", String(body.length));
  return new Request(built.url, { method: "POST", headers, body });
}

/** The same upload with no Content-Length: its body streams in chunks, as chunked encoding does. */
async function chunked(image: Uint8Array, failAfter?: number): Promise<Request> {
  const whole = await declared(image);
  const headers = new Headers(whole.headers);
  const bytes = new Uint8Array(await whole.arrayBuffer());
  headers.delete("content-length");
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      // A client that goes away partway: the body fails where a socket would be reset.
      if (failAfter !== undefined && sent >= failAfter) {
        controller.error(new Error("socket hang up"));
        return;
      }
      const chunk = bytes.subarray(sent, sent + 64 * 1024);
      sent += chunk.length;
      if (chunk.length === 0) controller.close();
      else controller.enqueue(chunk);
    },
  });
  // @ts-expect-error duplex is required for a streamed body, missing from the DOM types
  return new Request("http://localhost/graphql", { method: "POST", headers, body, duplex: "half" });
}

async function inFlight(service: FakeTestApp): Promise<number | null> {
  const text = await (await service.app.fetch("http://localhost/metrics")).text();
  return sampleValue(text, "upload_bytes_in_flight");
}

async function refusals(service: FakeTestApp): Promise<number | null> {
  const text = await (await service.app.fetch("http://localhost/metrics")).text();
  return sampleValue(text, "upload_budget_refusals_total");
}

/** A service whose CNN holds its first call until the test opens the gate. */
function heldService() {
  const held = gate();
  let calls = 0;
  const service = createFakeTestApp(ENV, {
    pipeline: {
      runCnn: async () => {
        if (calls++ === 0) await held.promise;
        return CNN_SCORES;
      },
    },
  });
  return { service, open: held.open, started: () => calls > 0 };
}

describe("the upload budget", () => {
  it("refuses a declared body that does not fit with OVERLOADED and Retry-After, before reading it", async () => {
    const { service, open, started } = heldService();
    const first = service.send(await declared(await paddedPng(600_000)));
    await vi.waitFor(() => expect(started()).toBe(true), { interval: 1 });
    expect(await inFlight(service)).toBeGreaterThan(600_000);

    const refused = await service.send(await declared(await paddedPng(600_000)));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.errors?.[0]?.extensions?.code).toBe("OVERLOADED");
    expect(await refusals(service)).toBe(1);

    // A small request still fits beside the held one (and waits for the CNN behind it).
    const small = service.send(await declared(await paddedPng(100_000)));
    await vi.waitFor(() => expect(service.calls.decode).toBe(2), { interval: 1 });

    open();
    expect((await first).errors).toBeUndefined();
    expect((await small).errors).toBeUndefined();
    expect(await inFlight(service)).toBe(0);
    const again = await service.send(await declared(await paddedPng(600_000)));
    expect(again.errors).toBeUndefined();
    expect(await inFlight(service)).toBe(0);
  });

  it("counts a chunked body as it arrives and refuses it once it overflows", async () => {
    const { service, open, started } = heldService();
    const first = service.send(await declared(await paddedPng(600_000)));
    await vi.waitFor(() => expect(started()).toBe(true), { interval: 1 });

    const refused = await service.send(await chunked(await paddedPng(600_000)));
    expect(refused.status).toBe(503);
    expect(refused.errors?.[0]?.extensions?.code).toBe("OVERLOADED");
    expect(await inFlight(service)).toBeLessThan(700_000);

    open();
    await first;
    expect(await inFlight(service)).toBe(0);
    const fits = await service.send(await chunked(await paddedPng(600_000)));
    expect(fits.errors).toBeUndefined();
    expect(await inFlight(service)).toBe(0);
  });

  it("returns the bytes of a request that failed: a bad image, a client that went away", async () => {
    const service = createFakeTestApp(ENV);
    const notAnImage = await service.send(await declared(new Uint8Array(500_000).fill(7)));
    expect(notAnImage.errors?.[0]?.extensions?.code).toBe("INVALID_IMAGE");
    expect(await inFlight(service)).toBe(0);

    const aborted = await service.send(await chunked(await paddedPng(600_000), 300_000));
    expect(aborted.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(await inFlight(service)).toBe(0);
  });
});
