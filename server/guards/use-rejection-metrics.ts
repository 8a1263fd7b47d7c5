import type { Plugin } from "graphql-yoga";
import { refusalCodes } from "../errors/user-error.ts";

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
        .find((c): c is string => typeof c === "string" && refusalCodes.has(c));
      if (code) count(code.toLowerCase());
    },
  };
}
