import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

export interface TracingOptions {
  /** OTLP/HTTP collector base URL, e.g. http://otel-collector:4318; tracing is off without it. */
  endpoint: string | null;
  serviceName: string;
  /** Longest an export or the final flush may take; a dead collector never holds up the service. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * Registers the OpenTelemetry SDK with an OTLP/HTTP exporter when an endpoint is configured.
 * Spans are batched and exported in the background: an unreachable collector drops spans and
 * never slows or fails a request. `shutdown` flushes within `timeoutMs`, then gives up.
 */
export function startTracing({ endpoint, serviceName, timeoutMs = 2000 }: TracingOptions) {
  if (!endpoint) return { enabled: false, shutdown: async () => {} };
  const exporter = new OTLPTraceExporter({
    url: `${endpoint.replace(/\/$/, "")}/v1/traces`,
    timeoutMillis: timeoutMs,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: 500,
        exportTimeoutMillis: timeoutMs,
      }),
    ],
  });
  provider.register();
  return {
    enabled: true,
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([provider.shutdown().catch(() => {}), deadline]);
      clearTimeout(timer);
    },
  };
}
