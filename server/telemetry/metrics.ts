import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from "prom-client";
import { CUT_OFF_CAUSES, METRICS } from "./metric-names.ts";

/** A circuit breaker's states, as the load-control breaker names them (the gauge's `state`). */
export const BREAKER_STATES = ["closed", "open", "half-open"] as const;
type CircuitState = (typeof BREAKER_STATES)[number];

import { createThreadCpuReader } from "./thread-cpu.ts";

// Latency buckets from 1 ms to 5 s: CNN calls take milliseconds, CLIP calls tens to hundreds.
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const PROBABILITY = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1];
const BATCH = [1, 2, 4, 8, 16, 32];

/**
 * The service's instruments, registered on the registry passed in (tests use a fresh one).
 * Names come from METRICS; labels are kept low-cardinality (reasons, causes, model roles, labels
 * of the pack — never ids or user-supplied text). A label means one thing everywhere: `role` is
 * the model's job (cnn, clip_vision, clip_text) and `model_info` maps it to its file.
 */
export function createMetrics(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  // Counters with a 0 series for every label set they will count, so rate() and alerts see them
  // from the first scrape rather than the first event; set again by resetForTraffic.
  const zeroes: (() => void)[] = [];
  function zeroed<L extends string>(
    counter: Counter<L>,
    labelSets: readonly Partial<Record<L, string>>[],
  ): Counter<L> {
    const zero = () => {
      for (const labels of labelSets) counter.inc(labels, 0);
    };
    zero();
    zeroes.push(zero);
    return counter;
  }
  /** Read at scrape time, so gauges show the state now, not at the last event. */
  const sources = {
    queueLengths: (): Record<string, number> => ({}),
    /** Each batcher queue's maximum, by role (constant once the pipeline is built). */
    queueCapacities: (): Record<string, number> => ({}),
    cacheBytes: (): Record<string, number> => ({}),
    /** The accuracy window now: fleet-wide ones live in Redis, so this may ask it. */
    accuracyDelta: async (): Promise<number | null> => null,
    /** Whether Redis is connected; null when none is configured. */
    redisConnected: (): boolean | null => null,
    decodes: () => ({ active: 0, waiting: 0 }),
    /** Each circuit breaker's state now, by the role of the model it guards. */
    breakerStates: (): Record<string, CircuitState> => ({}),
    /** Client connections open now. */
    openConnections: () => 0,
    /** Request body bytes held against the upload budget now. */
    uploadBytesInFlight: () => 0,
    /** Each model's OS threads now, so the CPU split can name them. */
    modelThreads: (): Record<string, readonly number[]> => ({}),
  };
  const threadCpuSince = createThreadCpuReader(() => sources.modelThreads());
  const setAll = (gauge: Gauge, label: string, values: Record<string, number>) => {
    for (const [key, value] of Object.entries(values)) gauge.set({ [label]: key }, value);
  };
  return {
    registry,
    sources,
    clipInvocations: new Counter({
      name: METRICS.clipInvocations,
      help: "CLIP second opinions by reason.",
      labelNames: ["reason"],
      registers,
    }),
    clipLatency: new Histogram({
      name: METRICS.clipLatency,
      help: "CLIP time per request, queue included.",
      buckets: SECONDS,
      registers,
    }),
    cnnConfidence: new Histogram({
      name: METRICS.cnnConfidence,
      help: "CNN top-1 probability per image.",
      buckets: PROBABILITY,
      registers,
    }),
    clipAccuracyDelta: new Gauge({
      name: METRICS.clipAccuracyDelta,
      help: "Rolling accuracy of final answers minus the CNN's, from feedback.",
      registers,
      async collect() {
        const delta = await sources.accuracyDelta();
        if (delta !== null) this.set(delta);
      },
    }),
    feedback: new Counter({
      name: METRICS.feedback,
      help: "Feedback by outcome.",
      labelNames: ["outcome"],
      registers,
    }),
    clipFallbacks: new Counter({
      name: METRICS.clipFallbacks,
      help: "CNN-only answers where CLIP was wanted, by cause.",
      labelNames: ["cause"],
      registers,
    }),
    batchSize: new Histogram({
      name: METRICS.batchSize,
      help: "Images per model call.",
      labelNames: ["role"],
      buckets: BATCH,
      registers,
    }),
    queueWait: new Histogram({
      name: METRICS.queueWait,
      help: "Time waiting for a batch slot.",
      labelNames: ["role"],
      buckets: SECONDS,
      registers,
    }),
    compute: new Histogram({
      name: METRICS.compute,
      help: "Time of one batched model call.",
      labelNames: ["role"],
      buckets: SECONDS,
      registers,
    }),
    batchAdmissionRejections: new Counter({
      name: METRICS.batchAdmissionRejections,
      help: "Items a batcher refused before compute, by reason (queue_full, deadline).",
      labelNames: ["role", "reason"],
      registers,
    }),
    queueLength: new Gauge({
      name: METRICS.queueLength,
      help: "Items waiting in a batcher queue.",
      labelNames: ["role"],
      registers,
      collect() {
        setAll(this, "role", sources.queueLengths());
      },
    }),
    queueCapacity: new Gauge({
      name: METRICS.queueCapacity,
      help: "Most items a batcher queue holds before refusing.",
      labelNames: ["role"],
      registers,
      collect() {
        setAll(this, "role", sources.queueCapacities());
      },
    }),
    cacheLookups: new Counter({
      name: METRICS.cacheLookups,
      help: "Cache lookups by cache, result and the level that answered.",
      labelNames: ["cache", "result", "level"],
      registers,
    }),
    cacheBytes: new Gauge({
      name: METRICS.cacheBytes,
      help: "Bytes held by a cache.",
      labelNames: ["cache"],
      registers,
      collect() {
        setAll(this, "cache", sources.cacheBytes());
      },
    }),
    decode: new Histogram({
      name: METRICS.decode,
      help: "Image decode and preprocess time.",
      buckets: SECONDS,
      registers,
    }),
    decodesActive: new Gauge({
      name: METRICS.decodesActive,
      help: "Image decodes running now.",
      registers,
      collect() {
        this.set(sources.decodes().active);
      },
    }),
    decodeQueueLength: new Gauge({
      name: METRICS.decodeQueueLength,
      help: "Images waiting for a decode slot.",
      registers,
      collect() {
        this.set(sources.decodes().waiting);
      },
    }),
    threadCpu: new Counter({
      name: METRICS.threadCpu,
      help: "CPU seconds by thread group (main, each model, image_decode, other).",
      labelNames: ["threads"],
      registers,
      collect() {
        for (const [threads, seconds] of Object.entries(threadCpuSince()))
          this.inc({ threads }, seconds);
      },
    }),
    images: new Counter({
      name: METRICS.images,
      help: "Images classified, by result.",
      labelNames: ["result"],
      registers,
    }),
    predictions: new Counter({
      name: METRICS.predictions,
      help: "Final answers by label.",
      labelNames: ["label"],
      registers,
    }),
    modelLoad: new Gauge({
      name: METRICS.modelLoad,
      help: "Model load time at start.",
      labelNames: ["role"],
      registers,
    }),
    modelInfo: new Gauge({
      name: METRICS.modelInfo,
      help: "Each loaded model (value 1): pack, pack version, role, file, file sha256, precision.",
      labelNames: ["pack", "version", "role", "file", "sha256", "precision"],
      registers,
    }),
    breakerState: new Gauge({
      name: METRICS.breakerState,
      help: "Circuit breaker state by role: 1 for the current state, 0 for the others.",
      labelNames: ["role", "state"],
      registers,
      collect() {
        for (const [role, current] of Object.entries(sources.breakerStates())) {
          for (const state of BREAKER_STATES) this.set({ role, state }, state === current ? 1 : 0);
        }
      },
    }),
    modelVariant: new Gauge({
      name: METRICS.modelVariant,
      help: "The variant each model runs with (value 1): measured on this machine or configured.",
      labelNames: ["role", "precision", "threads", "source"],
      registers,
    }),
    requestsRejected: new Counter({
      name: METRICS.requestsRejected,
      help: "Requests refused by a guard (limits, access, rate), by reason.",
      labelNames: ["reason"],
      registers,
    }),
    openConnections: new Gauge({
      name: METRICS.openConnections,
      help: "Client connections open now.",
      registers,
      collect() {
        this.set(sources.openConnections());
      },
    }),
    requestsCutOff: zeroed(
      new Counter({
        name: METRICS.requestsCutOff,
        help: "Requests or connections cut off, by cause (timeouts, too slow a body, too many connections).",
        labelNames: ["cause"],
        registers,
      }),
      CUT_OFF_CAUSES.map((cause) => ({ cause })),
    ),
    /** Every counter back to zero (what warm-up counted is not traffic), zeroed series kept. */
    resetForTraffic() {
      registry.resetMetrics();
      for (const zero of zeroes) zero();
    },
    uploadBytesInFlight: new Gauge({
      name: METRICS.uploadBytesInFlight,
      help: "Request body bytes in flight, counted against the upload budget.",
      registers,
      collect() {
        this.set(sources.uploadBytesInFlight());
      },
    }),
    uploadBudgetRefusals: new Counter({
      name: METRICS.uploadBudgetRefusals,
      help: "Requests refused as OVERLOADED because the upload budget was spent.",
      registers,
    }),
    apiKeyRequests: new Counter({
      name: METRICS.apiKeyRequests,
      help: "Requests admitted by an API key, by key name.",
      labelNames: ["key"],
      registers,
    }),
    warmUp: new Gauge({
      name: METRICS.warmUp,
      help: "Warm-up time at start: every batch size of each batched model, then one request.",
      registers,
    }),
    redisFailures: new Counter({
      name: METRICS.redisFailures,
      help: "Redis operations answered locally instead, by operation and cause.",
      labelNames: ["operation", "cause"],
      registers,
    }),
    redisConnected: new Gauge({
      name: METRICS.redisConnected,
      help: "1 while connected to Redis, 0 while not.",
      registers,
      collect() {
        const connected = sources.redisConnected();
        if (connected === null) this.reset();
        else this.set(connected ? 1 : 0);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
