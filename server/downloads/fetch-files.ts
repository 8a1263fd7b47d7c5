import { existsSync } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { sha256File } from "../hashing/sha256.ts";
import type { CacheLayout } from "./cache-layout.ts";
import { type CatalogDownload, TRUST_ON_FIRST_USE } from "./catalog.ts";
import {
  ChecksumMismatchError,
  DownloadError,
  OfflineMissingError,
  RangeIgnoredError,
  RefusedFileError,
  TransferError,
} from "./download-errors.ts";
import { StatedMismatch, transferToPart } from "./http-transfer.ts";
import type { LockFile } from "./lock-file.ts";
import { mirroredUrl } from "./mirror.ts";
import { describeNetworkFailure } from "./network-error.ts";
import type { Progress } from "./progress.ts";

export interface FetchOptions {
  cache: CacheLayout;
  lock: LockFile;
  /** Use only verified files already in the cache; make no request at all. */
  offline: boolean;
  /** Base URL replacing the scheme and host of every catalog URL. */
  mirror: string | null;
  /** Further attempts after a transfer fails part-way; each continues the .part file. Default 3. */
  retries?: number;
  /** Wait before the first retry, doubled for each next one. Default 1000 ms. */
  retryDelayMs?: number;
  /** Give up a transfer when no byte arrives for this long. Default 30 s. */
  idleTimeoutMs?: number;
  progress: Progress;
}

export interface FetchedFile {
  readonly download: CatalogDownload;
  /** The verified file in the cache. */
  readonly cacheFile: string;
  readonly sha256: string;
  readonly from: "cache" | "network";
}

/**
 * Brings every file into the cache, verified: a cached file counts only when its sha256 matches
 * the catalog's pin or, for trust-on-first-use files, the lock file's entry.
 */
export async function fetchFiles(
  downloads: readonly CatalogDownload[],
  options: FetchOptions,
): Promise<FetchedFile[]> {
  const fetched: FetchedFile[] = [];
  const missing: { path: string; url: string; reason: string }[] = [];
  for (const download of downloads) {
    const cached = await verifiedCacheFile(download, options);
    if (cached.ok) {
      options.progress.note(`${download.path}: in the cache, sha256 verified`);
      fetched.push({ download, cacheFile: cached.file, sha256: cached.sha256, from: "cache" });
    } else if (options.offline) {
      missing.push({ path: download.path, url: download.url, reason: cached.reason });
    } else {
      if (cached.reason !== "not in the cache") {
        options.progress.note(`${download.path}: ${cached.reason}; downloading it again`);
      }
      fetched.push(await fetchOne(download, options));
    }
  }
  if (missing.length > 0) throw new OfflineMissingError(missing);
  return fetched;
}

/** The sha256 a file must have: pinned in the catalog, or recorded in the lock file. */
function expectedSha256(download: CatalogDownload, lock: LockFile): string | null {
  return download.sha256 === TRUST_ON_FIRST_USE
    ? (lock.get(download.url)?.sha256 ?? null)
    : download.sha256;
}

/** The size a file must have: pinned in the catalog, or recorded with its lock entry. */
function expectedSize(download: CatalogDownload, lock: LockFile): number | null {
  if (download.size !== undefined) return download.size;
  return download.sha256 === TRUST_ON_FIRST_USE ? (lock.get(download.url)?.size ?? null) : null;
}

async function verifiedCacheFile(download: CatalogDownload, options: FetchOptions) {
  const file = options.cache.file(download.url);
  if (!existsSync(file)) return { ok: false as const, reason: "not in the cache" };
  const expected = expectedSha256(download, options.lock);
  if (!expected) {
    return { ok: false as const, reason: `cached but not in ${options.lock.path}, so unverified` };
  }
  const actual = await sha256File(file);
  if (actual !== expected) {
    await rm(file, { force: true });
    return { ok: false as const, reason: `the cached copy had sha256 ${actual}, not ${expected}` };
  }
  return { ok: true as const, file, sha256: actual };
}

