import type { Plugin } from "graphql-yoga";

/**
 * Request headers a web app may send: JSON or multipart bodies (content-type), the CSRF
 * preflight header multipart uploads need, and credentials for API keys.
 */
const CORS_ALLOWED_HEADERS = [
  "content-type",
  "graphql-preflight",
  "authorization",
  "x-api-key",
] as const;

// Browsers may reuse a preflight answer this long before asking again.
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Yoga's `cors` option for the configured origins (CORS_ORIGINS): an allowed origin gets
 * `Access-Control-Allow-*` headers naming it; any other origin gets none, so its browser
 * blocks the response. Same-origin pages never need CORS. No cookies are involved, so
 * credentials are never allowed.
 */
export function corsPolicy(allowedOrigins: readonly string[]) {
  const anyOrigin = allowedOrigins.includes("*");
  return (request: Request) => {
    const origin = request.headers.get("origin");
    if (origin === null || !(anyOrigin || allowedOrigins.includes(origin))) return false;
    return {
      origin: [origin],
      methods: ["GET", "POST"],
      allowedHeaders: [...CORS_ALLOWED_HEADERS],
      credentials: false,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    };
  };
}

/**
 * With CORS on, responses differ by the request's Origin: say so, or a shared cache may hand
 * one origin's answer (with or without CORS headers) to another.
 */
export function useVaryByOrigin(): Plugin {
  return {
    onResponse({ response }) {
      response.headers.append("vary", "Origin");
    },
  };
}
