/** A download failure whose message is written for the person running the command. */
export class DownloadError extends Error {
  override name = "DownloadError";
}

/** The bytes are not the expected ones; the file was deleted. */
export class ChecksumMismatchError extends DownloadError {
  override name = "ChecksumMismatchError";
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    detail: string,
  ) {
    super(`checksum mismatch for ${file}: expected sha256 ${expected}, got ${actual}. ${detail}`);
  }
}

/** Offline, and the cache lacks verified copies of these files. */
export class OfflineMissingError extends DownloadError {
  override name = "OfflineMissingError";
  constructor(readonly missing: readonly { path: string; url: string; reason: string }[]) {
    super(
      [
        `offline, and ${missing.length} file(s) are not in the cache:`,
        ...missing.map((m) => `  ${m.path} (${m.reason}): ${m.url}`),
        "Run without --offline (and MODELS_OFFLINE unset) on a machine that can reach them or a mirror.",
      ].join("\n"),
    );
  }
}

/** No connection could be made: retrying will not help, a mirror or the cache might. */
export class NetworkUnreachableError extends DownloadError {
  override name = "NetworkUnreachableError";
}

/** One transfer failed; `retryable` ones are retried, continuing from the .part file. */
export class TransferError extends DownloadError {
  override name = "TransferError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * The host's answer is not the pinned file, found before or while it arrived; whatever arrived
 * was deleted. Retrying the same URL will not help.
 */
export class RefusedFileError extends DownloadError {
  override name = "RefusedFileError";
}

/** The host answered with a Git LFS pointer (about 130 bytes of text) instead of the file. */
export class LfsPointerError extends RefusedFileError {
  override name = "LfsPointerError";
}

/** The host states, or sent, another size than the catalog pins. */
export class SizeMismatchError extends RefusedFileError {
  override name = "SizeMismatchError";
}

/** The body ended cleanly, but short of the pinned size: the host cut the file. */
export class TruncatedFileError extends RefusedFileError {
  override name = "TruncatedFileError";
}

/** The transfer broke, and the host answers Range requests with the whole file, so it cannot continue. */
export class RangeIgnoredError extends RefusedFileError {
  override name = "RangeIgnoredError";
}
