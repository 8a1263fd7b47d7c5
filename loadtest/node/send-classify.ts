import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { multipartBody } from "../lib/multipart.js";
import { SAMPLES, SAMPLES_DIR } from "../lib/request-mix.js";

/** The sample folder of this checkout, found from this file rather than the working directory. */
const DEFAULT_SAMPLES_DIR = fileURLToPath(new URL(`../../${SAMPLES_DIR}/`, import.meta.url));

/** Every sample of the mix, by file name. */
export async function loadSamples(
  dir: string = DEFAULT_SAMPLES_DIR,
): Promise<ReadonlyMap<string, Uint8Array>> {
  const entries = await Promise.all(
    SAMPLES.map(async ({ file }) => [file, await readFile(`${dir}/${file}`)] as const),
  );
  return new Map(entries);
}

/** What one request came to. */
export interface Outcome {
  /** From the scheduled send time to the whole answer read, in ms. */
  latencyMs: number;
  /** As k6's http_req_failed: no response, or a status outside 200–399. */
  httpFailed: boolean;
  /** A classification without GraphQL errors; what classify_errors counts the opposite of. */
  ok: boolean;
  vlmUsed: boolean;
  cacheHit: boolean;
  fallback: boolean;
  /** Why the request failed, for the report's examples. */
  error: string | null;
}

interface Answer {
  data?: { classify?: { vlmUsed: boolean; cacheHit: boolean; fallback: string | null } | null };
  errors?: { message: string; extensions?: { code?: string } }[];
}

const MAP = JSON.stringify({ 0: ["variables.image"] });

/**
 * Uploads one image as the GraphQL multipart request spec says (operations, map, then the file).
 * The body comes from the same encoder as k6's, so both send the same bytes; it also costs the
 * generator less than FormData, whose encoding takes ~2.5× the CPU per request, which matters
 * when generator and service share a machine or, in the tests, an event loop.
 * Never throws: a failure is an outcome.
 */
export async function sendClassify(
  target: string,
  image: { file: string; bytes: Uint8Array; operations: string; contentType?: string },
  scheduledAt: number,
  timeoutMs: number,
): Promise<Outcome> {
  const { body, contentType } = multipartBody(
    [
      ["operations", image.operations],
      ["map", MAP],
    ],
    [
      {
        name: "0",
        filename: image.file,
        contentType: image.contentType ?? "image/png",
        bytes: image.bytes,
      },
    ],
  );
  const failed = (httpFailed: boolean, error: string): Outcome => ({
    latencyMs: performance.now() - scheduledAt,
    httpFailed,
    ok: false,
    vlmUsed: false,
    cacheHit: false,
    fallback: false,
    error,
  });
  try {
    const response = await fetch(target, {
      method: "POST",
      body,
      headers: { "content-type": contentType, "graphql-preflight": "1" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const latencyMs = performance.now() - scheduledAt;
    const httpFailed = response.status < 200 || response.status >= 400;
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
    } catch {
      return failed(httpFailed, `HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`);
    }
    const result = answer.data?.classify;
    const graphqlError = answer.errors?.[0];
    if (response.status !== 200 || graphqlError || !result) {
      const why = graphqlError
        ? `${graphqlError.extensions?.code ?? "ERROR"}: ${graphqlError.message}`
        : "no classification";
      return failed(httpFailed, `HTTP ${response.status}, ${why}`);
    }
    return {
      latencyMs,
      httpFailed,
      ok: true,
      vlmUsed: result.vlmUsed,
      cacheHit: result.cacheHit,
      fallback: result.fallback !== null,
      error: null,
    };
  } catch (error) {
    return failed(true, describe(error));
  }
}

/** undici says "fetch failed" and puts the reason (ECONNREFUSED, a reset socket) in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
