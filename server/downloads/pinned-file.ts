import { open } from "node:fs/promises";
import { LfsPointerError, SizeMismatchError, TruncatedFileError } from "./download-errors.ts";

/** What a file must be: its pinned (or locked) sha256 and size, where known. */
export interface ExpectedFile {
  sha256: string | null;
  size: number | null;
}

const LFS_SPEC = "version https://git-lfs.github.com/spec/v1";
// A pointer is three short lines (about 130 bytes); a body this small is worth reading whole.
export const LFS_POINTER_MAX_BYTES = 1024;

/** The object a Git LFS pointer names, or null when the bytes are not a pointer. */
export function parseLfsPointer(
  bytes: Uint8Array,
): { oid: string | null; size: number | null } | null {
  if (bytes.byteLength > LFS_POINTER_MAX_BYTES) return null;
  const text = Buffer.from(bytes).toString("utf8");
  if (!text.startsWith(LFS_SPEC)) return null;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1] ?? null;
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return { oid, size: size === undefined ? null : Number(size) };
}

/** The first bytes of a file (enough to tell a pointer). */
export async function fileHead(path: string): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(LFS_POINTER_MAX_BYTES + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export function lfsPointerError(
  pointer: NonNullable<ReturnType<typeof parseLfsPointer>>,
  url: string,
  bytes: number,
): LfsPointerError {
  const names = pointer.oid ? `, naming sha256 ${pointer.oid} of ${pointer.size} bytes` : "";
  return new LfsPointerError(
    `the host served a Git LFS pointer, not the file; the catalog's URL is stale (${url} sent ${bytes} bytes of pointer text${names}). Nothing was kept.`,
  );
}

/** A stated size (a header) that is not the pinned one: refused before any byte is kept. */
export function statedSizeError(header: string, stated: number, pinned: number, url: string) {
  return new SizeMismatchError(
    `${url} states ${stated} bytes (${header}), the catalog pins ${pinned}, so nothing was downloaded; the host serves another file than the pinned one.`,
  );
}

/** Bytes beyond the pinned size: the host is sending another file. */
export function oversizeError(pinned: number, url: string) {
  return new SizeMismatchError(
    `${url} sent more than the pinned ${pinned} bytes, so the transfer was stopped and nothing was kept; the host serves another file than the pinned one.`,
  );
}

/** The body ended without a broken connection, short of the pinned size. */
export function truncatedError(size: number, pinned: number, url: string) {
  return new TruncatedFileError(
    `${url} ended the file at byte ${size} of the pinned ${pinned} without an error (a truncated transfer); nothing was kept. Run again, or use another mirror.`,
  );
}
