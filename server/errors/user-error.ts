import { GraphQLError } from "graphql";

/**
 * Codes a client can branch on: its own mistakes, what the service refuses to take (limits,
 * access), and OVERLOADED / RATE_LIMITED (retry later). Anything else is a server fault, masked
 * by yoga.
 */
export const userErrorCodes = [
  "BAD_USER_INPUT",
  "EMPTY_FILE",
  "FILE_TOO_LARGE",
  "INVALID_IMAGE",
  "UNSUPPORTED_IMAGE_FORMAT",
  "IMAGE_TOO_SMALL",
  "IMAGE_TOO_LARGE",
  "UNKNOWN_PREDICTION",
  "UNKNOWN_LABEL",
  "DUPLICATE_FEEDBACK",
  "OVERLOADED",
  "REQUEST_TOO_LARGE",
  "TOO_MANY_FILES",
  "TOO_MANY_FIELDS",
  "FIELD_TOO_LARGE",
  "TOO_MANY_IMAGES",
  "QUERY_TOO_COMPLEX",
  "CSRF_HEADER_REQUIRED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "RATE_LIMITED",
] as const;

export type UserErrorCode = (typeof userErrorCodes)[number];

const httpStatusByCode: Record<UserErrorCode, number> = {
  BAD_USER_INPUT: 400,
  EMPTY_FILE: 400,
  FILE_TOO_LARGE: 413,
  INVALID_IMAGE: 400,
  UNSUPPORTED_IMAGE_FORMAT: 415,
  IMAGE_TOO_SMALL: 400,
  IMAGE_TOO_LARGE: 413,
  UNKNOWN_PREDICTION: 404,
  UNKNOWN_LABEL: 400,
  DUPLICATE_FEEDBACK: 409,
  OVERLOADED: 503,
  REQUEST_TOO_LARGE: 413,
  TOO_MANY_FILES: 413,
  TOO_MANY_FIELDS: 413,
  FIELD_TOO_LARGE: 413,
  TOO_MANY_IMAGES: 400,
  QUERY_TOO_COMPLEX: 400,
  CSRF_HEADER_REQUIRED: 403,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
};

export interface UserErrorOptions {
  /** HTTP response headers, e.g. Retry-After (yoga sets them; they never show in the body). */
  headers?: Record<string, string>;
  /** More fields for extensions beside code, e.g. the limit or scope in question. */
  extensions?: Record<string, unknown>;
}

/**
 * An error the client is meant to read: what it sent was wrong, or it should retry later.
 * Yoga shows its message and code unmasked; every other error is masked as an internal one.
 */
export class UserError extends GraphQLError {
  readonly code: UserErrorCode;

  constructor(code: UserErrorCode, message: string, options: UserErrorOptions = {}) {
    super(message, {
      extensions: {
        ...options.extensions,
        code,
        http: { status: httpStatusByCode[code], headers: options.headers },
      },
    });
    this.code = code;
  }
}

export const badInput = (message: string) => new UserError("BAD_USER_INPUT", message);
export const invalidImage = (message: string) => new UserError("INVALID_IMAGE", message);
export const unsupportedFormat = (format: string) =>
  new UserError("UNSUPPORTED_IMAGE_FORMAT", `image format "${format}" is not supported`);
