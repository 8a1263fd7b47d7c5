import { GraphQLError } from "graphql";

/**
 * Codes a client can branch on, with their HTTP status: its own mistakes, what the service
 * refuses to take (limits, access), and OVERLOADED / RATE_LIMITED (retry later). Anything else is
 * a server fault, masked by yoga. `refused` marks the guards' codes: a request the service would
 * not take, as opposed to an image it could not read.
 */
const userErrors = {
  BAD_USER_INPUT: { status: 400 },
  EMPTY_FILE: { status: 400 },
  INVALID_BASE64: { status: 400 },
  FILE_TOO_LARGE: { status: 413, refused: true },
  INVALID_IMAGE: { status: 400 },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415 },
  IMAGE_TOO_SMALL: { status: 400 },
  IMAGE_TOO_LARGE: { status: 413 },
  UNKNOWN_PREDICTION: { status: 404 },
  UNKNOWN_LABEL: { status: 400 },
  DUPLICATE_FEEDBACK: { status: 409 },
  OVERLOADED: { status: 503 },
  VLM_UNAVAILABLE: { status: 503 },
  REQUEST_TOO_LARGE: { status: 413, refused: true },
  TOO_MANY_FILES: { status: 413, refused: true },
  TOO_MANY_FIELDS: { status: 413, refused: true },
  FIELD_TOO_LARGE: { status: 413, refused: true },
  TOO_MANY_IMAGES: { status: 400, refused: true },
  QUERY_TOO_COMPLEX: { status: 400, refused: true },
  CSRF_HEADER_REQUIRED: { status: 403, refused: true },
  UNAUTHENTICATED: { status: 401, refused: true },
  FORBIDDEN: { status: 403, refused: true },
  RATE_LIMITED: { status: 429, refused: true },
} as const satisfies Record<string, { status: number; refused?: true }>;

export type UserErrorCode = keyof typeof userErrors;

export const userErrorCodes = Object.keys(userErrors) as readonly UserErrorCode[];

/** The guards' codes: what requests_rejected_total counts. */
export const refusalCodes: ReadonlySet<string> = new Set(
  userErrorCodes.filter((code) => "refused" in userErrors[code]),
);

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
        http: { status: userErrors[code].status, headers: options.headers },
      },
    });
    this.code = code;
  }
}

export const badInput = (message: string) => new UserError("BAD_USER_INPUT", message);
export const invalidImage = (message: string) => new UserError("INVALID_IMAGE", message);
export const unsupportedFormat = (format: string) =>
  new UserError("UNSUPPORTED_IMAGE_FORMAT", `image format "${format}" is not supported`);
