import { existsSync } from "node:fs";
import { mkdir, open, stat, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { TransferError } from "./download-errors.ts";
import {
  type ExpectedFile,
  fileHead,
  LFS_POINTER_MAX_BYTES,
  lfsPointerError,
  oversizeError,
  parseLfsPointer,
  statedSizeError,
  truncatedError,
} from "./pinned-file.ts";

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Worth another try: the server or a proxy is busy or briefly broken.
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export interface TransferOptions {
  /** Where to fetch from (already mirrored). */
  url: string;
  /** The unfinished download; continued with a Range request when it has bytes. */
  partFile: string;
  /** Give up when no byte arrives for this long (headers included). */
  idleTimeoutMs: number;
  /**
   * What the file must be, where known: a host stating another sha256 or size stops the
   * transfer before any byte is kept, and a body that outgrows the size stops it at once.
   */
  expected?: ExpectedFile;
  onStart?: (info: { total: number | null; resumedFrom: number }) => void;
  onBytes?: (received: number) => void;
  onNotice?: (message: string) => void;
  /** The host answered a Range request with the whole file. */
  onRangeIgnored?: () => void;
}

export interface TransferResult {
  /** The sha256 the server stated (Hugging Face's X-Linked-Etag for LFS files), if any. */
  statedSha256: string | null;
  /** Bytes of the .part file that were kept and continued. */
  resumedFrom: number;
  /** Body bytes received by this transfer. */
  received: number;
  /** Size of the .part file now. */
  size: number;
}

/**
 * One attempt at fetching a file into its .part file. A .part with bytes is continued with
 * `Range: bytes=N-`; a server that ignores the range (200) or answers a different one restarts
 * the file from byte 0. Redirects are followed by hand so that headers of the first hop (the
 * Hugging Face hub's X-Linked-Etag, before the CDN) are seen.
 */
export function transferToPart(options: TransferOptions): Promise<TransferResult> {
  return attempt(options, true);
}

async function attempt(options: TransferOptions, mayRestart: boolean): Promise<TransferResult> {
  const { url, partFile, idleTimeoutMs } = options;
  await mkdir(dirname(partFile), { recursive: true });
  const have = existsSync(partFile) ? (await stat(partFile)).size : 0;

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new TransferError(`no data for ${idleTimeoutMs} ms`, true)),
      idleTimeoutMs,
    );
  };
  try {
    touch();
    const expected = options.expected ?? { sha256: null, size: null };
    const { response, statedSha256 } = await request(url, have, expected, controller.signal);
    const plan = await planWrite(response, have, partFile, expected, options);
    if (plan === "complete") return { statedSha256, resumedFrom: have, received: 0, size: have };
    if (plan === "restart") {
      clearTimeout(timer);
      if (!mayRestart) throw new TransferError("the server does not honour Range requests", true);
      return attempt(options, false);
    }

    const resumedFrom = plan.offset;
    options.onStart?.({ total: plan.total, resumedFrom });
    const file = await open(partFile, resumedFrom > 0 ? "a" : "w");
    const reader = response.body?.getReader();
    let received = 0;
    try {
      // Each chunk is on disk before the next is read, so a dropped connection keeps every
      // byte that arrived and the next attempt continues after it.
      for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
        touch();
        if (
          expected.size !== null &&
          resumedFrom + received + chunk.value.byteLength > expected.size
        ) {
          await reader?.cancel();
          throw oversizeError(expected.size, url);
        }
        await file.write(chunk.value);
        received += chunk.value.byteLength;
        options.onBytes?.(resumedFrom + received);
      }
    } finally {
      await file.close();
    }
    const size = resumedFrom + received;
    if (plan.total !== null && size !== plan.total) {
      throw new TransferError(`the connection closed at byte ${size} of ${plan.total}`, true);
    }
    if (size <= LFS_POINTER_MAX_BYTES) {
      const pointer = parseLfsPointer(await fileHead(partFile));
      if (pointer) throw lfsPointerError(pointer, url, size);
    }
    if (expected.size !== null && size < expected.size)
      throw truncatedError(size, expected.size, url);
    return { statedSha256, resumedFrom, received, size };
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

