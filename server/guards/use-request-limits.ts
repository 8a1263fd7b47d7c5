import type { Plugin } from "graphql-yoga";
import { checkDeclaredLength, isStreamedBodyTooLarge, requestTooLarge } from "./body-limit.ts";
import { readMultipart, type UploadLimits } from "./multipart-limits.ts";

export interface RequestLimits extends UploadLimits {
  /** Bytes per request body; yoga's maxRequestBodySize must be set to the same number. */
  requestMaxBytes: number;
}

const isMultipart = (request: Request) =>
  (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");

/**
 * Bounds what a GraphQL request may make the server read: the whole body (declared and
 * streamed), and for uploads the files, fields and part headers. Runs before the body is read;
 * every broken limit becomes a typed error with its HTTP status.
 */
export function useRequestLimits(limits: RequestLimits): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser || request.body === null) return;
      checkDeclaredLength(request, limits.requestMaxBytes);
      // yoga wraps this parser in its body counter (registered after user plugins), so the
      // request arriving here fails once more than requestMaxBytes have streamed in.
      setRequestParser(async (counted) => {
        try {
          if (isMultipart(counted)) await readMultipart(counted, limits);
          return await requestParser(counted);
        } catch (error) {
          if (isStreamedBodyTooLarge(error)) throw requestTooLarge(limits.requestMaxBytes);
          throw error;
        }
      });
    },
  };
}
