import type { Plugin } from "graphql-yoga";
import { userErrorCodes } from "../errors/user-error.ts";

const USER_CODES: ReadonlySet<unknown> = new Set(userErrorCodes);

/**
 * yoga marks every parse error as a GraphQL-over-HTTP "spec" error, which it answers with 200
 * when the client accepts application/json. A UserError raised at parse time (the token limit)
 * carries its own status like any other UserError, so that mark is taken off it again here,
 * just before the status is chosen.
 */
export function useUserErrorStatus(): Plugin {
  return {
    onResultProcess({ result }) {
      if (Array.isArray(result) || !("errors" in result)) return;
      for (const error of result.errors ?? []) {
        const http = error.extensions?.http as { spec?: boolean } | undefined;
        if (http?.spec && USER_CODES.has(error.extensions?.code)) http.spec = false;
      }
    },
  };
}
