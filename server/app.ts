import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { createFetch } from "@whatwg-node/fetch";
import { createYoga, useReadinessCheck } from "graphql-yoga";
import type { GraphQLContext } from "../schema/context.ts";
import { schema } from "../schema/index.ts";
import { SHIPPED_OPERATION_NAMES } from "../schema/operation-names.ts";
import { createApiKeyGuard } from "./auth/use-api-keys.ts";
import { useDemoPage } from "./demo/use-demo-page.ts";
import { useCsrfPrevention } from "./guards/csrf.ts";
import { createImageBudget } from "./guards/image-budget.ts";
import { schemaPrivacyPlugins } from "./guards/introspection.ts";
import { formDataLimits } from "./guards/multipart-limits.ts";
import { queryLimitPlugins } from "./guards/query-limits.ts";
import { useRejectionMetrics } from "./guards/use-rejection-metrics.ts";
import { useRequestLimits } from "./guards/use-request-limits.ts";
import { useUserErrorStatus } from "./guards/use-user-error-status.ts";
import { corsPolicy, useVaryByOrigin } from "./http/cors.ts";
import { createGraphiQLRenderer, graphiqlOptions } from "./http/graphiql.ts";
import { useRequestErrorCodes } from "./http/request-error-codes.ts";
import { useUploadBudget } from "./http/use-upload-budget.ts";
import { createByteBudget } from "./load-control/byte-budget.ts";
import { createImageLoaders } from "./pipeline/image-loader.ts";
import type { ServiceRuntime } from "./runtime/service-runtime.ts";
import { graphqlRequestMetrics } from "./telemetry/graphql-metrics.ts";
import { useTraceContext } from "./telemetry/tracing-context.ts";

/**
 * The HTTP handler: GraphQL (+ GraphiQL) on /graphql, the demo page on /, liveness on /health,
 * readiness on /ready, Prometheus metrics on /metrics.
 */
export function createApp(runtime: ServiceRuntime, options: { now?: () => number } = {}) {
  const { limits, http, graphql, auth } = runtime.config;
  const { metrics } = runtime;
  const apiKeys = createApiKeyGuard({
    keys: auth.keys,
    defaultRate: auth.defaultRate,
    onAdmitted: (key) => metrics.apiKeyRequests.inc({ key }),
    now: options.now,
  });
  const uploadBudget = createByteBudget(limits.uploadBudgetBytes);
  metrics.sources.uploadBytesInFlight = () => uploadBudget.inUse;
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: http.graphiql ? graphiqlOptions(runtime.models.pack.labels) : false,
    renderGraphiQL: createGraphiQLRenderer(),
    cors: corsPolicy(http.corsOrigins),
    // Upload limits are enforced while the body streams in, before a file is held in memory whole.
    fetchAPI: createFetch({ formDataLimits: formDataLimits(limits) }),
    // yoga counts body bytes as they stream in; useRequestLimits types its error.
    maxRequestBodySize: limits.requestMaxBytes,
    // Internal errors read "Unexpected error." with code INTERNAL_SERVER_ERROR; their message
    // and stack are logged, and sent only when ERROR_DETAILS is on (never in production).
    maskedErrors: { isDev: graphql.errorDetails },
    context: ({ request }) => ({
      runtime,
      loadImage: createImageLoaders(runtime.classifier),
      access: apiKeys.accessFor(request),
      imageBudget: createImageBudget(limits.batchMaxImages),
    }),
    plugins: [
      ...(http.corsOrigins.length > 0 ? [useVaryByOrigin()] : []),
      // Static GET routes: the guards below concern GraphQL requests.
      ...(http.demoPage ? [useDemoPage()] : []),
      // Guards first, cheapest first: all but the query limits (parse and validation, before
      // execution) refuse a request before its body is read. useRequestLimits must wrap the
      // request parser before any plugin that retypes parse errors does.
      useUserErrorStatus(),
      useRejectionMetrics((reason) => metrics.requestsRejected.inc({ reason })),
      useCsrfPrevention(),
      apiKeys.plugin,
      useRequestLimits(limits),
      // After the size limits: a body too large for any budget is REQUEST_TOO_LARGE, not OVERLOADED.
      useUploadBudget(uploadBudget, () => metrics.uploadBudgetRefusals.inc()),
      ...queryLimitPlugins(graphql),
      ...schemaPrivacyPlugins(graphql.introspection),
      // After useRequestLimits, which must see the parser's limit errors first.
      useRequestErrorCodes(),
      // The caller's W3C traceparent becomes the parent of the request's spans.
      useTraceContext(),
      // GraphQL request metrics (RED) on the service's registry, and /metrics for Prometheus.
      usePrometheus({
        registry: runtime.metrics.registry,
        endpoint: "/metrics",
        // Only what the dashboard reads, with bounded labels: operation names a client made up
        // are pooled, so they cannot add series.
        metrics: graphqlRequestMetrics(runtime.metrics.registry, [
          ...SHIPPED_OPERATION_NAMES,
          ...runtime.config.metrics.operationNames,
        ]),
        // No url label: every distinct URL (ports, query strings) would be its own series.
        labels: { method: true, statusCode: true, url: false },
      }),
      useReadinessCheck({
        endpoint: "/ready",
        check: () => {
          const { models, warmUp, lifecycle } = runtime;
          const redis = runtime.redisHealth();
          // Redis down is not "unready": every replica still answers, from its local state.
          const body = {
            ready: !lifecycle.draining,
            draining: lifecycle.draining,
            pack: models.pack.name,
            cnn: "loaded",
            vlm: models.clip ? "loaded" : "unavailable",
            vlmUnavailableReason: models.clipUnavailableReason,
            variants: models.variants,
            cnnPriority: runtime.cnnPriority,
            warmUpSeconds: warmUp.seconds,
            redis: redis.state,
            redisLastError: redis.lastError,
            redisLastErrorAt: redis.lastErrorAt,
          };
          return Response.json(body, { status: body.ready ? 200 : 503 });
        },
      }),
    ],
  });
}
