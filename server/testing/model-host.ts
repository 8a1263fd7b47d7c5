import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { sha256Hex } from "../hashing/sha256.ts";

/** A file the host serves at a URL path. */
export interface HostedFile {
  bytes: Buffer;
  /**
   * Served as the Hugging Face hub serves an LFS file: the path answers 302 to /cdn/<sha256>
   * with X-Linked-Etag (the sha256) and X-Linked-Size; the CDN path sends the bytes.
   */
  lfs?: boolean;
  /** The sha256 stated in X-Linked-Etag when it should not be the bytes' own (a fault). */
  statedSha256?: string;
  /** The size stated in X-Linked-Size when it should not be the bytes' own (a fault). */
  statedSize?: number;
}

export interface HostedRequest {
  path: string;
  range: string | null;
  status: number;
  /** Body bytes written before the response ended or was cut. */
  bytesSent: number;
}

/** Faults a test switches on to see the downloader cope. */
export interface HostFaults {
  /** Cut the connection after this many body bytes, once per hosted path listed (see dropTimes). */
  dropAfter: Map<string, number>;
  /** How many answers of a path in dropAfter are cut. Default 1. */
  dropTimes: Map<string, number>;
  /** End the body cleanly after this many bytes, sent chunked without a Content-Length (a cut file). */
  truncateAt: Map<string, number>;
  /**
   * Serve a Git LFS pointer (plain text, about 130 bytes) instead of the file, as GitHub's raw
   * URLs do for LFS files the repository no longer serves.
   */
  lfsPointer: Set<string>;
  /** Answer Range requests with the whole file (200), as some servers and proxies do. */
  ignoreRange: boolean;
  /** Gzip whole-file answers to clients that accept gzip, as CDNs do for text files. */
  gzip: boolean;
}

export interface ModelHost {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: HostedRequest[];
  readonly faults: HostFaults;
  readonly files: Map<string, HostedFile>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that hosts model files in their hosts' URL layout, with
 * Range requests (206, 416), LFS-style redirects and X-Linked-Etag, and switchable faults.
 * Every request is logged so tests can count requests and bytes.
 */
export async function startModelHost(files: Record<string, HostedFile>): Promise<ModelHost> {
  const hosted = new Map(Object.entries(files));
  // What a /cdn/<sha256> path serves, and the hosted path it stands for (faults name that one).
  const cdn = (path: string) =>
    [...hosted].find(([, file]) => file.lfs && path === `/cdn/${sha256Hex(file.bytes)}`);
  const requests: HostedRequest[] = [];
  const faults: HostFaults = {
    dropAfter: new Map(),
    dropTimes: new Map(),
    truncateAt: new Map(),
    lfsPointer: new Set(),
    ignoreRange: false,
    gzip: false,
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://host").pathname;
    const entry: HostedRequest = {
      path,
      range: req.headers.range ?? null,
      status: 0,
      bytesSent: 0,
    };
    requests.push(entry);
    const file = hosted.get(path);
    if (file && faults.lfsPointer.has(path)) {
      const pointer = Buffer.from(lfsPointer(file.bytes));
      entry.status = 200;
      entry.bytesSent = pointer.length;
      res.writeHead(200, { "content-length": String(pointer.length) }).end(pointer);
      return;
    }
    if (file?.lfs) {
      entry.status = 302;
      res.writeHead(302, {
        location: `/cdn/${sha256Hex(file.bytes)}`,
        "x-linked-etag": `"${file.statedSha256 ?? sha256Hex(file.bytes)}"`,
        "x-linked-size": String(file.statedSize ?? file.bytes.length),
      });
      res.end();
      return;
    }
    const [hostedPath, body] = file ? [path, file] : (cdn(path) ?? []);
    if (!hostedPath || !body) {
      entry.status = 404;
      res.writeHead(404).end("not found");
      return;
    }
    const cut = faults.dropAfter.get(hostedPath);
    const timesLeft = (faults.dropTimes.get(hostedPath) ?? 1) - 1;
    if (timesLeft > 0) faults.dropTimes.set(hostedPath, timesLeft);
    else {
      faults.dropAfter.delete(hostedPath);
      faults.dropTimes.delete(hostedPath);
    }
    const truncated = faults.truncateAt.get(hostedPath);
    if (truncated !== undefined) {
      const head = body.bytes.subarray(0, truncated);
      entry.status = 200;
      entry.bytesSent = head.length;
      res.writeHead(200, { "transfer-encoding": "chunked" }).end(head);
      return;
    }
    if (faults.gzip && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      const zipped = gzipSync(body.bytes);
      entry.status = 200;
      entry.bytesSent = zipped.length;
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(zipped.length) });
      res.end(zipped);
      return;
    }
    sendBytes(req, res, body.bytes, entry, { cut, ignoreRange: faults.ignoreRange });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    files: hosted,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Git LFS pointer of a file: what a repository holds in its place. */
export function lfsPointer(bytes: Buffer): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(bytes)}\nsize ${bytes.length}\n`;
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Buffer,
  entry: HostedRequest,
  faults: { cut: number | undefined; ignoreRange: boolean },
) {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  let start = 0;
  let end = bytes.length;
  if (range && !faults.ignoreRange) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]) + 1, bytes.length) : bytes.length;
    if (start >= bytes.length) {
      entry.status = 416;
      res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
      return;
    }
    entry.status = 206;
    res.writeHead(206, {
      "content-range": `bytes ${start}-${end - 1}/${bytes.length}`,
      "content-length": String(end - start),
      "accept-ranges": "bytes",
    });
  } else {
    entry.status = 200;
    res.writeHead(200, { "content-length": String(bytes.length), "accept-ranges": "bytes" });
  }
  const body = bytes.subarray(start, end);
  const { cut } = faults;
  if (cut !== undefined && cut < body.length) {
    // A FIN after the bytes (not a reset, which may discard them in flight): the client gets
    // exactly `cut` bytes of a body it was promised in full, like a connection lost mid-file.
    entry.bytesSent = cut;
    res.write(body.subarray(0, cut), () => res.socket?.end());
    return;
  }
  entry.bytesSent = body.length;
  res.end(body);
}
