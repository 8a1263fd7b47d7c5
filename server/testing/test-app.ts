import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { graphqlRequestInit, type TypedDocument } from "../../schema/client/graphql-request.ts";
import {
  type ClassificationFieldsFragment,
  ClassifyBatchDocument,
  ClassifyDocument,
} from "../../schema/generated/operations.ts";
import { createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { createRuntime, type Runtime } from "../runtime/runtime.ts";
import type { ServiceRuntime } from "../runtime/service-runtime.ts";
import type { FakePipelineOptions } from "./fake-pipeline.ts";
import { createFakeRuntime } from "./fake-runtime.ts";
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
 * The small embedded pack most tests run on: its models answer in about a millisecond and its
 * labels are few enough to assert on. Tests of the default pack say so.
 */
export const TEST_PACK = "fashion-mnist";

/**
 * The real service (real pack, real models, real HTTP handler) for in-process tests of what the
 * models answer. `env` overrides the environment the config parses, exactly as a deployment
 * would set it; `appOptions` reaches createApp (e.g. a clock for the rate limiter).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  appOptions: Parameters<typeof createApp>[1] = {},
) {
  const runtime: Runtime = await createRuntime(
    loadConfig({ CACHE_DIR: ".cache/test", MODEL_PACK: TEST_PACK, ...env }),
  );
  return testAppOn(runtime, appOptions);
}

/**
 * The real HTTP handler on a runtime of fake models (createFakeRuntime): for tests of the HTTP
 * edge, where what a model answers is not the point. Opens no model file. `calls` counts the
 * decodes and model calls the pipeline made.
 */
export function createFakeTestApp(
  env: Record<string, string> = {},
  options: { app?: Parameters<typeof createApp>[1]; pipeline?: FakePipelineOptions } = {},
) {
  const { runtime, calls } = createFakeRuntime(env, options.pipeline);
  return { ...testAppOn(runtime, options.app), calls };
}

/** Requests in-process against createApp(runtime), answered with status, headers and body. */
function testAppOn<R extends ServiceRuntime>(
  runtime: R,
  appOptions: Parameters<typeof createApp>[1] = {},
) {
  const app = createApp(runtime, appOptions);

  async function send<T>(request: Request): Promise<GraphQLResponse<T>> {
    const response = await app.fetch(request);
    const body = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body };
  }

  return {
    runtime,
    app,
    /** Runs a typed operation (schema/generated): JSON, or multipart when variables hold Blobs. */
    execute: <TResult, TVariables>(
      document: TypedDocument<TResult, TVariables>,
      variables: TVariables,
    ) =>
      send<TResult>(
        new Request("http://localhost/graphql", graphqlRequestInit(document, variables)),
      ),
    /** Serves the app over real HTTP on a free loopback port, e.g. for a browser. */
    listen: () => listen(app),
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
export type FakeTestApp = ReturnType<typeof createFakeTestApp>;

/** A real HTTP server for a handler, on 127.0.0.1 and a port the OS picks. */
export async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Everything a Classification says (schema/operations/classification.graphql). */
export type ClassificationResult = ClassificationFieldsFragment;

/** The public operations as raw documents, for tests that build requests by hand. */
export const CLASSIFY = ClassifyDocument.toString();
export const CLASSIFY_BATCH = ClassifyBatchDocument.toString();
