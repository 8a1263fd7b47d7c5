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
