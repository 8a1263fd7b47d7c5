import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as OTLP/JSON carries it, with attributes flattened to a plain object. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

/**
 * A minimal OTLP/HTTP trace receiver on loopback: accepts POST /v1/traces with JSON bodies
 * (what @opentelemetry/exporter-trace-otlp-http sends) and keeps the spans.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const resource of body.resourceSpans ?? []) {
          for (const scope of resource.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                name: span.name,
                traceId: span.traceId,
                parentSpanId: span.parentSpanId,
                attributes: Object.fromEntries(
                  (span.attributes ?? []).map((a: { key: string; value: OtlpValue }) => [
                    a.key,
                    attributeValue(a.value),
                  ]),
                ),
              });
            }
          }
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function attributeValue(value: OtlpValue): unknown {
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}
