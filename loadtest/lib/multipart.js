// @ts-check
/**
 * Builds multipart/form-data bodies for k6. k6 turns an object body into a Go map, which loses
 * the order of the fields (grafana/k6#1382); the GraphQL multipart request spec wants
 * "operations" and "map" first, as every browser sends them. Typed by multipart.d.ts.
 */

/** @type {typeof import("./multipart.js").multipartBody} */
export const multipartBody = (
  fields,
  files,
  boundary = `----classify-load-${Math.random().toString(16).slice(2)}`,
) => {
  /** @type {Uint8Array[]} */
  const chunks = [];
  for (const [name, value] of fields) {
    chunks.push(utf8(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`));
    chunks.push(utf8(value), utf8("\r\n"));
  }
  for (const file of files) {
    chunks.push(
      utf8(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      ),
    );
    chunks.push(file.bytes, utf8("\r\n"));
  }
  chunks.push(utf8(`--${boundary}--\r\n`));

  const body = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return { body: body.buffer, contentType: `multipart/form-data; boundary=${boundary}` };
};

/**
 * UTF-8 by hand: k6's JavaScript runtime has no TextEncoder.
 * @param {string} text
 */
function utf8(text) {
  /** @type {number[]} */
  const out = [];
  for (const char of text) {
    const c = char.codePointAt(0) ?? 0;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else {
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return Uint8Array.from(out);
}
