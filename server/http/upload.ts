import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { ImageInput } from "../pipeline/types.ts";

/** Reads one uploaded file into memory, within the size limit, keyed by the sha256 of its bytes. */
export async function readUpload(
  file: File | null | undefined,
  maxBytes: number,
): Promise<ImageInput> {
  if (!file || typeof (file as Partial<File>).arrayBuffer !== "function") {
    throw new UserError("BAD_USER_INPUT", "expected an uploaded file (a multipart/form-data part)");
  }
  if (file.size > maxBytes) {
    throw new UserError(
      "FILE_TOO_LARGE",
      `the file has ${file.size} bytes; the limit is ${maxBytes}`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { bytes, sha256: sha256Hex(bytes) };
}
