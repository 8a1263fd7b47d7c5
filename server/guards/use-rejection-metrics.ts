import type { Plugin } from "graphql-yoga";
import type { UserErrorCode } from "../errors/user-error.ts";

/** The codes of the guards: what the service refused to take, as opposed to bad images. */
const REJECTIONS: ReadonlySet<string> = new Set<UserErrorCode>([
  "REQUEST_TOO_LARGE",
  "TOO_MANY_FILES",
  "TOO_MANY_FIELDS",
  "FIELD_TOO_LARGE",
  "FILE_TOO_LARGE",
  "TOO_MANY_IMAGES",
  "QUERY_TOO_COMPLEX",
  "CSRF_HEADER_REQUIRED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "RATE_LIMITED",
]);

/**
 * Counts each refused request once, by the code of its first guard error, wherever the guard
 * sits (before the body is read, at validation, in a resolver): one place sees every result.
 */
export function useRejectionMetrics(count: (reason: string) => void): Plugin {
  return {
    onResultProcess({ result }) {
      if (Array.isArray(result) || !("errors" in result) || !result.errors) return;
      const code = result.errors
        .map((error) => error.extensions?.code)
        .find((c): c is string => typeof c === "string" && REJECTIONS.has(c));
      if (code) count(code.toLowerCase());
    },
  };
}
