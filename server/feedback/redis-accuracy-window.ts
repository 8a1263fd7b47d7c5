import type { RedisConnection } from "../redis/redis-connection.ts";
import { type AccuracyWindow, deltaOf, type WindowState } from "./accuracy-window.ts";

export interface RedisAccuracyWindowOptions {
  redis: RedisConnection;
  /** Feedbacks the window holds. */
  size: number;
  /** Names the window: replicas serving the same pack share one. */
  name: string;
  /** This replica's own window: fed too, and answering whenever Redis cannot. */
  local: AccuracyWindow;
}

// Pushes a score ("10": CNN right, final wrong) unless ARGV[1] is empty, trims the list to the
// window, and counts it on the server: one round trip, and the window never grows past its size.
const ADD_AND_COUNT = `
if ARGV[1] ~= '' then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
end
local scores = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local cnn, final = 0, 0
for _, score in ipairs(scores) do
  if string.sub(score, 1, 1) == '1' then cnn = cnn + 1 end
  if string.sub(score, 2, 2) == '1' then final = final + 1 end
end
return {#scores, cnn, final}
`;

/**
 * The fleet's accuracy window: the last `size` feedbacks any replica received, as a capped
 * Redis list `accuracy-window:<name>`. So every replica reports the same delta, over exactly
 * the last FEEDBACK_WINDOW feedbacks, whichever replica a client's feedback reached.
 */
export function createRedisAccuracyWindow({
  redis,
  size,
  name,
  local,
}: RedisAccuracyWindowOptions): AccuracyWindow {
  const key = `accuracy-window:${name}`;
  async function run(operation: string, score: string): Promise<WindowState | null> {
    const counted = await redis.attempt(operation, (client) =>
      client.eval(ADD_AND_COUNT, 1, key, score, String(size)),
    );
    if (!counted.ok) return null;
    const [count, cnnRight, finalRight] = counted.value as [number, number, number];
    return { delta: deltaOf(count, cnnRight, finalRight), count };
  }
  return {
    async add(score) {
      const mine = await local.add(score);
      const encoded = `${Number(score.cnnRight)}${Number(score.finalRight)}`;
      return (await run("window_add", encoded)) ?? mine;
    },
    async read() {
      return (await run("window_read", "")) ?? local.read();
    },
  };
}
