import { describe, expect, it } from "vitest";
import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { maxBase64Chars, readBase64Image } from "./base64-image.ts";

const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
const base64 = Buffer.from(bytes).toString("base64");

function codeOf(read: () => unknown): string | undefined {
  try {
    read();
  } catch (error) {
    if (error instanceof UserError) return error.code;
    throw error;
  }
  return undefined;
}

describe("readBase64Image", () => {
  it("reads plain base64, a data URL, URL-safe, unpadded and line-wrapped text to the same bytes", () => {
    const wrapped = base64.replace(/.{76}/g, "$&\n");
    const urlSafe = base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const text of [
      base64,
      `data:image/png;base64,${base64}`,
      `DATA:;base64,${base64}`,
      wrapped,
      urlSafe,
    ]) {
      const image = readBase64Image(text, 1000);
      expect(image.bytes).toEqual(bytes);
      expect(image.sha256).toBe(sha256Hex(bytes));
    }
  });

  it("refuses text that is not base64, and data URLs without base64, as INVALID_BASE64", () => {
    for (const text of [
      "not base64!",
      `${base64.slice(0, 40)} ${base64.slice(40)}`,
      `${base64}=`.replace("==", "=A="),
      "QUJD=RA==",
      "A",
      "data:image/png,iVBORw0KGgo",
      "data:text/plain;charset=utf-8,hello",
    ]) {
      expect(
        codeOf(() => readBase64Image(text, 1000)),
        text,
      ).toBe("INVALID_BASE64");
    }
  });

  it("refuses text longer than the upload limit allows by its length, before looking at it", () => {
    const limit = maxBase64Chars(300);
    // Exactly the limit's worth of bytes passes, wrapped or not.
    expect(readBase64Image(base64, 300).bytes.byteLength).toBe(300);
    expect(readBase64Image(base64.replace(/.{76}/g, "$&\r\n"), 300).bytes.byteLength).toBe(300);
    // One character over is FILE_TOO_LARGE even when it is not base64 at all.
    expect(codeOf(() => readBase64Image("!".repeat(limit + 1), 300))).toBe("FILE_TOO_LARGE");
    expect(
      codeOf(() => readBase64Image(`data:image/png;base64,${"A".repeat(limit + 1)}`, 300)),
    ).toBe("FILE_TOO_LARGE");
    // Within the text limit but over by decoded bytes (the limit rounds up to whole groups).
    expect(codeOf(() => readBase64Image(Buffer.alloc(301).toString("base64"), 300))).toBe(
      "FILE_TOO_LARGE",
    );
  });

  it("leaves an empty image to the decoder, which calls it EMPTY_FILE", () => {
    expect(readBase64Image("", 300).bytes.byteLength).toBe(0);
  });
});
