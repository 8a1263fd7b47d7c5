import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { CLASSIFY, createFakeTestApp } from "../testing/test-app.ts";
import { startTracing } from "./tracing-sdk.ts";

const TIMEOUT_MS = 500;

/** A collector that accepts connections and never answers, as one behind a black hole. */
async function silentCollector() {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("tracing with an unreachable collector", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never breaks a request, and shutdown gives up at its timeout", async () => {
    const collector = await silentCollector();
    const tracing = startTracing({
      endpoint: collector.url,
      serviceName: "vision-classify-test",
      timeoutMs: TIMEOUT_MS,
    });
    try {
      const service = createFakeTestApp();
      const image = (loadEmbeddedSamples()[0] as { bytes: Buffer }).bytes;
      for (let i = 0; i < 3; i++) {
        const response = await service.upload(
          CLASSIFY,
          { image: null, options: { vlm: "FORCE" } },
          [{ path: "variables.image", bytes: image }],
        );
        expect(response.errors).toBeUndefined();
      }
      // The flush hangs on the silent collector: only the timeout ends the shutdown.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      let done = false;
      const shutdown = tracing.shutdown().then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await shutdown;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
      await tracing.shutdown();
      await collector.close();
    }
  });
});