async function fetchOne(download: CatalogDownload, options: FetchOptions): Promise<FetchedFile> {
  const { cache, lock, mirror, progress, retries = 3, retryDelayMs = 1000 } = options;
  const url = mirroredUrl(download.url, mirror);
  const partFile = cache.partFile(download.url);
  const expected = expectedSha256(download, lock);
  const bar = progress.file(download.path);
  // A host that answered a Range request with the whole file cannot continue a .part either.
  let rangeIgnored = false;

  let result: Awaited<ReturnType<typeof transferToPart>> | undefined;
  for (let attempt = 1; !result; attempt++) {
    try {
      result = await transferToPart({
        url,
        partFile,
        idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
        expected: { sha256: expected, size: expectedSize(download, lock) },
        onStart: ({ total, resumedFrom }) => bar.start(total, resumedFrom),
        onBytes: (bytes) => bar.update(bytes),
        onNotice: (message) => progress.note(`${download.path}: ${message}`),
        onRangeIgnored: () => {
          rangeIgnored = true;
        },
      });
    } catch (error) {
      if (error instanceof StatedMismatch) {
        await rm(partFile, { force: true });
        throw mismatch(download, url, error.expected, error.stated, lock, "stated");
      }
      if (error instanceof RefusedFileError) {
        await rm(partFile, { force: true });
        error.message = `${download.path}: ${error.message}`;
        throw error;
      }
      const failure =
        error instanceof DownloadError ? error : describeNetworkFailure(error, url, { mirror });
      const retryable = failure instanceof TransferError && failure.retryable;
      if (retryable && attempt > retries && rangeIgnored) {
        await rm(partFile, { force: true });
        throw new RangeIgnoredError(
          `${download.path}: ${url} answers Range requests with the whole file, so a broken transfer cannot be continued, and it broke on each of ${attempt} attempts (last: ${failure.message.replace(/\.$/, "")}); nothing was kept. Run again on a steadier connection, or use a mirror that honours Range (--mirror).`,
        );
      }
      if (!retryable || attempt > retries) {
        const kept = existsSync(partFile) ? (await stat(partFile)).size : 0;
        const resume =
          kept > 0 ? ` ${kept} bytes are kept in ${partFile}; run again to continue.` : "";
        failure.message = `${download.path}: ${failure.message.replace(/\.$/, "")}.${resume}`;
        throw failure;
      }
      const delay = retryDelayMs * 2 ** (attempt - 1);
      progress.note(
        `${download.path}: ${failure.message}; retry ${attempt} of ${retries} in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
  bar.finish(result.size);

  const actual = await sha256File(partFile);
  const wanted = expected ?? result.statedSha256;
  if (wanted && actual !== wanted) {
    await rm(partFile, { force: true });
    throw mismatch(download, url, wanted, actual, lock, "downloaded");
  }
  const cacheFile = cache.file(download.url);
  await rename(partFile, cacheFile);
  if (!expected) {
    await lock.record(download.url, {
      sha256: actual,
      size: result.size,
      source: result.statedSha256 ? "server" : "computed",
    });
    progress.note(`${download.path}: sha256 ${actual} recorded in ${lock.path} (first use)`);
  }
  return { download, cacheFile, sha256: actual, from: "network" };
}

/** The error for bytes (or a server's stated sha256) that are not the expected ones. */
function mismatch(
  download: CatalogDownload,
  url: string,
  expected: string,
  actual: string,
  lock: LockFile,
  what: "stated" | "downloaded",
) {
  // A pinned file is the publisher's published one: different bytes mean the URL (or the
  // mirror) serves something else, which a new pin would only hide.
  const fix =
    download.sha256 !== TRUST_ON_FIRST_USE
      ? "The host serves another file than the catalog pins: check that the URL (or the mirror) still serves the publisher's file; change the pin only to a sha256 the publisher published."
      : lock.get(download.url)
        ? `If the file changed upstream on purpose, delete its entry from ${lock.path}.`
        : "The server's own checksum (X-Linked-Etag) does not match what arrived; try again or use another mirror.";
  const detail =
    what === "stated"
      ? `${url} states that sha256 for the file, so nothing was downloaded. ${fix}`
      : `The file downloaded from ${url} was deleted. ${fix}`;
  return new ChecksumMismatchError(download.path, expected, actual, detail);
}
