import { BAD_IMAGE_KINDS } from "./bad-image-kinds.ts";
import type { CorpusKind } from "./corpus-kind.ts";
import { ODD_IMAGE_KINDS } from "./odd-image-kinds.ts";
import { QUERY_LIMIT_KINDS } from "./query-limit-kinds.ts";
import { REQUEST_KINDS } from "./request-kinds.ts";

export { CORPUS_ENV, type CorpusKind, type CorpusRequest } from "./corpus-kind.ts";

/**
 * The bad-input corpus: every kind of broken, hostile or odd input the service must answer with
 * a typed error or the right classification. Generated from the embedded samples by code, the
 * same bytes on every run; nothing is downloaded or committed as a binary.
 */
export const BAD_INPUT_CORPUS: readonly CorpusKind[] = [
  ...BAD_IMAGE_KINDS,
  ...ODD_IMAGE_KINDS,
  ...REQUEST_KINDS,
  ...QUERY_LIMIT_KINDS,
];
