import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { ImageInput } from "../pipeline/types.ts";

// A data URL's head up to its payload: `data:image/png;base64,` (media type and parameters optional).
const DATA_URL_HEAD = /^data:[^,]{0,200}?;base64,/i;
// Standard or URL-safe alphabet, padding optional; line breaks (the `base64` tool wraps at 76) allowed.
const BASE64_BODY = /^[A-Za-z0-9+/_\-\r\n]*={0,2}[\r\n]*$/;
const LINE = 76;

/**
 * The longest base64 text (line breaks included) that can decode to `maxBytes` bytes: longer
 * text is refused before anything is decoded, so an oversized string costs one length check.
 */
export function maxBase64Chars(maxBytes: number): number {
  const chars = Math.ceil(maxBytes / 3) * 4;
  return chars + 2 * Math.ceil(chars / LINE);
}

/**
 * Reads an image sent as text — plain base64 or a `data:…;base64,` URL — into the same input an
 * upload becomes: the size limit of uploads (UPLOAD_MAX_BYTES) checked on the text's length
 * before decoding, then on the bytes; the format and pixel limits apply downstream, as for
 * uploads (the format is read from the bytes, never from the data URL's media type).
 */
export function readBase64Image(text: string, maxBytes: number): ImageInput {
  const head = DATA_URL_HEAD.exec(text);
  if (!head && /^data:/i.test(text)) {
    throw new UserError(
      "INVALID_BASE64",
      "a data URL must carry base64, as in data:image/png;base64,iVBORw0KGgo…",
    );
  }
  const bodyChars = text.length - (head?.[0].length ?? 0);
  const limit = maxBase64Chars(maxBytes);
  if (bodyChars > limit) {
    throw new UserError(
      "FILE_TOO_LARGE",
      `the base64 text has ${bodyChars} characters; the limit is ${limit} (${maxBytes} bytes)`,
    );
  }
  const body = head ? text.slice(head[0].length) : text;
  const compact = body.replace(/[\r\n]/g, "");
  if (!BASE64_BODY.test(body) || compact.length % 4 === 1) {
    throw new UserError(
      "INVALID_BASE64",
      "the image text is not base64 (A–Z, a–z, 0–9, + and /, or - and _, with = padding)",
    );
  }
  const bytes = new Uint8Array(Buffer.from(compact, "base64"));
  if (bytes.byteLength > maxBytes) {
    throw new UserError(
      "FILE_TOO_LARGE",
      `the image has ${bytes.byteLength} bytes; the limit is ${maxBytes}`,
    );
  }
  return { bytes, sha256: sha256Hex(bytes) };
}
