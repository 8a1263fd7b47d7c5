import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { CLASSIFY, createTestApp } from "../testing/test-app.ts";
import { startTracing } from "./tracing-sdk.ts";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("tracing with an unreachable collector", () => {
  it("never breaks a request, and shutdown gives up within its timeout", async () => {
    const tracing = startTracing({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      serviceName: "vision-classify-test",
      timeoutMs: 500,
    });
    const service = await createTestApp();
    const image = (loadEmbeddedSamples()[0] as { bytes: Buffer }).bytes;
    for (let i = 0; i < 3; i++) {
      const response = await service.upload(CLASSIFY, { image: null, options: { vlm: "FORCE" } }, [
        { path: "variables.image", bytes: image },
      ]);
      expect(response.errors).toBeUndefined();
    }
    const started = performance.now();
    await tracing.shutdown();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
