import { type Attributes, type Span, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = trace.getTracer("vision-classify");

function recordFailure(span: Span, error: unknown): never {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
  throw error;
}

/**
 * Runs one pipeline step inside a span: attributes in, the exception recorded on failure, the
 * span always ended. Without an SDK registered this costs a no-op span.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      return recordFailure(span, error);
    } finally {
      span.end();
    }
  });
}

/** The synchronous twin of withSpan, for cheap steps (routing, the ensemble). */
export function withSpanSync<T>(name: string, attributes: Attributes, work: (span: Span) => T): T {
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    try {
      return work(span);
    } catch (error) {
      return recordFailure(span, error);
    } finally {
      span.end();
    }
  });
}
