import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../config/config.ts";
import type { CutOffCause } from "../telemetry/metric-names.ts";
import { createLimitedServer } from "./connection-limits.ts";

// Real sockets on loopback against a handler that answers once it has read the body; short limits so each case
// takes a fraction of a second. The slow-client load test (slow-clients.test.ts) runs the service.

const limits = (env: Record<string, string>) => loadConfig(env).connections;
let stop: () => Promise<void> = async () => {};

afterEach(() => stop());

async function serve(env: Record<string, string>) {
  const cutOff: CutOffCause[] = [];
  const limited = createLimitedServer(
    (request, response) => {
      request.resume().once("end", () => response.end("ok"));
    },
    {
      limits: limits(env),
      onCutOff: (cause) => cutOff.push(cause),
    },
  );
  const sockets: Socket[] = [];
  await new Promise<void>((resolve) => limited.server.listen(0, "127.0.0.1", resolve));
  const { port } = limited.server.address() as AddressInfo;
  stop = async () => {
    for (const socket of sockets) socket.destroy();
    limited.close();
    limited.server.closeAllConnections();
    await new Promise((resolve) => limited.server.close(resolve));
  };
  /** A raw client; `closed` resolves with what the server sent before it closed the socket. */
  const open = (first = "") => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    if (first) socket.on("connect", () => socket.write(first));
    const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(received)));
    return { socket, closed };
  };
  return { ...limited, cutOff, open };
}

describe("createLimitedServer", () => {
  it("answers 408 to headers that do not arrive in time, and counts them", async () => {
    const service = await serve({ HTTP_HEADERS_TIMEOUT_MS: "200" });
    const client = service.open("GET / HTTP/1.1\r\nhost: x\r\n");
    expect(await client.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(service.cutOff).toEqual(["headers_timeout"]);
  });

  it("cuts off a body that trickles in below the minimum rate", async () => {
    const service = await serve({
      HTTP_BODY_RATE_WINDOW_MS: "400",
      HTTP_BODY_MIN_BYTES_PER_SECOND: "1000",
    });
    const client = service.open("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nab");
    expect(await client.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(service.cutOff).toEqual(["body_too_slow"]);
  });

  it("closes connections past the cap at once, and keeps counting what is open", async () => {
    const service = await serve({ HTTP_MAX_CONNECTIONS: "2" });
    const kept = [service.open(), service.open()];
    await vi.waitFor(() => expect(service.openConnections()).toBe(2));
    const third = service.open();
    expect(await third.closed).toBe("");
    expect(service.cutOff).toEqual(["max_connections"]);
    expect(service.openConnections()).toBe(2);
    for (const { socket } of kept) socket.destroy();
    await vi.waitFor(() => expect(service.openConnections()).toBe(0));
  });

  it("closes an idle keep-alive connection after its timeout, which is no cut-off", async () => {
    const service = await serve({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "100" });
    const client = service.open("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    expect(await client.closed).toMatch(/^HTTP\/1\.1 200 /);
    expect(service.cutOff).toEqual([]);
  });
});
