import { NetworkUnreachableError, TransferError } from "./download-errors.ts";

// Errors raised before a connection exists: the host cannot be reached at all.
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "DNS lookup failed",
  ENETUNREACH: "network unreachable",
  EHOSTUNREACH: "host unreachable",
  EHOSTDOWN: "host down",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

// Failures of a connection that worked: worth another try, continuing the .part file.
const TRANSIENT: Record<string, string> = {
  UND_ERR_SOCKET: "the connection closed early",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection broke",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "no data in time",
};

/**
 * Turns what fetch throws into a message for the person at the terminal. Node's fetch reports
 * every network failure as `TypeError: fetch failed` and keeps the system error code in `cause`.
 */
export function describeNetworkFailure(
  error: unknown,
  url: string,
  via: { mirror: string | null },
): NetworkUnreachableError | TransferError {
  const code = errorCode(error);
  const host = new URL(url).host;
  if (causeMessage(error) === "bad port") {
    return new NetworkUnreachableError(
      `cannot use ${host}: Node's fetch refuses that port (a "bad port" in the Fetch standard). Serve the mirror on another port.`,
    );
  }
  const unreachable = code ? UNREACHABLE[code] : undefined;
  if (unreachable) {
    const advice = via.mirror
      ? "Check the mirror (--mirror / MODELS_MIRROR_URL), or use only the cache with --offline (MODELS_OFFLINE=1)."
      : "Without internet access, download from a mirror with --mirror URL (MODELS_MIRROR_URL), or use only the cache with --offline (MODELS_OFFLINE=1).";
    return new NetworkUnreachableError(`cannot reach ${host}: ${unreachable} (${code}). ${advice}`);
  }
  const detail =
    (code && TRANSIENT[code]) ?? code ?? (error instanceof Error ? error.message : String(error));
  return new TransferError(`download from ${host} failed: ${detail}`, true);
}

function causeMessage(error: unknown): string | undefined {
  return error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
}

/** The first system error code along an error's cause chain (AggregateError included). */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined;
  const own = (error as { code?: unknown }).code;
  if (typeof own === "string" && own in UNREACHABLE) return own;
  const nested =
    error instanceof AggregateError
      ? error.errors.map((e) => errorCode(e, depth + 1)).find(Boolean)
      : undefined;
  return nested ?? errorCode(error.cause, depth + 1) ?? (typeof own === "string" ? own : undefined);
}
