import { createApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createRuntime, type Runtime } from "../runtime.ts";
import { jsonRequest, multipartRequest, type UploadPart } from "./multipart.ts";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    extensions?: { code?: string; [key: string]: unknown };
  }[];
}

/**
 * The real service (real pack, real models, real HTTP handler) for in-process tests.
 * `env` overrides the environment the config parses, exactly as a deployment would set it;
 * `appOptions` reaches createApp (e.g. a clock for the rate limiter).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  appOptions: Parameters<typeof createApp>[1] = {},
) {
  const runtime: Runtime = await createRuntime(loadConfig({ CACHE_DIR: ".cache/test", ...env }));
  const app = createApp(runtime, appOptions);

  async function send<T>(request: Request): Promise<GraphQLResponse<T>> {
    const response = await app.fetch(request);
    const body = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body };
  }

  return {
    runtime,
    app,
    /** Any request, answered with its status, headers and GraphQL body. */
    send,
    query: <T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      headers?: Record<string, string>,
    ) => send<T>(jsonRequest(query, variables, undefined, headers)),
    upload: <T = Record<string, unknown>>(
      query: string,
      variables: Record<string, unknown>,
      files: UploadPart[],
      headers?: Record<string, string>,
    ) => send<T>(multipartRequest(query, variables, files, undefined, headers)),
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** The fields most tests read from a Classification. */
export const CLASSIFICATION_FIELDS = `
  id model vlmUsed vlmReason fallback cacheHit cnnWeight
  top { label score }
  predictions { label score }
  cnn { model top { label score } predictions { label score } }
  vlm { model top { label score } predictions { label score } }
  timings { decodeMs cnnMs vlmMs totalMs }
  image { width height format bytes sha256 }
`;

export interface ClassificationResult {
  id: string;
  model: string;
  vlmUsed: boolean;
  vlmReason: string | null;
  fallback: string | null;
  cacheHit: boolean;
  cnnWeight: number | null;
  top: { label: string; score: number };
  predictions: { label: string; score: number }[];
  cnn: {
    model: string;
    top: { label: string; score: number };
    predictions: { label: string; score: number }[];
  };
  vlm: {
    model: string;
    top: { label: string; score: number };
    predictions: { label: string; score: number }[];
  } | null;
  timings: { decodeMs: number; cnnMs: number; vlmMs: number | null; totalMs: number };
  image: { width: number; height: number; format: string; bytes: number; sha256: string };
}

export const CLASSIFY = `mutation Classify($image: File!, $options: ClassifyOptions) {
  classify(image: $image, options: $options) { ${CLASSIFICATION_FIELDS} }
}`;

export const CLASSIFY_BATCH = `mutation ClassifyBatch($images: [File!]!, $options: ClassifyOptions) {
  classifyBatch(images: $images, options: $options) {
    __typename
    ... on Classification { ${CLASSIFICATION_FIELDS} }
    ... on ClassifyError { index code message }
  }
}`;
