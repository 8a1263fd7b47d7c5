import { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

/**
 * Gives the errors yoga and graphql-js raise about the request itself a code and a 4xx status,
 * so every error a client can cause carries `extensions.code` (size limits are typed earlier,
 * by useRequestLimits in server/guards/):
 * - a multipart body yoga cannot read as the GraphQL multipart request spec says (no or broken
 *   `operations` or `map` JSON): BAD_REQUEST, 400 (yoga answers 200 without a code otherwise);
 * - variables that do not fit the operation, such as a File! left null because the `map` names
 *   no file part for it or a part that is not there: BAD_USER_INPUT, 400.
 */
export function useRequestErrorCodes(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          throw typedParseError(error);
        }
      });
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || !result.errors?.some(isUntypedRequestError)) return;
          setResult({
            ...result,
            errors: result.errors.map((error) =>
              isUntypedRequestError(error) ? withCode(error, "BAD_USER_INPUT", 400) : error,
            ),
          });
        },
      };
    },
  };
}

function typedParseError(error: unknown): unknown {
  if (!(error instanceof GraphQLError)) return error;
  return error.extensions.code ? error : withCode(error, "BAD_REQUEST", 400);
}

/** An error about the operation as a whole (no field path) that nobody gave a code. */
function isUntypedRequestError(error: GraphQLError): boolean {
  return !error.path && !error.extensions.code;
}

function withCode(error: GraphQLError, code: string, status: number): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code, http: { status } },
  });
}
