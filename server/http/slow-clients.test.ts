import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantile } from "../math/quantile.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import { multipartRequest } from "../testing/multipart.ts";
import { type ServiceProcess, startServiceProcess } from "../testing/service-process.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { CLASSIFY, TEST_PACK } from "../testing/test-app.ts";

// The real service as its own process, with short limits so the test is quick: headers within
// 10 s, bodies at 1 KiB/s or more over a 10 s window (long enough for the server to accept them
// all on a busy machine, and to overlap the normal client's requests).
const HEADERS_TIMEOUT_MS = 10_000;
const BODY_WINDOW_MS = 10_000;
/** Slow clients of each kind, open at once. */
const SLOW_CLIENTS = 150;
/** How often a slow client sends its next byte. */
const TRICKLE_MS = 2000;
/** A slow client still open this long after it connected has not been cut off: the test fails. */
const GIVE_UP_MS = 45_000;
/** Requests the normal client sends alone, then again beside the slow clients. */
const NORMAL_REQUESTS = 40;

const sample = loadEmbeddedSamples()[0] as { bytes: Buffer };

interface SlowClient {
  connected: boolean;
  /** Milliseconds from connecting until the server closed the connection; null while open. */
  closedAfterMs: number | null;
  /** What the server sent before closing, e.g. a 408 status line. */
  received: string;
  socket: Socket;
}

/**
 * A client that connects, sends `head` at once, then one byte of `trickle` every TRICKLE_MS
 * (slowloris): headers that never end, or a body that never arrives.
 */
function slowClient(port: number, head: string, trickle: string): SlowClient {
  const started = performance.now();
  const socket = connect(port, "127.0.0.1");
  const client: SlowClient = { connected: false, closedAfterMs: null, received: "", socket };
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.writable) socket.write(trickle[sent++ % trickle.length] as string);
  }, TRICKLE_MS);
  socket.on("connect", () => {
    client.connected = true;
    socket.write(head);
  });
  socket.on("data", (chunk) => {
    client.received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    clearInterval(timer);
    client.closedAfterMs = performance.now() - started;
  });
  return client;
}

const slowHeaders = (port: number) =>
  slowClient(port, "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n", "x-slow: 1\r\n");

function slowBody(port: number): SlowClient {
  const boundary = "slowboundary";
  const head = [
    "POST /graphql HTTP/1.1",
    "host: 127.0.0.1",
    "graphql-preflight: 1",
    `content-type: multipart/form-data; boundary=${boundary}`,
    "content-length: 100000",
    "",
    `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n`,
  ].join("\r\n");
  return slowClient(port, head, '{"query":"{ labels }"}');
}

/** Latencies in ms of `count` classify requests sent one after another; throws on any failure. */
async function normalClient(service: ServiceProcess, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(
      multipartRequest(
        CLASSIFY,
        { image: null, options: { vlm: "OFF" } },
        [{ path: "variables.image", bytes: sample.bytes }],
        `${service.url}/graphql`,
      ),
    );
    const body = (await response.json()) as { errors?: unknown };
    if (response.status !== 200 || body.errors) {
      throw new Error(`normal request ${i}: ${response.status} ${JSON.stringify(body)}`);
    }
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const p95 = (latencies: number[]) => quantile(Float64Array.from(latencies).sort(), 0.95);

/** Polls `done` (after `update`) every 200 ms, for GIVE_UP_MS at most. */
async function waitUntil(done: () => boolean, update: () => Promise<void> = async () => {}) {
  const deadline = performance.now() + GIVE_UP_MS;
  for (await update(); !done() && performance.now() < deadline; await update()) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("slow clients beside a normal one (the service as its own process)", () => {
  let service: ServiceProcess;
  const clients: SlowClient[] = [];

  beforeAll(async () => {
    service = await startServiceProcess({
      MODEL_PACK: TEST_PACK,
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_BODY_RATE_WINDOW_MS: String(BODY_WINDOW_MS),
      HTTP_BODY_MIN_BYTES_PER_SECOND: "1024",
    });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.socket.destroy();
    await service?.stop();
  });

  it("are cut off on time, while the normal client keeps getting answers", async () => {
    const port = Number(new URL(service.url).port);
    await normalClient(service, 5); // warm the connection and the JIT
    const alone = await normalClient(service, NORMAL_REQUESTS);

    const headers = Array.from({ length: SLOW_CLIENTS }, () => slowHeaders(port));
    const bodies = Array.from({ length: SLOW_CLIENTS }, () => slowBody(port));
    clients.push(...headers, ...bodies);
    await waitUntil(() => clients.every((c) => c.connected));
    // The server accepts them from its backlog a little later: wait until it counts them all.
    let openDuring = 0;
    await waitUntil(
      () => openDuring >= 2 * SLOW_CLIENTS,
      async () => {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        openDuring = sampleValue(text, "http_open_connections") ?? 0;
      },
    );
    const besideSlow = await normalClient(service, NORMAL_REQUESTS);
    const stillOpen = clients.filter((c) => c.closedAfterMs === null).length;
    await waitUntil(() => clients.every((c) => c.closedAfterMs !== null));

    const closedAfter = (group: SlowClient[]) => group.map((c) => c.closedAfterMs ?? Infinity);
    const slowest = (group: SlowClient[]) => Math.max(...closedAfter(group));
    const ratio = p95(besideSlow) / p95(alone);
    console.log(
      [
        `slow headers: ${SLOW_CLIENTS} closed after ${Math.min(...closedAfter(headers)).toFixed(0)}–${slowest(headers).toFixed(0)} ms (timeout ${HEADERS_TIMEOUT_MS} ms)`,
        `slow bodies:  ${SLOW_CLIENTS} closed after ${Math.min(...closedAfter(bodies)).toFixed(0)}–${slowest(bodies).toFixed(0)} ms (window ${BODY_WINDOW_MS} ms)`,
        `normal client p95: ${p95(alone).toFixed(1)} ms alone, ${p95(besideSlow).toFixed(1)} ms beside them (×${ratio.toFixed(2)}); ${stillOpen} slow clients still open after its last request`,
      ].join("\n"),
    );

    // Every slow client was cut off, none outlived its limit by much (a loose bound: the machine
    // is shared), and each was told why.
    expect(slowest(headers)).toBeLessThan(HEADERS_TIMEOUT_MS + 10_000);
    expect(slowest(bodies)).toBeLessThan(BODY_WINDOW_MS + 10_000);
    expect(headers.every((c) => c.received.startsWith("HTTP/1.1 408"))).toBe(true);
    expect(bodies.every((c) => c.received.startsWith("HTTP/1.1 408"))).toBe(true);
    // They were all open at once while the normal client was being answered.
    expect(openDuring).toBeGreaterThanOrEqual(2 * SLOW_CLIENTS);
    expect(stillOpen).toBeGreaterThan(0);
    // Its latency is not held hostage (loose: a noisy machine moves a p95 by tens of percent).
    expect(ratio).toBeLessThan(5);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const cutOff = (cause: string) =>
      sampleValue(metrics, "http_requests_cut_off_total", { cause });
    expect(cutOff("headers_timeout")).toBe(SLOW_CLIENTS);
    expect(cutOff("body_too_slow")).toBe(SLOW_CLIENTS);
    expect(sampleValue(metrics, "http_open_connections")).toBeLessThan(10);
  }, 120_000);
});
