import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";

/**
 * A typed operation from schema/generated/operations.ts: the document's text, with its result
 * and variables types attached.
 */
export type TypedDocument<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & {
  toString(): string;
};

/** A GraphQL response: data, and errors whose extensions.code a client can branch on. */
export interface GraphQLResult<TResult> {
  data?: TResult | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    extensions?: { code?: string };
  }[];
}

/**
 * Fetch options for running `document` with `variables`: a JSON body, or, when the variables
 * hold files (any Blob), a multipart body as the GraphQL multipart request spec says: each
 * file becomes a null in "operations", its path goes in "map", its bytes in a part of its own.
 * Multipart requests carry `graphql-preflight: 1`, the header CSRF prevention asks for.
 */
export function graphqlRequestInit<TResult, TVariables>(
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
): { method: "POST"; headers: Record<string, string>; body: string | FormData } {
  const files: { path: string; file: Blob }[] = [];
  const withoutFiles = extractFiles(variables, "variables", files);
  const operations = JSON.stringify({ query: document.toString(), variables: withoutFiles });
  if (files.length === 0) {
    return { method: "POST", headers: { "content-type": "application/json" }, body: operations };
  }
  const body = new FormData();
  body.set("operations", operations);
  body.set("map", JSON.stringify(Object.fromEntries(files.map(({ path }, i) => [i, [path]]))));
  files.forEach(({ file }, i) => {
    body.set(String(i), file);
  });
  return { method: "POST", headers: { "graphql-preflight": "1" }, body };
}

/** Runs a typed operation against a GraphQL endpoint with fetch. */
export async function executeOperation<TResult, TVariables>(
  endpoint: string | URL,
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
): Promise<GraphQLResult<TResult>> {
  const response = await fetch(endpoint, graphqlRequestInit(document, variables));
  return (await response.json()) as GraphQLResult<TResult>;
}

/** A copy of `value` with every Blob replaced by null, recording where each one was. */
function extractFiles(
  value: unknown,
  path: string,
  files: { path: string; file: Blob }[],
): unknown {
  if (value instanceof Blob) {
    files.push({ path, file: value });
    return null;
  }
  if (Array.isArray(value))
    return value.map((item, i) => extractFiles(item, `${path}.${i}`, files));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        extractFiles(item, `${path}.${key}`, files),
      ]),
    );
  }
  return value;
}
