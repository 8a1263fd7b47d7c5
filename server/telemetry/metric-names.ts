/**
 * Every metric the service exports, by name. The dashboards and alert rules are generated
 * against this list (dashboards/lib/metrics.json), so renaming one breaks the build, not a panel.
 */
export const METRICS = {
  /** CLIP second opinions, by why they were asked (low_confidence, priority_class, forced, custom_labels). */
  clipInvocations: "vlm_invocations_total",
  /** Time CLIP took for a request, queue and compute included (histogram). */
  clipLatency: "vlm_latency_seconds",
  /** The CNN's top-1 probability per image (histogram). */
  cnnConfidence: "cnn_confidence",
  /** Rolling accuracy of the final answers minus the CNN's, over the last N feedbacks (gauge). */
  clipAccuracyDelta: "vlm_accuracy_delta",
  /** Feedback received, by outcome (both_right, cnn_right_only, final_right_only, both_wrong). */
  feedback: "feedback_total",
  /** Answers where CLIP was wanted but the CNN answered alone, by cause. */
  clipFallbacks: "vlm_fallbacks_total",
  /** Images per model call (histogram), by role (cnn, clip_vision). */
  batchSize: "inference_batch_size",
  /** Time an item waited in a batcher queue (histogram), by role. */
  queueWait: "inference_queue_wait_seconds",
  /** Time one batched model call took (histogram), by role. */
  compute: "inference_compute_seconds",
  /** Items waiting in a batcher queue (gauge), by role. */
  queueLength: "inference_queue_length",
  /** Most items a batcher queue holds before refusing (gauge), by role: CNN_QUEUE_MAX, VLM_QUEUE_MAX. */
  queueCapacity: "inference_queue_capacity",
  /** Items a batcher refused before compute, by role and reason (queue_full, deadline): load, not faults. */
  batchAdmissionRejections: "batch_admission_rejections_total",
  /** Cache lookups by cache, result (hit, miss) and level that answered (memory, redis; none for a miss). */
  cacheLookups: "cache_lookups_total",
  /** Bytes held by a cache (gauge), by cache. */
  cacheBytes: "cache_bytes",
  /** Image decode + preprocess time (histogram), waiting for a decode slot excluded. */
  decode: "image_decode_seconds",
  /** Image decodes running now (gauge), at most DECODE_CONCURRENCY. */
  decodesActive: "image_decodes_active",
  /** Images waiting for a decode slot (gauge); past DECODE_QUEUE_MAX they are refused. */
  decodeQueueLength: "image_decode_queue_length",
  /** Images classified, by result (ok, or the error code). */
  images: "images_classified_total",
  /** Final answers by label. */
  predictions: "predictions_total",
  /** Model load time at start (gauge), by role (cnn, clip_vision, clip_text); model_info names the file. */
  modelLoad: "model_load_seconds",
  /**
   * 1 for each loaded model (gauge), by pack, version (pack.json's), role, file, sha256 of the
   * file and precision: joins any per-role series to the exact file, and changes on a deploy.
   */
  modelInfo: "model_info",
  /** Circuit breaker state (gauge), by role and state (closed, open, half-open): 1 for the current state, 0 for the others. */
  breakerState: "circuit_breaker_state",
  /** 1 for each model's running variant (gauge), by role, precision and threads; source says measured or configured. */
  modelVariant: "model_variant_info",
  /** Warm-up time at start: every batch size through each batched model, then one request (gauge). */
  warmUp: "model_warmup_seconds",
  /** Redis operations that went on without Redis (local fallback), by operation and cause. */
  redisFailures: "redis_failures_total",
  /** 1 while connected to Redis, 0 while not; absent when no REDIS_URL is set (gauge). */
  redisConnected: "redis_connected",
  /** Requests refused by a guard, by reason: the error code in lower case (rate_limited, request_too_large, …). */
  requestsRejected: "requests_rejected_total",
  /** Client connections open now (gauge); past HTTP_MAX_CONNECTIONS new ones are closed at once. */
  openConnections: "http_open_connections",
  /**
   * Requests or connections the server cut off, by cause: headers_timeout, request_timeout,
   * body_too_slow (under HTTP_BODY_MIN_BYTES_PER_SECOND over its window), max_connections.
   */
  requestsCutOff: "http_requests_cut_off_total",
  /** Request body bytes in flight now, counted against UPLOAD_BUDGET_BYTES (gauge). */
  uploadBytesInFlight: "upload_bytes_in_flight",
  /** Requests refused as OVERLOADED because their body would not fit in UPLOAD_BUDGET_BYTES. */
  uploadBudgetRefusals: "upload_budget_refusals_total",
  /** Requests an API key admitted, by the key's name (never the key). */
  apiKeyRequests: "api_key_requests_total",
  /**
   * CPU seconds by thread group (counter): main (event loop), cnn, clip_vision, clip_text,
   * image_decode (libvips) and other (libuv's pool, V8). Linux only.
   */
  threadCpu: "thread_cpu_seconds_total",
  /** Resident set size of the process (from prom-client's default metrics). */
  rss: "process_resident_memory_bytes",
} as const;

/** Why the server cut a client off: the `cause` label of METRICS.requestsCutOff. */
export const CUT_OFF_CAUSES = [
  "headers_timeout",
  "request_timeout",
  "body_too_slow",
  "max_connections",
] as const;
export type CutOffCause = (typeof CUT_OFF_CAUSES)[number];
