import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { createFetch } from "@whatwg-node/fetch";
import { createYoga, useReadinessCheck } from "graphql-yoga";
import type { GraphQLContext } from "../schema/context.ts";
import { schema } from "../schema/index.ts";
import { createImageLoaders } from "./pipeline/image-loader.ts";
import { useRequestErrorCodes } from "./request-error-codes.ts";
import type { Runtime } from "./runtime.ts";

// Room for the multipart "operations" and "map" fields besides the files.
const NON_FILE_FIELD_MAX_BYTES = 1024 * 1024;

const EXAMPLE_QUERY = `# Labels this service classifies into, and the models behind it.
# To classify, send a multipart request (see the README), e.g.
#   mutation ($image: File!) { classify(image: $image) { top { label score } vlmUsed vlmReason } }
query About {
  labels
  models { name role file }
  health { ready pack vlmAvailable }
}
`;

/**
 * The HTTP handler: GraphQL (+ GraphiQL) on /graphql, liveness on /health, readiness on /ready,
 * Prometheus metrics on /metrics.
 */
export function createApp(runtime: Runtime) {
  const { limits, http } = runtime.config;
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: http.graphiql
      ? { title: "Image classification", defaultQuery: EXAMPLE_QUERY }
      : false,
    // Upload limits are enforced while the body streams in, before a file is held in memory whole.
    fetchAPI: createFetch({
      formDataLimits: {
        fileSize: limits.uploadMaxBytes,
        files: limits.batchMaxImages,
        fieldSize: NON_FILE_FIELD_MAX_BYTES,
      },
    }),
    context: () => ({ runtime, loadImage: createImageLoaders(runtime.classifier) }),
    plugins: [
      useRequestErrorCodes(),
      // GraphQL request metrics (RED) on the service's registry, and /metrics for Prometheus.
      usePrometheus({
        registry: runtime.metrics.registry,
        endpoint: "/metrics",
        // Only what the dashboard reads; the plugin enables the rest unless told not to.
        metrics: {
          graphql_yoga_http_duration: true,
          graphql_envelop_request: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
          graphql_envelop_phase_execute: true,
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_request_time_summary: false,
          graphql_envelop_schema_change: false,
          graphql_envelop_deprecated_field: false,
        },
        // No url label: every distinct URL (ports, query strings) would be its own series.
        labels: { method: true, statusCode: true, url: false },
      }),
      useReadinessCheck({
        endpoint: "/ready",
        check: () => {
          const { models, warmUpSeconds, lifecycle } = runtime;
          const body = {
            ready: warmUpSeconds !== null && !lifecycle.draining,
            draining: lifecycle.draining,
            pack: models.pack.name,
            cnn: "loaded",
            vlm: models.clip ? "loaded" : "unavailable",
            vlmUnavailableReason: models.clipUnavailableReason,
            warmUpSeconds,
          };
          return Response.json(body, { status: body.ready ? 200 : 503 });
        },
      }),
    ],
  });
}
