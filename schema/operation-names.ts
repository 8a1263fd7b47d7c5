import { Kind, parse } from "graphql";
import * as documents from "./generated/operations.ts";

/**
 * The names of the operations this repository ships (schema/operations/*.graphql, as codegen
 * compiled them): the examples GraphiQL shows, the demo page and the typed client send. The
 * request metrics keep these names as labels and pool every other one.
 */
export const SHIPPED_OPERATION_NAMES: readonly string[] = [
  ...new Set(
    Object.values(documents)
      .filter((value) => value instanceof String)
      .flatMap((document) =>
        parse(String(document)).definitions.flatMap((definition) =>
          definition.kind === Kind.OPERATION_DEFINITION && definition.name
            ? [definition.name.value]
            : [],
        ),
      ),
  ),
].sort();
