import { CORPUS_LIMITS, type CorpusKind, jsonRequest, multipart } from "./corpus-kind.ts";
import { source } from "./sources.ts";

/**
 * PROVISIONAL: the query-level kinds, whose limits (aliases, depth, query size, file count) come
 * with GraphQL Armor, merged separately. Until then each expects only a 4xx with some
 * `extensions.code`; once the limits are in, replace `{ anyCode: true }` by the exact codes.
 */

const IMAGE_QUERY = "mutation ($image: File!) { classify(image: $image) { top { label } } }";
const MAP = JSON.stringify({ 0: ["variables.image"] });
const image = () => ({
  name: "0",
  filename: "a.png",
  contentType: "image/png",
  bytes: source("bag").bytes,
});

export const QUERY_LIMIT_KINDS_PENDING_ARMOR: readonly CorpusKind[] = [
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
    expected: { anyCode: true, answeredWithoutArmor: true },
  },
  {
    kind: "a selection 50 levels deep",
    build: async () => {
      // The schema has no cycles, so depth comes from introspection's type references.
      const query = `{ __schema { types { ${"fields { type { ".repeat(24)}name${" } }".repeat(24)} } } }`;
      return jsonRequest({ query });
    },
    expected: { anyCode: true },
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
    expected: { anyCode: true },
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
    expected: { anyCode: true },
  },
];
