import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./resolvers/classify.ts";
import "./resolvers/embeddings.ts";
import "./resolvers/feedback.ts";
import "./resolvers/service.ts";

/** The executable schema: every type and resolver registered on the builder. */
export const schema = builder.toSchema();

/** The SDL checked in as schema/schema.graphql; sorted so diffs show real changes only. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
