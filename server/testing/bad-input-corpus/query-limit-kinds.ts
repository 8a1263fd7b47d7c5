import { CORPUS_LIMITS, type CorpusKind, jsonRequest, multipart } from "./corpus-kind.ts";
import { source } from "./sources.ts";

/**
 * The query-level kinds: abusive operations and requests, refused by the guards in
 * server/guards/ (GraphQL Armor, graphql-js' own rules, multipart limits) before any work.
 */

const IMAGE_QUERY = "mutation ($image: File!) { classify(image: $image) { top { label } } }";
const MAP = JSON.stringify({ 0: ["variables.image"] });
const image = () => ({
  name: "0",
  filename: "a.png",
  contentType: "image/png",
  bytes: source("bag").bytes,
});

export const QUERY_LIMIT_KINDS: readonly CorpusKind[] = [
  {
    kind: "1000 aliases of classify",
    build: async () => {
      const fields = Array.from(
        { length: 1000 },
        (_, i) => `a${i}: classify(image: $image) { top { label } }`,
      );
      const query = `mutation ($image: File!) { ${fields.join(" ")} }`;
      return multipart(
        [
          ["operations", JSON.stringify({ query, variables: { image: null } })],
          ["map", MAP],
        ],
        [image()],
      );
    },
    // Its ~8,000 tokens trip GRAPHQL_MAX_TOKENS at parse, before the alias count is taken.
    expected: { code: "QUERY_TOO_COMPLEX" },
  },
  {
    kind: "a selection 50 levels deep",
    build: async () => {
      // The schema has no cycles, so depth comes from introspection's type references, which
      // graphql-js' introspection-depth rule refuses (Armor's depth limit skips __schema).
      const query = `{ __schema { types { ${"fields { type { ".repeat(24)}name${" } }".repeat(24)} } } }`;
      return jsonRequest({ query });
    },
    expected: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    kind: "a query string over 1 MiB",
    build: async () => {
      const query = `${IMAGE_QUERY}${" ".repeat(1024 * 1024)}`;
      return multipart(
        [
          ["operations", JSON.stringify({ query, variables: { image: null } })],
          ["map", MAP],
        ],
        [image()],
      );
    },
    // Over UPLOAD_MAX_FIELD_BYTES (1 MiB) for the operations field.
    expected: { code: "FIELD_TOO_LARGE" },
  },
  {
    kind: "more files than BATCH_MAX_IMAGES",
    build: async () => {
      const count = CORPUS_LIMITS.batchMaxImages + 1;
      const query =
        "mutation ($images: [File!]!) { classifyBatch(images: $images) { __typename } }";
      const variables = { images: Array.from({ length: count }, () => null) };
      const map = Object.fromEntries(
        Array.from({ length: count }, (_, i) => [String(i), [`variables.images.${i}`]]),
      );
      return multipart(
        [
          ["operations", JSON.stringify({ query, variables })],
          ["map", JSON.stringify(map)],
        ],
        Array.from({ length: count }, (_, i) => ({ ...image(), name: String(i) })),
      );
    },
    // UPLOAD_MAX_FILES defaults to BATCH_MAX_IMAGES: refused while the body streams in.
    expected: { code: "TOO_MANY_FILES" },
  },
];
