import type { UserErrorCode } from "../../server/errors/user-error.ts";
import { builder } from "../builder.ts";

export const VlmModeEnum = builder.enumType("VlmMode", {
  description: "Whether CLIP may give a second opinion.",
  values: {
    AUTO: { description: "The routing rules decide (low CNN confidence, priority classes)." },
    FORCE: { description: "Always ask CLIP (it costs more than the CNN)." },
    OFF: { description: "Never ask CLIP: the CNN answers alone." },
  } as const,
});

export const VlmReasonEnum = builder.enumType("VlmReason", {
  description: "Why CLIP was consulted.",
  values: {
    LOW_CONFIDENCE: { description: "The CNN's top-1 probability was below the high threshold." },
    PRIORITY_CLASS: {
      description: "The CNN's answer is a priority class, which always gets a second opinion.",
    },
    FORCED: { description: "The client asked for it (vlm: FORCE)." },
    CUSTOM_LABELS: { description: "The client sent its own labels, which only CLIP can score." },
  } as const,
});

export const FallbackEnum = builder.enumType("Fallback", {
  description:
    "Why CLIP was wanted but the answer is the CNN's alone. A fallback is never an error.",
  values: {
    TIMEOUT: { description: "CLIP did not answer within the configured time." },
    ERROR: { description: "CLIP failed on this request." },
    OVERLOADED: { description: "CLIP's queue was full." },
    UNAVAILABLE: { description: "CLIP is not loaded, or its circuit breaker is open." },
  } as const,
});

// A Record, so a new code in server/errors/user-error.ts does not build until it is documented here.
const errorCodes: Record<UserErrorCode, { description: string }> = {
  BAD_USER_INPUT: { description: "An argument is invalid, e.g. topK out of range or no file." },
  EMPTY_FILE: { description: "The file has no bytes." },
  INVALID_BASE64: {
    description: "imageBase64 is not base64, or a data URL that does not carry base64.",
  },
  FILE_TOO_LARGE: { description: "The file is larger than UPLOAD_MAX_BYTES (HTTP 413)." },
  INVALID_IMAGE: {
    description: "The bytes are not an image that can be decoded, or it is cut off.",
  },
  UNSUPPORTED_IMAGE_FORMAT: {
    description: "An image format the service does not classify, e.g. SVG (HTTP 415).",
  },
  IMAGE_TOO_SMALL: { description: "A side is shorter than IMAGE_MIN_SIDE pixels." },
  IMAGE_TOO_LARGE: { description: "More pixels than IMAGE_MAX_PIXELS (HTTP 413)." },
  UNKNOWN_PREDICTION: {
    description: "No answer with this id: never given, or older than PREDICTION_TTL_SECONDS.",
  },
  UNKNOWN_LABEL: { description: "The label is not one of the labels the answer was over." },
  DUPLICATE_FEEDBACK: { description: "This answer already has feedback (HTTP 409)." },
  OVERLOADED: { description: "The service is too busy right now; retry later (HTTP 503)." },
  VLM_UNAVAILABLE: {
    description: "The operation needs CLIP, and this service runs without it (HTTP 503).",
  },
  REQUEST_TOO_LARGE: {
    description: "The request body is larger than REQUEST_MAX_BYTES (HTTP 413).",
  },
  TOO_MANY_FILES: { description: "More files than UPLOAD_MAX_FILES in one request (HTTP 413)." },
  TOO_MANY_FIELDS: { description: "More non-file multipart fields than allowed (HTTP 413)." },
  FIELD_TOO_LARGE: {
    description:
      "A multipart field (operations, map) is larger than UPLOAD_MAX_FIELD_BYTES (HTTP 413).",
  },
  TOO_MANY_IMAGES: {
    description: "More images than BATCH_MAX_IMAGES in one request, across all its fields.",
  },
  QUERY_TOO_COMPLEX: {
    description:
      "The operation is too deep, too costly, or has too many aliases, tokens or directives; extensions.limit names the limit.",
  },
  CSRF_HEADER_REQUIRED: {
    description: "A multipart or form request without the graphql-preflight header (HTTP 403).",
  },
  UNAUTHENTICATED: {
    description: "API keys are required and none, or an unknown one, was sent (HTTP 401).",
  },
  FORBIDDEN: {
    description:
      "The API key lacks the scope this operation needs; the message names it (HTTP 403).",
  },
  RATE_LIMITED: {
    description:
      "The API key is over its rate; retry after the Retry-After header's seconds (HTTP 429).",
  },
};

export const ErrorCodeEnum = builder.enumType("ErrorCode", {
  description:
    "What was wrong with a request; the same code is in the GraphQL error's extensions.code.",
  values: errorCodes,
});
