import { context, propagation, ROOT_CONTEXT, type TextMapGetter } from "@opentelemetry/api";
import type { Plugin } from "graphql-yoga";

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * The caller's trace context (W3C `traceparent`/`tracestate`), read from the request's headers.
 * The propagator is the one the tracing SDK registers (W3C Trace Context); a malformed or absent
 * header yields the root context, so the request starts a trace of its own and never fails.
 */
export function callerTraceContext(headers: Headers) {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/**
 * Runs each GraphQL execution inside the caller's trace context, so the resolvers' spans
 * (`classify`, then every pipeline step below it) join the caller's trace as children of the
 * caller's span. Without an SDK registered the extraction is a no-op.
 */
export function useTraceContext(): Plugin<{ request?: Request }> {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const request = (args.contextValue as { request?: Request } | undefined)?.request;
        if (!request) return executeFn(args);
        return context.with(callerTraceContext(request.headers), () => executeFn(args));
      });
    },
  };
}
