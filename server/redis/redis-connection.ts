import { Redis } from "ioredis";

/** What /ready reports: "disabled" when REDIS_URL is unset. */
export type RedisState = "connected" | "unavailable" | "disabled";

export interface RedisHealth {
  state: RedisState;
  /** The last connection or command error, null before any. */
  lastError: string | null;
  /** When it happened (ISO 8601), null before any. */
  lastErrorAt: string | null;
}

/** Why an operation went on without Redis: not connected (no command sent), too slow, or refused. */
export type RedisFailure = "disconnected" | "timeout" | "error";

/** An operation's answer, or `ok: false` when Redis could not give one (it never throws). */
export type RedisAttempt<T> = { ok: true; value: T } | { ok: false };

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL; no default. */
  url: string;
  /** Longest one command may take before its caller goes on without Redis; default 50 ms. */
  commandTimeoutMs?: number;
  /** Longest a TCP connect may take before the next attempt; default 1000 ms. */
  connectTimeoutMs?: number;
  /** Called once per operation that went on without Redis, for metrics; default none. */
  onFailure?: (operation: string, failure: RedisFailure) => void;
  /** Told when the connection comes and goes (not on every retry); default silent. */
  log?: (message: string) => void;
}

export interface RedisConnection {
  /**
   * Runs one operation. Without a ready connection it fails at once, without sending (the
   * client's offline queue is off, so nothing waits for a reconnect); a command slower than
   * `commandTimeoutMs` fails with a timeout. Either way the caller falls back to its local state.
   */
  attempt<T>(operation: string, run: (client: Redis) => Promise<T>): Promise<RedisAttempt<T>>;
  health(): RedisHealth;
  /** Resolves true once connected, or false after `timeoutMs`. */
  waitUntilConnected(timeoutMs: number): Promise<boolean>;
  /** Closes the connection for good (no reconnect). */
  close(): Promise<void>;
}

/** Keys of every replica of this service, so one Redis can also hold other data. */
const KEY_PREFIX = "vision-classify:";

// Timeouts in a row after which the socket is dropped and reconnected: a Redis that stopped
// answering (paused, swapping, half-open TCP) looks connected until then, costing every
// request the full command timeout; once reconnecting, operations fail without waiting.
const TIMEOUTS_BEFORE_RECONNECT = 3;
// Reconnect backoff: 100 ms doubling to 2 s, plus jitter so replicas do not retry in step.
const RECONNECT_MAX_DELAY_MS = 2000;

/**
 * The service's one Redis connection, built for a cache that must never slow or fail a request:
 * no offline queue, no command retries, short timeouts, and reconnection in the background with
 * capped exponential backoff for as long as the process runs.
 */
export function createRedisConnection({
  url,
  commandTimeoutMs = 50,
  connectTimeoutMs = 1000,
  onFailure,
  log = () => {},
}: RedisConnectionOptions): RedisConnection {
  const where = describe(url);
  const client = new Redis(url, {
    keyPrefix: KEY_PREFIX,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) =>
      Math.min(100 * 2 ** (attempt - 1), RECONNECT_MAX_DELAY_MS) + Math.floor(Math.random() * 100),
  });
  let lastError: string | null = null;
  let lastErrorAt: string | null = null;
  let timeoutsInRow = 0;
  let wasConnected = false;
  let closing = false;
  // Set when this side drops a stalled socket, until the next "ready": the client's own status
  // only changes once the socket's close event has run.
  let droppedStalled = false;
  const connected = () => client.status === "ready" && !droppedStalled;

  let erredSinceReady = false;
  const noteError = (message: string) => {
    lastError = message;
    lastErrorAt = new Date().toISOString();
    erredSinceReady = true;
  };
  // ioredis emits every connection error here; without a listener they would be unhandled.
  client.on("error", (error: Error) => noteError(error.message));
  client.on("ready", () => {
    timeoutsInRow = 0;
    droppedStalled = false;
    erredSinceReady = false;
    wasConnected = true;
    log(`Redis connected (${where})`);
  });
  client.on("close", () => {
    if (!wasConnected || closing) return;
    wasConnected = false;
    // A server that exits closes the socket cleanly: no error event says why it is gone.
    if (!erredSinceReady) noteError("connection closed by the server");
    log(
      `Redis connection to ${where} lost (${lastError ?? "closed"}): answering from local state, reconnecting in the background`,
    );
  });

  return {
    async attempt(operation, run) {
      if (!connected()) {
        onFailure?.(operation, "disconnected");
        return { ok: false };
      }
      try {
        const value = await run(client);
        timeoutsInRow = 0;
        return { ok: true, value };
      } catch (error) {
        const message = (error as Error).message;
        const timedOut = /timed out/i.test(message);
        noteError(`${operation}: ${message}`);
        onFailure?.(operation, timedOut ? "timeout" : "error");
        if (timedOut && ++timeoutsInRow >= TIMEOUTS_BEFORE_RECONNECT) {
          timeoutsInRow = 0;
          droppedStalled = true;
          // Destroyed, not ended: a graceful close would wait for a peer that is not answering.
          client.stream?.destroy();
        }
        return { ok: false };
      }
    },
    health: () => ({
      state: connected() ? "connected" : "unavailable",
      lastError,
      lastErrorAt,
    }),
    async waitUntilConnected(timeoutMs) {
      if (connected()) return true;
      return new Promise<boolean>((resolve) => {
        const done = (connected: boolean) => {
          clearTimeout(timer);
          client.off("ready", onReady);
          resolve(connected);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on("ready", onReady);
      });
    },
    async close() {
      closing = true;
      client.disconnect(false);
    },
  };
}

/** host:port/db of a Redis URL, without user or password, for logs. */
function describe(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "6379"}${parsed.pathname.length > 1 ? parsed.pathname : ""}`;
}
