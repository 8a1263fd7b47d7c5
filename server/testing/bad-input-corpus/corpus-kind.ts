import { multipartBody } from "../../../loadtest/lib/multipart.js";

/**
 * One kind of bad (or odd) input and what the service must answer to it. The corpus tables are
 * the single source of truth: how each input is built and what is expected of it.
 */
export interface CorpusKind {
  kind: string;
  /** Builds the whole HTTP request, the same bytes on every run. */
  build: () => Promise<CorpusRequest>;
  expected: Expected;
}

export type Expected =
  /** A GraphQL error with exactly this `extensions.code` (and the HTTP status it implies). */
  | { code: string }
  /**
   * A classification: the source image's label (null when the image shows nothing to name) and
   * what the service read about the image.
   */
  | { label: string | null; image?: { width?: number; height?: number; format?: string } }
  /** Refused by HTTP alone, without a GraphQL body. */
  | { httpStatus: number };

/** A POST to /graphql, as bytes. */
export interface CorpusRequest {
  body: Uint8Array;
  contentType: string;
}

/** The service settings the corpus is built against; the test starts the service with them. */
export const CORPUS_LIMITS = {
  uploadMaxBytes: 1024 * 1024,
  batchMaxImages: 8,
} as const;

export const CORPUS_ENV: Record<string, string> = {
  UPLOAD_MAX_BYTES: String(CORPUS_LIMITS.uploadMaxBytes),
  BATCH_MAX_IMAGES: String(CORPUS_LIMITS.batchMaxImages),
  // A CLIP timeout would make answers depend on the machine's speed.
  VLM_TIMEOUT_MS: "30000",
};

/** The mutation every upload kind sends: enough of the answer to check the label and the image. */
export const CLASSIFY_ONE = `mutation ($image: File!) {
  classify(image: $image) { top { label score } image { width height format } }
}`;

/** A fixed boundary keeps every body byte-for-byte the same between runs. */
const BOUNDARY = "----bad-input-corpus-7f3a";

export interface FileToSend {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
}

/** A multipart request with the fields and file parts as given, in that order. */
export function multipart(
  fields: readonly (readonly [string, string])[],
  files: readonly (FileToSend & { name: string })[],
): CorpusRequest {
  const { body, contentType } = multipartBody(fields, files, BOUNDARY);
  return { body: new Uint8Array(body), contentType };
}

/** `classify` with one file part, as the GraphQL multipart request spec says. */
export function classifyUpload(file: FileToSend): CorpusRequest {
  return multipart(
    [
      ["operations", JSON.stringify({ query: CLASSIFY_ONE, variables: { image: null } })],
      ["map", JSON.stringify({ 0: ["variables.image"] })],
    ],
    [{ name: "0", ...file }],
  );
}

/** A JSON GraphQL request (no multipart). */
export function jsonRequest(payload: unknown): CorpusRequest {
  return {
    body: new TextEncoder().encode(JSON.stringify(payload)),
    contentType: "application/json",
  };
}
