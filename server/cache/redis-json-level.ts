import type { RedisConnection } from "../redis/redis-connection.ts";
import type { SecondLevel } from "./coalescing-cache.ts";

export interface RedisJsonLevelOptions<V> {
  redis: RedisConnection;
  /** Names the keys (`<namespace>:<key>`) and the operations counted by redis_failures_total. */
  namespace: string;
  /** How long Redis keeps a value after it was written; no default. */
  ttlSeconds: number;
  /**
   * The value back from parsed JSON, or undefined when it is not one this service wrote
   * (another version, a hand-made key): such a value is treated as absent, never trusted.
   */
  parse: (json: unknown) => V | undefined;
}

/**
 * Values as JSON in Redis, shared by every replica, each key expiring after `ttlSeconds`.
 * Like every Redis use here it never throws and never waits past the command timeout: an
 * unreachable Redis answers "absent" and drops writes.
 */
export function createRedisJsonLevel<V>({
  redis,
  namespace,
  ttlSeconds,
  parse,
}: RedisJsonLevelOptions<V>): SecondLevel<V> {
  const key = (k: string) => `${namespace}:${k}`;
  return {
    async get(k) {
      const found = await redis.attempt(`${namespace}_get`, (client) => client.get(key(k)));
      if (!found.ok || found.value === null) return undefined;
      try {
        return parse(JSON.parse(found.value));
      } catch {
        return undefined;
      }
    },
    async set(k, value) {
      const json = JSON.stringify(value);
      await redis.attempt(`${namespace}_set`, (client) =>
        client.set(key(k), json, "EX", ttlSeconds),
      );
    },
  };
}
