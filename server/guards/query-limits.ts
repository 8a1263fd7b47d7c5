import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { UserError } from "../errors/user-error.ts";

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

/**
 * GraphQL Armor reports a rejection as an untyped "Syntax Error: …" (HTTP 500 under yoga).
 * Its onReject hook runs just before it throws; throwing there instead turns every rejection
 * into one typed error, QUERY_TOO_COMPLEX (400), whose message names the limit and whose
 * extensions.limit says which guard.
 */
const rejectAs =
  (limit: keyof QueryLimits) =>
  (_context: unknown, error: GraphQLError): never => {
    throw new UserError("QUERY_TOO_COMPLEX", error.message.replace(/^Syntax Error: /, ""), {
      extensions: { limit },
    });
  };

/** Depth, alias, token, directive and cost limits, checked at parse and validation, before execution. */
export function queryLimitPlugins(limits: QueryLimits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, onReject: [rejectAs("maxTokens")] }),
    maxDepthPlugin({ n: limits.maxDepth, onReject: [rejectAs("maxDepth")] }),
    maxAliasesPlugin({ n: limits.maxAliases, onReject: [rejectAs("maxAliases")] }),
    maxDirectivesPlugin({ n: limits.maxDirectives, onReject: [rejectAs("maxDirectives")] }),
    costLimitPlugin({ maxCost: limits.maxCost, onReject: [rejectAs("maxCost")] }),
  ] as Plugin[];
}
