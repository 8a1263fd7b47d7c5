import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../testing/redis-server.ts";
import {
  createRedisConnection,
  type RedisConnection,
  type RedisFailure,
} from "./redis-connection.ts";

warnIfNoRedisServer("the Redis connection tests");

/** Polls until `check` holds; the connection reconnects on its own schedule. */
async function eventually(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!hasRedisServer)("createRedisConnection against a real redis-server", () => {
  let server: RunningRedis;
  let redis: RedisConnection;
  const failures: [string, RedisFailure][] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedisConnection({
      url: server.url,
      commandTimeoutMs: 100,
      onFailure: (operation, failure) => failures.push([operation, failure]),
    });
    expect(await redis.waitUntilConnected(5000)).toBe(true);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.kill();
  });

  it("runs commands under the service's key prefix while connected", async () => {
    expect(await redis.attempt("test", (client) => client.set("greeting", "hello"))).toEqual({
      ok: true,
      value: "OK",
    });
    expect(await server.command("GET", "vision-classify:greeting")).toBe("$5\r\nhello\r\n");
    expect(redis.health()).toMatchObject({ state: "connected", lastError: null });
  });

  it("reports a refused command as an error, and stays connected", async () => {
    failures.length = 0;
    const result = await redis.attempt("bad", (client) => client.incr("greeting"));
    expect(result).toEqual({ ok: false });
    expect(failures).toEqual([["bad", "error"]]);
    expect(redis.health().state).toBe("connected");
    expect(redis.health().lastError).toMatch(/^bad: .*not an integer/);
  });

  it("fails without sending while the server is down, then reconnects when it is back", async () => {
    await server.kill();
    await eventually(() => redis.health().state === "unavailable", "the connection to drop");
    failures.length = 0;
    expect(await redis.attempt("get", (client) => client.get("greeting"))).toEqual({ ok: false });
    expect(failures).toEqual([["get", "disconnected"]]);

    await server.restart();
    await eventually(() => redis.health().state === "connected", "the reconnection");
    expect(await redis.attempt("ping", (client) => client.ping())).toEqual({
      ok: true,
      value: "PONG",
    });
  });

  it("times out on a server that stopped answering, then drops the socket so callers stop waiting", async () => {
    const pid = server.pid as number;
    failures.length = 0;
    process.kill(pid, "SIGSTOP");
    try {
      for (let i = 0; i < 3; i++) {
        expect(await redis.attempt("get", (client) => client.get("greeting"))).toEqual({
          ok: false,
        });
      }
      expect(failures).toEqual([
        ["get", "timeout"],
        ["get", "timeout"],
        ["get", "timeout"],
      ]);
      // After three timeouts in a row the connection is torn down: no command is sent at all.
      expect(redis.health().state).toBe("unavailable");
      expect(await redis.attempt("get", (client) => client.get("greeting"))).toEqual({ ok: false });
      expect(failures.at(-1)).toEqual(["get", "disconnected"]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await eventually(() => redis.health().state === "connected", "the reconnection");
  });
});
