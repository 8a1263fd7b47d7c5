import { createFetch } from "@whatwg-node/fetch";
import { createYoga, useReadinessCheck } from "graphql-yoga";
import type { GraphQLContext } from "../schema/context.ts";
import { schema } from "../schema/index.ts";
import { createImageLoaders } from "./pipeline/image-loader.ts";
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

/** The HTTP handler: GraphQL (+ GraphiQL) on /graphql, liveness on /health, readiness on /ready. */
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
      useReadinessCheck({
        endpoint: "/ready",
        check: () => {
          const { models, warmUpSeconds } = runtime;
          const body = {
            ready: warmUpSeconds !== null,
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
