/** A file part of a GraphQL multipart request. */
export interface UploadPart {
  /** Where the file goes in the variables, e.g. "variables.image" or "variables.images.1". */
  path: string;
  bytes: Uint8Array;
  filename?: string;
  type?: string;
}

/**
 * Builds a request as the GraphQL multipart request spec says: an "operations" field, a "map"
 * field, then one part per file. Clients in browsers send exactly this with fetch + FormData.
 */
export function multipartRequest(
  query: string,
  variables: Record<string, unknown>,
  files: readonly UploadPart[],
  url = "http://localhost/graphql",
  headers: Record<string, string> = {},
): Request {
  const body = new FormData();
  body.set("operations", JSON.stringify({ query, variables }));
  body.set(
    "map",
    JSON.stringify(Object.fromEntries(files.map((file, i) => [String(i), [file.path]]))),
  );
  files.forEach((file, i) => {
    body.set(
      String(i),
      new Blob([file.bytes as Uint8Array<ArrayBuffer>], {
        type: file.type ?? "application/octet-stream",
      }),
      file.filename ?? `file-${i}`,
    );
  });
  return new Request(url, {
    method: "POST",
    body,
    headers: { "graphql-preflight": "1", ...headers },
  });
}

/** A JSON GraphQL request (queries without files). */
export function jsonRequest(
  query: string,
  variables: Record<string, unknown> = {},
  url = "http://localhost/graphql",
  headers: Record<string, string> = {},
) {
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
}
