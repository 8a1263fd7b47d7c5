import { GraphQLError } from "graphql";
import { badInput, UserError } from "../errors/user-error.ts";

export interface UploadLimits {
  /** Bytes per file. */
  uploadMaxBytes: number;
  /** File parts per request. */
  uploadMaxFiles: number;
  /** Bytes per non-file field (operations, map). */
  uploadMaxFieldBytes: number;
  /** Header bytes kept per part. */
  uploadMaxPartHeaderBytes: number;
}

// The spec needs two fields, operations and map; a few more are tolerated, not hundreds.
const MAX_FIELDS = 8;
const FIELD_NAME_MAX_BYTES = 100;

/** The multipart parser's limits (busboy's names), enforced while the body streams in. */
export function formDataLimits(limits: UploadLimits) {
  return {
    fileSize: limits.uploadMaxBytes,
    files: limits.uploadMaxFiles,
    fieldSize: limits.uploadMaxFieldBytes,
    fields: MAX_FIELDS,
    fieldNameSize: FIELD_NAME_MAX_BYTES,
    headerSize: limits.uploadMaxPartHeaderBytes,
  };
}

/**
 * The parser (@whatwg-node/node-fetch on busboy) reports a broken limit as a plain Error whose
 * message starts with one of these; each becomes a typed error here, where it enters.
 */
function translate(error: unknown, limits: UploadLimits): Error {
  // Already typed: the body counter's own error, translated by the caller.
  if (error instanceof GraphQLError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith("File size limit exceeded")) {
    return new UserError(
      "FILE_TOO_LARGE",
      `a file is larger than ${limits.uploadMaxBytes} bytes, the limit per file`,
      { extensions: { limit: limits.uploadMaxBytes } },
    );
  }
  if (message.startsWith("Files limit exceeded")) {
    return new UserError(
      "TOO_MANY_FILES",
      `the request has more than ${limits.uploadMaxFiles} files, the limit per request`,
      { extensions: { limit: limits.uploadMaxFiles } },
    );
  }
  if (message.startsWith("Fields limit exceeded") || message.startsWith("Parts limit exceeded")) {
    return new UserError(
      "TOO_MANY_FIELDS",
      `the request has more than ${MAX_FIELDS} non-file fields; the spec needs two, operations and map`,
      { extensions: { limit: MAX_FIELDS } },
    );
  }
  if (message.startsWith("Field value size exceeded")) {
    return new UserError(
      "FIELD_TOO_LARGE",
      `a non-file field (operations, map) is larger than ${limits.uploadMaxFieldBytes} bytes, the limit`,
      { extensions: { limit: limits.uploadMaxFieldBytes } },
    );
  }
  if (message.startsWith("Field name size exceeded")) {
    return new UserError(
      "FIELD_TOO_LARGE",
      `a field name is longer than ${FIELD_NAME_MAX_BYTES} bytes`,
      { extensions: { limit: FIELD_NAME_MAX_BYTES } },
    );
  }
  // Anything else is a broken body (cut off, wrong boundary): reported as yoga reports it.
  return new GraphQLError(`POST body sent invalid multipart data: ${message}`, {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });
}

/**
 * Reads a multipart body within the limits, translating the parser's errors, and checks that
 * every part "map" names arrived. The parsed form stays cached on the request, so yoga's own
 * multipart parser reads it from there.
 */
export async function readMultipart(request: Request, limits: UploadLimits): Promise<void> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw translate(error, limits);
  }
  const map = form.get("map");
  if (typeof map !== "string") return;
  let keys: string[];
  try {
    keys = Object.keys(JSON.parse(map) as object);
  } catch {
    return; // yoga's parser reports a malformed map
  }
  for (const key of keys) {
    // busboy keeps only the first uploadMaxPartHeaderBytes of a part's headers: a part whose
    // name lies past them is dropped, which would otherwise surface as a null variable.
    if (form.get(key) === null) {
      throw badInput(
        `the part "${key}" named in map is missing (or its headers exceed ${limits.uploadMaxPartHeaderBytes} bytes)`,
      );
    }
  }
}
