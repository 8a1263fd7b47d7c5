import SchemaBuilder from "@pothos/core";
import type { GraphQLContext } from "./context.ts";

/** The one Pothos builder; every type file adds its types to it. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    // Uploads arrive through the GraphQL multipart request spec as Web API File objects.
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.scalarType("File", {
  description:
    "An uploaded file, sent as a part of a multipart/form-data request (GraphQL multipart request spec).",
  serialize: () => {
    throw new Error("File is an input-only scalar");
  },
});

builder.queryType({ description: "What the service knows: its labels, models and health." });
builder.mutationType({ description: "Classifying images, and feedback on the answers." });
