import { UserError } from "../errors/user-error.ts";
import type { Scope } from "./api-keys.ts";

/** What the caller of one request may do; lives on the GraphQL context. */
export interface Access {
  /** The API key's name; null when the service runs without keys. */
  keyName: string | null;
  /** "all" when the service runs without keys, as it always did. */
  scopes: ReadonlySet<Scope> | "all";
}

/** No keys configured: everyone may do everything. */
export const OPEN_ACCESS: Access = { keyName: null, scopes: "all" };

/** Throws FORBIDDEN (403), naming the scope, unless the caller's key has it. */
export function requireScope(access: Access, scope: Scope): void {
  if (access.scopes === "all" || access.scopes.has(scope)) return;
  throw new UserError(
    "FORBIDDEN",
    `the API key "${access.keyName}" does not have the scope "${scope}"`,
    { extensions: { scope } },
  );
}
