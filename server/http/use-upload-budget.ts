import type { ServerResponse } from "node:http";
import type { FetchAPI, Plugin } from "graphql-yoga";
import { UserError } from "../errors/user-error.ts";
import type { BudgetReservation, ByteBudget } from "../load-control/byte-budget.ts";

/** Seconds a refused client is told to wait: bodies in flight finish in about that long. */
const RETRY_AFTER_S = 1;

const overloaded = (budget: ByteBudget) =>
  new UserError(
    "OVERLOADED",
    `the service holds ${budget.inUse} bytes of request bodies, near its budget of ${budget.capacity}; retry later`,
    // The connection stays open: Node reads the rest of the body and drops it (nothing is kept),
    // so the client, still sending, can read this answer; closing would reset it mid-send.
    {
      headers: { "retry-after": String(RETRY_AFTER_S) },
      extensions: { limit: budget.capacity },
    },
  );

/**
 * Bounds the request body bytes held across all requests: each body's Content-Length is taken
 * from `budget` before a byte of it is read, and a body without one (chunked) takes its bytes as
 * they arrive. A body that does not fit is refused as OVERLOADED (503, Retry-After), at once or
 * as soon as it overflows. The bytes come back when the request ends, however it ends: its
 * response is made (success, error, refusal) or its connection closes (a client abort).
 */
export function useUploadBudget(budget: ByteBudget, onRefused: () => void = () => {}): Plugin {
  const held = new WeakMap<Request, BudgetReservation>();
  const refuse = () => {
    onRefused();
    return overloaded(budget);
  };
  return {
    onRequestParse({ request, requestParser, setRequestParser, serverContext, fetchAPI }) {
      if (!requestParser || request.body === null) return;
      const declared = request.headers.get("content-length");
      const known = declared !== null && /^\d+$/.test(declared);
      const reservation = budget.reserve(known ? Number(declared) : 0);
      if (!reservation) throw refuse();
      held.set(request, reservation);
      (serverContext as { res?: ServerResponse }).res?.once("close", reservation.release);
      if (known) return;
      setRequestParser((counted) =>
        requestParser(countedAgainst(counted, reservation, refuse, fetchAPI)),
      );
    },
    onResponse({ request }) {
      held.get(request)?.release();
    },
  };
}

/** The request with its body taking each chunk's bytes from the budget as it arrives. */
function countedAgainst(
  request: Request,
  reservation: BudgetReservation,
  refuse: () => Error,
  fetchAPI: FetchAPI,
): Request {
  if (!request.body) return request;
  // A native body needs the native TransformStream, a ponyfilled one the ponyfill (as yoga's
  // own body counter does).
  const Transform =
    request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (reservation.grow(chunk.byteLength)) controller.enqueue(chunk);
        else controller.error(refuse());
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body,
    // @ts-expect-error duplex is required for a streamed body, missing from the DOM types
    duplex: "half",
  });
}