/** The server states a sha256 that is not the expected one: nothing is worth downloading. */
export class StatedMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly stated: string,
  ) {
    super(`the server states sha256 ${stated}, expected ${expected}`);
  }
}

type WritePlan = { offset: number; total: number | null } | "complete" | "restart";

/**
 * How the response's body goes into the .part file, from its status and Content-Range. A stated
 * size that is not the expected one is refused here, before a byte is written: a small body is
 * read first, since a Git LFS pointer deserves its own error.
 */
async function planWrite(
  response: Response,
  have: number,
  partFile: string,
  expected: ExpectedFile,
  options: Pick<TransferOptions, "onNotice" | "onRangeIgnored" | "url">,
): Promise<WritePlan> {
  const notice = options.onNotice;
  const length = contentLength(response);
  if (response.status === 200) {
    if (expected.size !== null && length !== null && length !== expected.size) {
      if (length <= LFS_POINTER_MAX_BYTES) {
        const body = new Uint8Array(await response.arrayBuffer());
        const pointer = parseLfsPointer(body);
        if (pointer) throw lfsPointerError(pointer, options.url, body.byteLength);
      } else await response.body?.cancel();
      throw statedSizeError("Content-Length", length, expected.size, options.url);
    }
    if (have > 0) {
      options.onRangeIgnored?.();
      notice?.("the server ignored the Range request; starting again from byte 0");
    }
    return { offset: 0, total: length };
  }
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
    const start = range ? Number(range[1]) : Number.NaN;
    const total = range && range[3] !== "*" ? Number(range[3]) : null;
    if (expected.size !== null && total !== null && total !== expected.size) {
      await response.body?.cancel();
      throw statedSizeError("Content-Range", total, expected.size, options.url);
    }
    if (start === have) return { offset: have, total };
    await response.body?.cancel();
    notice?.(`the server answered another range (${range?.[0] ?? "none"}); starting again`);
    await truncate(partFile, 0);
    return "restart";
  }
  if (response.status === 416 && have > 0) {
    await response.body?.cancel();
    const total = /^bytes \*\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    // Nothing left to send: the .part is already whole (the checksum decides).
    if (total && Number(total[1]) === have) return "complete";
    notice?.("the .part file does not fit the file on the server; starting again");
    await truncate(partFile, 0);
    return "restart";
  }
  await response.body?.cancel();
  throw new TransferError(
    `HTTP ${response.status} ${response.statusText} for ${response.url || "the file"}`,
    RETRYABLE_STATUS.has(response.status),
  );
}

async function request(url: string, offset: number, expected: ExpectedFile, signal: AbortSignal) {
  // identity: fetch asks for gzip by default, and a compressed body has neither the file's
  // length nor its byte offsets, which resuming and the size check rely on.
  const headers: Record<string, string> = {
    "accept-encoding": "identity",
    ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
  };
  let current = url;
  let statedSha256: string | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetch(current, { headers, redirect: "manual", signal });
    statedSha256 ??= linkedSha256(response.headers);
    // Checked at the hop that states them (the hub), before following it to the bytes (the CDN).
    if (expected.sha256 && statedSha256 && statedSha256 !== expected.sha256) {
      await response.body?.cancel();
      throw new StatedMismatch(expected.sha256, statedSha256);
    }
    const linkedSize = sizeHeader(response.headers.get("x-linked-size"));
    if (expected.size !== null && linkedSize !== null && linkedSize !== expected.size) {
      await response.body?.cancel();
      throw statedSizeError("X-Linked-Size", linkedSize, expected.size, url);
    }
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status)) return { response, statedSha256 };
    await response.body?.cancel();
    if (!location) throw new TransferError(`HTTP ${response.status} without a Location`, false);
    current = new URL(location, current).href;
  }
  throw new TransferError(`more than ${MAX_REDIRECTS} redirects from ${url}`, false);
}

/** Hugging Face states an LFS file's sha256 in X-Linked-Etag (quoted, maybe weak). */
function linkedSha256(headers: Headers): string | null {
  const value = headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
  return value && /^[0-9a-f]{64}$/.test(value) ? value : null;
}

function contentLength(response: Response): number | null {
  return sizeHeader(response.headers.get("content-length"));
}

function sizeHeader(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}
