import type { Plugin } from "graphql-yoga";
import { UserError } from "../errors/user-error.ts";
import { type Access, OPEN_ACCESS } from "./access.ts";
import { type ApiKeyEntry, findApiKey, type RateLimit } from "./api-keys.ts";
import { createTokenBucket } from "./token-bucket.ts";

export interface ApiKeyOptions {
  keys: readonly ApiKeyEntry[];
  /** For keys whose entry gives no rate. */
  defaultRate: RateLimit;
  /** Called once per request a key admits, with the key's name (for metrics). */
  onAdmitted?: (keyName: string) => void;
  /** Milliseconds; injectable so tests step the rate limiter's clock. */
  now?: () => number;
}

// Sent with 401s, as RFC 6750 asks of a Bearer-protected resource.
const CHALLENGE = { "www-authenticate": 'Bearer realm="vision-classify"' };

/** The secret from `Authorization: Bearer <key>`, else from `x-api-key`. */
function presentedSecret(headers: Headers): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return bearer?.[1] ?? headers.get("x-api-key")?.trim() ?? null;
}

/**
 * API keys, when configured: each GraphQL request must present a valid key (401
 * UNAUTHENTICATED otherwise) and stay within the key's rate (429 RATE_LIMITED with
 * Retry-After), checked before the body is read. Scopes are checked by the resolvers, from
 * accessFor(request). Without keys every request gets full access, as before keys existed.
 */
export function createApiKeyGuard({ keys, defaultRate, onAdmitted, now }: ApiKeyOptions) {
  const entries = keys.map((key) => ({
    ...key,
    scopeSet: new Set(key.scopes),
    bucket: createTokenBucket(key.rate ?? defaultRate, now),
  }));
  const accessByRequest = new WeakMap<Request, Access>();
  const enabled = entries.length > 0;

  const plugin: Plugin = {
    onRequestParse({ request }) {
      if (!enabled) return;
      const secret = presentedSecret(request.headers);
      if (secret === null) {
        throw new UserError(
          "UNAUTHENTICATED",
          "an API key is required: send it as Authorization: Bearer <key>",
          { headers: CHALLENGE },
        );
      }
      const key = findApiKey(entries, secret);
      if (key === null) {
        throw new UserError("UNAUTHENTICATED", "the API key is not valid", { headers: CHALLENGE });
      }
      const taken = key.bucket.take();
      if (!taken.ok) {
        throw new UserError(
          "RATE_LIMITED",
          `the API key "${key.name}" is over its rate of ${(key.rate ?? defaultRate).perSecond} requests/s; retry after ${taken.retryAfterSeconds} s`,
          { headers: { "retry-after": String(taken.retryAfterSeconds) } },
        );
      }
      accessByRequest.set(request, { keyName: key.name, scopes: key.scopeSet });
      onAdmitted?.(key.name);
    },
  };

  return {
    enabled,
    plugin,
    /** The caller's rights for a request this guard has seen. */
    accessFor(request: Request): Access {
      if (!enabled) return OPEN_ACCESS;
      // Unseen with keys on cannot happen through yoga; deny rather than assume.
      return accessByRequest.get(request) ?? { keyName: null, scopes: new Set() };
    },
  };
}

/** The start-up log line that says whether the API is open or which keys it takes. */
export function describeAccessControl(keys: readonly ApiKeyEntry[]): string {
  if (keys.length === 0) {
    return "API keys: none configured, so the GraphQL API is open to anyone who can reach it (set API_KEYS or API_KEYS_FILE to require keys)";
  }
  return `API keys: ${keys.length} configured (${keys.map((k) => k.name).join(", ")}); GraphQL requests without a valid key are refused`;
}
