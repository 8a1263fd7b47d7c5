import {
  createCounter,
  createHistogram,
  type FillLabelsFnParams,
  type PrometheusTracingPluginConfig,
} from "@graphql-yoga/plugin-prometheus";
import { type DocumentNode, getOperationAST, Kind } from "graphql";
import type { Registry } from "prom-client";

/** The label value every operation name outside the known set shares. */
export const OTHER_OPERATION = "other";
/** The label of an operation without a name, as the Prometheus plugin writes it. */
export const ANONYMOUS_OPERATION = "Anonymous";

/**
 * The operation name as a label: a known name as it is, none as "Anonymous", anything else
 * pooled as "other". The name is chosen by the client, so kept as it is, every made-up name
 * would add a series to every request metric.
 */
export function operationLabel(known: ReadonlySet<string>, name: string | null | undefined) {
  if (!name) return ANONYMOUS_OPERATION;
  return known.has(name) ? name : OTHER_OPERATION;
}

/**
 * The schema field an error's path starts at, e.g. "classify": the response key is an alias the
 * client chose, so it is resolved to the field it names. "other" when it cannot be (a root
 * fragment), "" for an error without a path (parse, validation).
 */
export function errorField(
  document: DocumentNode | undefined,
  operationName: string | undefined,
  path: readonly (string | number)[] | undefined,
): string {
  const key = path?.[0];
  if (key === undefined) return "";
  const operation = document ? getOperationAST(document, operationName) : null;
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind === Kind.FIELD && (selection.alias ?? selection.name).value === key) {
      return selection.name.value;
    }
  }
  return OTHER_OPERATION;
}

type Params = FillLabelsFnParams & { request?: Request; response?: Response };

/**
 * The GraphQL request metrics the dashboard reads, with labels whose values the server bounds:
 * the operation name (known names only, see `operationLabel`), the operation type, the HTTP
 * method and status, and for errors the phase and the schema field they came from. The
 * metrics the dashboard does not read are off (the plugin enables them unless told not to).
 */
export function graphqlRequestMetrics(
  registry: Registry,
  knownOperations: Iterable<string>,
): NonNullable<PrometheusTracingPluginConfig["metrics"]> {
  const known = new Set(knownOperations);
  const operation = (params: Params) => ({
    operationName: operationLabel(known, params.operationName),
    operationType: params.operationType ?? "unknown",
  });
  const histogram = <Phase extends string>(name: string, help: string, phases: [Phase]) =>
    createHistogram<Phase, "operationName" | "operationType", Params>({
      registry,
      histogram: { name, help, labelNames: ["operationName", "operationType"] },
      fillLabelsFn: operation,
      phases,
    });
  return {
    graphql_yoga_http_duration: createHistogram({
      registry,
      histogram: {
        name: "graphql_yoga_http_duration",
        help: "Time spent on HTTP connection",
        labelNames: ["operationName", "operationType", "method", "statusCode"],
      },
      fillLabelsFn: (params: Params) => ({
        ...operation(params),
        method: params.request?.method ?? "",
        statusCode: params.response?.status ?? 0,
      }),
    }),
    graphql_envelop_request: createCounter({
      registry,
      counter: {
        name: "graphql_envelop_request",
        help: "Counts the amount of GraphQL requests executed through Envelop",
        labelNames: ["operationName", "operationType"],
      },
      fillLabelsFn: operation,
    }),
    graphql_envelop_request_duration: histogram(
      "graphql_envelop_request_duration",
      "Time spent on running the GraphQL operation from parse to execute",
      ["execute"],
    ),
    graphql_envelop_phase_execute: histogram(
      "graphql_envelop_phase_execute",
      "Time spent on running the GraphQL execute function",
      ["execute"],
    ),
    graphql_envelop_error_result: createCounter({
      registry,
      counter: {
        name: "graphql_envelop_error_result",
        help: "Counts the amount of errors reported from all phases",
        labelNames: ["operationName", "operationType", "path", "phase"],
      },
      fillLabelsFn: (params: Params & { errorPhase?: string }) => ({
        ...operation(params),
        phase: params.errorPhase ?? "",
        path: errorField(params.document, params.operationName, params.error?.path),
      }),
    }),
    graphql_envelop_phase_parse: false,
    graphql_envelop_phase_validate: false,
    graphql_envelop_phase_context: false,
    graphql_envelop_phase_subscribe: false,
    graphql_envelop_request_time_summary: false,
    graphql_envelop_schema_change: false,
    graphql_envelop_deprecated_field: false,
    graphql_envelop_execute_resolver: false,
  };
}
