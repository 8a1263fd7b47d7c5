// Types for multipart.js, which stays plain JavaScript so k6 can import it as is. The
// implementation is type-checked against these declarations by `tsc -p loadtest`.

export interface FilePart {
  name: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/**
 * A multipart/form-data body with its parts in the order given: the text fields, then the files.
 * The GraphQL multipart request spec needs "operations" and "map" before the files.
 * `boundary` defaults to a random one; a fixed one makes the body the same bytes on every run.
 */
export function multipartBody(
  fields: readonly (readonly [name: string, value: string])[],
  files: readonly FilePart[],
  boundary?: string,
): { body: ArrayBuffer; contentType: string };
