import { UserError } from "../errors/user-error.ts";

/** The body was bigger than allowed; the client may retry with fewer or smaller files. */
export const requestTooLarge = (maxBytes: number, sentBytes?: number) =>
  new UserError(
    "REQUEST_TOO_LARGE",
    sentBytes === undefined
      ? `the request body is larger than ${maxBytes} bytes, the limit`
      : `the request body has ${sentBytes} bytes; the limit is ${maxBytes}`,
    // The rest of an oversized body is not read: close the connection instead of draining it.
    { headers: { connection: "close" }, extensions: { limit: maxBytes } },
  );

/** A Content-Length over the limit is refused before a byte of the body is read. */
export function checkDeclaredLength(request: Request, maxBytes: number): void {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw requestTooLarge(maxBytes, declared);
}

/**
 * yoga's own body limit (its maxRequestBodySize option) counts the bytes as they stream in,
 * since Content-Length can be absent (chunked) or wrong, and fails the body with this code.
 */
export const isStreamedBodyTooLarge = (error: unknown) =>
  (error as { extensions?: { code?: unknown } } | null)?.extensions?.code ===
  "REQUEST_ENTITY_TOO_LARGE";
