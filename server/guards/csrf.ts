import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { Plugin } from "graphql-yoga";
import { UserError } from "../errors/user-error.ts";

/**
 * Any of these headers proves the request is not a "simple" cross-site one: a browser only
 * sends a custom header after a CORS preflight. graphql-preflight is what this service's
 * docs and load tests send; the others are what common clients send already.
 */
const PREFLIGHT_HEADERS = ["graphql-preflight", "apollo-require-preflight", "x-graphql-yoga-csrf"];

/**
 * CSRF prevention: a web page on another origin can make a browser POST multipart/form-data
 * (or form-urlencoded, or text/plain) here without a preflight, so those must carry a preflight
 * header. JSON POSTs are preflighted by the browser anyway. GET is left alone: yoga runs only
 * queries over GET, and every query here is read-only and cheap.
 */
export function useCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: PREFLIGHT_HEADERS });
  return {
    onRequestParse(payload) {
      if (payload.request.method === "GET") return;
      try {
        return csrf.onRequestParse?.(payload);
      } catch {
        const type = payload.request.headers.get("content-type")?.split(";")[0] || "no";
        throw new UserError(
          "CSRF_HEADER_REQUIRED",
          `a POST with ${type} content type must carry the "graphql-preflight: 1" header (CSRF protection)`,
        );
      }
    },
  };
}
