// The service dashboard: traffic and errors, latency, the CLIP second opinion, CNN confidence,
// accuracy from feedback, batching, caches, fallbacks, rejections, the decode queue, API keys,
// Redis, the process and the models (annotated when they change). Render with
// scripts/render-dashboards.sh; every metric name comes from lib/metrics.json, which is
// generated from server/telemetry/metric-names.ts.
local g = import 'github.com/grafana/grafonnet/gen/grafonnet-latest/main.libsonnet';
local m = import 'lib/metrics.json';
local p = import 'lib/panels.libsonnet';
local q = import 'lib/queries.libsonnet';

// Alert thresholds (monitoring/rules/vision-classify.yml), drawn on the matching panels. Kept
// in whole percent and milliseconds: jsonnet prints 0.4 as 0.40000000000000002 in a string.
local alerts = {
  fallbackPercent: 10,
  clipLatencyP95Ms: 400,
  // Of each batcher's own maximum (m.queueCapacity): 1024 for the CNN, 64 for CLIP.
  queueSaturationPercent: 75,
  lowConfidencePercent: 60,
};
// The routing's low threshold (VLM_THRESHOLD_LOW, default 0.65), a bucket bound of the
// confidence histogram.
local lowConfidence = '0.65';

local percentiles(histogram) = [
  p.target(q.quantile(quantile[0], histogram), quantile[1])
  for quantile in [['0.5', 'p50'], ['0.95', 'p95'], ['0.99', 'p99']]
];

local variables = [
  g.dashboard.variable.datasource.new('datasource', 'prometheus')
  + g.dashboard.variable.datasource.generalOptions.withLabel('Data source'),
  g.dashboard.variable.query.new('job')
  + g.dashboard.variable.query.withDatasource('prometheus', '${datasource}')
  + g.dashboard.variable.query.queryTypes.withLabelValues('job', m.rss)
  + g.dashboard.variable.query.refresh.onLoad()
  + g.dashboard.variable.query.generalOptions.withCurrent('vision-classify'),
  g.dashboard.variable.query.new('instance')
  + g.dashboard.variable.query.withDatasource('prometheus', '${datasource}')
  + g.dashboard.variable.query.queryTypes.withLabelValues('instance', m.rss + '{job="$job"}')
  + g.dashboard.variable.query.refresh.onTime()
  + g.dashboard.variable.query.selectionOptions.withMulti()
  + g.dashboard.variable.query.selectionOptions.withIncludeAll(true, '.*'),
];

local traffic = p.section('Traffic and errors', [
  p.timeSeries(
    'GraphQL requests by operation',
    'Operations executed per second, by operation name (classify, classifyBatch, submitFeedback, queries). From %s.' % m.graphqlRequests,
    [p.target(q.sumRate(m.graphqlRequests, ['operationName']), '{{operationName}}')],
    unit='reqps',
  ),
  p.timeSeries(
    'HTTP responses by status',
    'HTTP requests per second by status code. A 4xx is a whole request refused (bad upload, validation error); per-image errors inside classifyBatch still answer 200. From the count of %s.' % m.httpDuration,
    [p.target(q.sumRate(m.httpDuration + '_count', ['statusCode']), '{{statusCode}}')],
    unit='reqps',
  ),
  p.timeSeries(
    'GraphQL errors by path',
    'Errors in GraphQL results per second, by operation and field path: a user error on classify (unreadable image, too large) or a masked server fault. From %s.' % m.graphqlErrors,
    [p.target(q.sumRate(m.graphqlErrors, ['operationName', 'path']), '{{operationName}} {{path}}')],
    unit='reqps',
  ),
  p.timeSeries(
    'Images by result',
    'Images per second by result: "ok" when answered, else the error code of the image that failed (each image of a batch fails alone). Duplicates within one request are scored once and counted once. From %s.' % m.images,
    [p.target(q.sumRate(m.images, ['result']), '{{result}}')],
    unit='ops',
    width=10,
  ),
  p.stat(
    'Image error ratio',
    'Share of images that failed with a user error (not answered) over the interval. Zero when every image was answered.',
    [p.target('(%s or vector(0)) / %s' % [q.sumRate(m.images, extra='result!="ok"'), q.sumRate(m.images)])],
    unit='percentunit',
  ),
  p.barGauge(
    'Answers by label (top 10)',
    'The ten most frequent final answers per second over the interval; answers over a caller\'s own label set are pooled as "(custom labels)". A sudden change of mix means the traffic changed. From %s.' % m.predictions,
    [p.target('topk(10, %s)' % q.sumRate(m.predictions, ['label']), '{{label}}')],
    unit='ops',
    width=10,
  ),
]);

local latency = p.section('Latency', [
  p.timeSeries(
    'HTTP request duration',
    'p50, p95 and p99 of whole HTTP requests (upload, decode, CNN, CLIP, response). From %s.' % m.httpDuration,
    percentiles(m.httpDuration),
    unit='s',
  ),
  p.timeSeries(
    'GraphQL operation duration',
    'p50, p95 and p99 of GraphQL operations, parse to result, without the HTTP upload. From %s.' % m.graphqlRequestDuration,
    percentiles(m.graphqlRequestDuration),
    unit='s',
  ),
  p.timeSeries(
    'Execute phase p95 by operation',
    'p95 of the execute phase (the resolvers, i.e. the classification pipeline) per operation. From %s.' % m.graphqlExecute,
    [p.target(q.quantile('0.95', m.graphqlExecute, ['operationName']), '{{operationName}}')],
    unit='s',
  ),
  p.timeSeries(
    'CLIP latency',
    'p50, p95 and p99 of the CLIP second opinion per image, queue wait and compute included; embedding-cache hits count too and pull the quantiles down. The dashed line is the alert budget for p95 (%d ms). From %s.' % [alerts.clipLatencyP95Ms, m.clipLatency],
    percentiles(m.clipLatency),
    unit='s',
    width=12,
    threshold=alerts.clipLatencyP95Ms / 1000,
  ),
  p.timeSeries(
    'Decode and preprocess',
    "p50, p95 and p99 of decoding an upload and preprocessing it into the model tensor (sharp, on libuv's pool). From %s." % m.decode,
    percentiles(m.decode),
    unit='s',
    width=12,
  ),
]);

local secondOpinion = p.section('CLIP second opinion', [
  p.timeSeries(
    'CLIP invocations by reason',
    "Images per second routed to CLIP, by reason: low_confidence (CNN below the high threshold), priority_class, forced (client asked), custom_labels (the caller's own labels). Includes images that then fell back. From %s." % m.clipInvocations,
    [p.target(q.sumRate(m.clipInvocations, ['reason']), '{{reason}}')],
    unit='ops',
    width=12,
  ),
  p.timeSeries(
    'CLIP share of answered images',
    'Share of answered images that asked CLIP for a second opinion, all reasons together. CLIP costs far more than the CNN, so this share drives capacity. From %s over the "ok" images of %s.' % [m.clipInvocations, m.images],
    [p.target('%s / %s' % [q.sumRate(m.clipInvocations), q.sumRate(m.images, extra='result="ok"')], 'CLIP share')],
    unit='percentunit',
    width=12,
  ),
]);

local confidence = p.section('CNN confidence', [
  p.heatmap(
    'CNN top-1 confidence',
    "How many images fell into each bucket of the CNN's top-1 probability per interval. Mass moving to the low buckets means the inputs no longer look like the training data. From %s." % m.cnnConfidence,
    [
      p.target('sum by (le) (%s)' % q.increase(m.cnnConfidence + '_bucket'), '{{le}}')
      + g.query.prometheus.withFormat('heatmap'),
    ],
    unit='short',
  ),
  p.timeSeries(
    'Share below the low threshold',
    "Share of images whose CNN confidence was at most %s (the routing's low threshold, where CLIP dominates the ensemble). The dashed line is the confidence-collapse alert (%d%% over 15 minutes)." % [lowConfidence, alerts.lowConfidencePercent],
    [p.target('%s / %s' % [q.sumRate(m.cnnConfidence + '_bucket', extra='le="%s"' % lowConfidence), q.sumRate(m.cnnConfidence + '_count')], 'below %s' % lowConfidence)],
    unit='percentunit',
    threshold=alerts.lowConfidencePercent / 100,
  ),
]);

local accuracy = p.section('Accuracy from feedback', [
  p.timeSeries(
    'Accuracy delta (final − CNN)',
    "Rolling accuracy of the final answers minus the CNN's alone, over the last FEEDBACK_WINDOW feedbacks: the whole fleet's with REDIS_URL (every replica shows the same value), else each replica's own. Above zero CLIP helps; below zero it hurts. Reads 0 until feedback arrives: check the feedback panel before trusting it. From %s." % m.clipAccuracyDelta,
    [p.target('max by (instance) (%s%s)' % [m.clipAccuracyDelta, q.selector()], '{{instance}}')],
    unit='percentunit',
    width=12,
    threshold=0,
    lowIsBad=true,
  ),
  p.timeSeries(
    'Feedback by outcome',
    'Feedback per minute by outcome: both_right, cnn_right_only (CLIP made it wrong), final_right_only (CLIP fixed it), both_wrong, custom_labels (not scored). The delta moves with final_right_only − cnn_right_only. From %s.' % m.feedback,
    [p.target('60 * %s' % q.sumRate(m.feedback, ['outcome']), '{{outcome}}')],
    unit='opm',
    width=12,
  ),
]);

local batching = p.section('Batching', [
  p.timeSeries(
    'Batch size by model',
    'Images per model call, mean and p95, per model role (cnn, clip_vision). Batches fill up only under concurrent load: a lone request runs at once as a batch of one. From %s.' % m.batchSize,
    [
      p.target(q.mean(m.batchSize, ['role']), '{{role}} mean'),
      p.target(q.quantile('0.95', m.batchSize, ['role']), '{{role}} p95'),
    ],
  ),
  p.timeSeries(
    'Queue wait vs compute (p95)',
    'p95 time an image waited in the batcher queue against p95 time of one batched model call, per model. Waits above compute mean the model is saturated. From %s and %s.' % [m.queueWait, m.compute],
    [
      p.target(q.quantile('0.95', m.queueWait, ['role']), '{{role}} queue wait'),
      p.target(q.quantile('0.95', m.compute, ['role']), '{{role}} compute'),
    ],
    unit='s',
  ),
  p.timeSeries(
    'Queue length by model',
    'Images waiting for a batch slot, per model role, at each scrape, each against its own saturation alert line (%d%% of its maximum: CNN_QUEUE_MAX, default 1024, and VLM_QUEUE_MAX, default 64). Beyond the maximum the CNN refuses images and CLIP falls back, both as OVERLOADED. From %s and %s.' % [alerts.queueSaturationPercent, m.queueLength, m.queueCapacity],
    [
      p.target('max by (role) (%s%s)' % [m.queueLength, q.selector()], '{{role}}'),
      p.target('%s * max by (role) (%s%s)' % [alerts.queueSaturationPercent / 100, m.queueCapacity, q.selector()], '{{role}} alert line'),
    ],
  ),
]);

local caches = p.section('Caches', [
  p.timeSeries(
    'Cache hit ratio',
    'Hits over lookups per cache. For image_embedding a hit is a CLIP call saved (repeated images, in-flight duplicates sharing one call). From %s.' % m.cacheLookups,
    [p.target('%s / %s' % [q.sumRate(m.cacheLookups, ['cache'], 'result="hit"'), q.sumRate(m.cacheLookups, ['cache'])], '{{cache}}')],
    unit='percentunit',
  ),
  p.timeSeries(
    'Cache lookups by result',
    'Lookups per second per cache and result (hit, miss). From %s.' % m.cacheLookups,
    [p.target(q.sumRate(m.cacheLookups, ['cache', 'result']), '{{cache}} {{result}}')],
    unit='ops',
  ),
  p.timeSeries(
    'Cache size',
    'Bytes held per cache (LRU-bounded; EMBEDDING_CACHE_BYTES for image embeddings), summed over the selected replicas. From %s.' % m.cacheBytes,
    [p.target('sum by (cache) (%s%s)' % [m.cacheBytes, q.selector()], '{{cache}}')],
    unit='bytes',
  ),
]);

local fallbacks = p.section('Fallbacks', [
  p.timeSeries(
    'Fallbacks by cause',
    'Images per second that wanted CLIP but got the CNN answer alone, by cause: timeout (VLM_TIMEOUT_MS), error, overloaded (queue full), unavailable (circuit open or no CLIP in the pack). Never an error for the client. From %s.' % m.clipFallbacks,
    [p.target(q.sumRate(m.clipFallbacks, ['cause']), '{{cause}}')],
    unit='ops',
    width=12,
  ),
  p.timeSeries(
    'Fallback ratio',
    'Fallbacks over CLIP invocations: the share of second opinions that did not happen. The dashed line is the alert threshold (%d%% for 5 minutes).' % alerts.fallbackPercent,
    [p.target('%s / %s' % [q.sumRate(m.clipFallbacks), q.sumRate(m.clipInvocations)], 'fallback ratio')],
    unit='percentunit',
    width=12,
    threshold=alerts.fallbackPercent / 100,
  ),
]);

local process = p.section('Process', [
  p.timeSeries(
    'Resident memory',
    'Resident set size per replica: models, onnxruntime arenas, caches and the Node heap. From %s.' % m.rss,
    [p.target('max by (instance) (%s%s)' % [m.rss, q.selector()], '{{instance}}')],
    unit='bytes',
    width=6,
  ),
  p.timeSeries(
    'Event loop lag p99',
    'p99 event loop delay per replica. Inference runs off the loop, so lag here means JavaScript work (JSON, softmax, uploads) is blocking requests. From %s.' % m.eventLoopLagP99,
    [p.target('max by (instance) (%s%s)' % [m.eventLoopLagP99, q.selector()], '{{instance}}')],
    unit='s',
    width=6,
  ),
  p.timeSeries(
    'CPU by thread',
    'Cores each group of threads uses, all replicas: main (HTTP, GraphQL, routing), each model (its worker and onnxruntime pool), image_decode (libvips) and other (libuv pool, V8). Where CLIP is the expensive model, the CNN runs nicer and CLIP gets contended cores first. From %s.' % m.threadCpu,
    [p.target(q.sumRate(m.threadCpu, ['threads']), '{{threads}}')],
    unit='short',
    width=12,
  ),
  p.barGauge(
    'Model load time',
    'Seconds each model took to load at start, by role, the slowest selected replica (a slow disk or a cold cache shows here); the Models row names the file. From %s.' % m.modelLoad,
    [p.target('max by (role) (%s%s)' % [m.modelLoad, q.selector()], '{{role}}')],
    unit='s',
  ),
  p.stat(
    'Warm-up time',
    'Seconds the start-up warm-up inference took, the slowest selected replica; /ready answers 200 only after it. From %s.' % m.warmUp,
    [p.target('max(%s%s)' % [m.warmUp, q.selector()])],
    unit='s',
  ),
]);

local rejections = p.section('Rejections', [
  p.timeSeries(
    'Rejections by reason',
    'Requests per second a guard refused before running them, by reason (the error code in lower case: unauthenticated, rate_limited, request_too_large, query_too_complex, csrf_header_required, …). A steady stream is a client misconfigured or a limit too low; the dashed line is the alert (1/s per reason for 10 minutes). From %s.' % m.requestsRejected,
    [p.target(q.sumRate(m.requestsRejected, ['reason']), '{{reason}}')],
    unit='reqps',
    width=12,
    threshold=1,
  ),
  p.timeSeries(
    'Images refused before compute',
    "Images per second a model's batcher refused, by role and reason: queue_full (more waiting than its maximum) or deadline (it could not answer in time). For the CNN the client gets OVERLOADED; for CLIP the CNN answers alone. Load, never faults: the circuit breaker ignores them. From %s." % m.batchAdmissionRejections,
    [p.target(q.sumRate(m.batchAdmissionRejections, ['role', 'reason']), '{{role}} {{reason}}')],
    unit='ops',
    width=12,
  ),
]);

local decodeQueue = p.section('Decode queue', [
  p.timeSeries(
    'Decodes running and waiting',
    'Image decodes running now (at most DECODE_CONCURRENCY) and images waiting for a decode slot, summed over the selected replicas at each scrape. Waiting images past DECODE_QUEUE_MAX (default 1024) are refused as OVERLOADED. From %s and %s.' % [m.decodesActive, m.decodeQueueLength],
    [
      p.target('sum(%s%s)' % [m.decodesActive, q.selector()], 'running'),
      p.target('sum(%s%s)' % [m.decodeQueueLength, q.selector()], 'waiting'),
    ],
    width=24,
  ),
]);

// The HTTP edge's own limits (server/http/connection-limits.ts, use-upload-budget.ts).
local connections = p.section('Connections and uploads', [
  p.timeSeries(
    'Open connections',
    'Client connections open now, per replica. Past HTTP_MAX_CONNECTIONS (default 1000, the dashed line) new ones are closed at once. From %s.' % m.openConnections,
    [p.target('max by (instance) (%s%s)' % [m.openConnections, q.selector()], '{{instance}}')],
    width=6,
    threshold=1000,
  ),
  p.timeSeries(
    'Requests cut off by cause',
    'Requests per second the server cut off: headers not received in HTTP_HEADERS_TIMEOUT_MS, a body slower than HTTP_BODY_MIN_BYTES_PER_SECOND over its window, a whole request over HTTP_REQUEST_TIMEOUT_MS, or a connection over the cap. Slow or stalled clients, or an attack. From %s.' % m.requestsCutOff,
    [p.target(q.sumRate(m.requestsCutOff, ['cause']), '{{cause}}')],
    unit='reqps',
    width=6,
  ),
  p.timeSeries(
    'Upload bytes in flight',
    'Request body bytes held against UPLOAD_BUDGET_BYTES (default 256 MiB, the dashed line) per replica; past it new uploads are refused as OVERLOADED before their bodies are read. From %s.' % m.uploadBytesInFlight,
    [p.target('max by (instance) (%s%s)' % [m.uploadBytesInFlight, q.selector()], '{{instance}}')],
    unit='bytes',
    width=6,
    threshold=268435456,
  ),
  p.timeSeries(
    'Uploads refused by the budget',
    'Uploads per second refused as OVERLOADED because the bytes in flight were at the budget. From %s.' % m.uploadBudgetRefusals,
    [p.target(q.sumRate(m.uploadBudgetRefusals), 'refused')],
    unit='reqps',
    width=6,
  ),
]);

local apiKeys = p.section('API keys', [
  p.timeSeries(
    'Requests by API key',
    "Requests per second each API key admitted, by the key's name (never the key). Empty while API_KEYS is unset (the API is open); refusals are under Rejections by reason. From %s." % m.apiKeyRequests,
    [p.target(q.sumRate(m.apiKeyRequests, ['key']), '{{key}}')],
    unit='reqps',
    width=24,
  ),
]);

local redis = p.section('Redis', [
  p.timeSeries(
    'Redis connected',
    'Per replica, 1 while connected to the Redis of REDIS_URL and 0 while not (no line without REDIS_URL). A replica without Redis still answers, from its own memory: caches and feedback are no longer shared. The dashed line is the alert (0 for 2 minutes). From %s.' % m.redisConnected,
    [p.target('max by (instance) (%s%s)' % [m.redisConnected, q.selector()], '{{instance}}')],
    width=12,
    threshold=1,
    lowIsBad=true,
  ),
  p.timeSeries(
    'Redis failures by operation and cause',
    'Redis operations per second that went on without Redis (answered from local state), by operation and cause (a timeout of REDIS_COMMAND_TIMEOUT_MS, a lost connection, an error). From %s.' % m.redisFailures,
    [p.target(q.sumRate(m.redisFailures, ['operation', 'cause']), '{{operation}} {{cause}}')],
    unit='ops',
    width=12,
  ),
]);

// m.modelInfo joins every per-role series to the file behind it; its labels change on a deploy
// or a pack swap, which the annotation marks.
local modelLabels = 'pack, version, role, file, sha256, precision';

local models = p.section('Models', [
  p.table(
    'Models loaded',
    'Each model the selected replicas run, by role: the pack and its version (pack.json), the file, its sha256 and precision (from the pack, or read from the graph). Two rows for one role mean two builds are serving, e.g. a canary. From %s.' % m.modelInfo,
    [p.target('count by (%s) (%s%s)' % [modelLabels, m.modelInfo, q.selector()]) + g.query.prometheus.withFormat('table') + g.query.prometheus.withInstant(true)],
    width=16,
  ),
  p.table(
    'Model variants',
    'How each batched model runs on the selected replicas: precision, onnxruntime threads, and whether this was measured on the machine or is the configuration. From %s.' % m.modelVariant,
    [p.target('count by (role, precision, threads, source) (%s%s)' % [m.modelVariant, q.selector()]) + g.query.prometheus.withFormat('table') + g.query.prometheus.withInstant(true)],
    width=8,
  ),
  p.timeSeries(
    'Circuit breaker',
    "The CLIP breaker's state per replica: 1 on the current state (closed: CLIP is asked; open: repeated faults, CLIP is skipped and answers fall back as UNAVAILABLE; half-open: one trial call is due). Overload never opens it. From %s." % m.breakerState,
    [p.target('max by (instance, role, state) (%s%s) == 1' % [m.breakerState, q.selector()], '{{instance}} {{role}} {{state}}')],
    width=24,
  ),
]);

local modelChanges =
  g.dashboard.annotation.withName('Model changes')
  + g.dashboard.annotation.withDatasource({ type: 'prometheus', uid: '${datasource}' })
  + g.dashboard.annotation.withEnable(true)
  + g.dashboard.annotation.withIconColor('purple')
  // An m.modelInfo series that was not there a minute before: a replica started with a new pack,
  // version or file (a deploy, a pack swap, a restart after a gap).
  + g.dashboard.annotation.withExpr(
    'max by (instance, %(labels)s) (%(m)s%(sel)s) unless max by (instance, %(labels)s) (%(m)s%(sel)s offset 1m)'
    % { labels: modelLabels, m: m.modelInfo, sel: q.selector() }
  )
  + {
    titleFormat: '{{role}}: {{pack}} {{version}}',
    textFormat: '{{file}} ({{precision}}, sha256 {{sha256}}) on {{instance}}',
    tagKeys: 'pack,version,role',
  };

g.dashboard.new('Vision classify')
+ g.dashboard.withUid('vision-classify')
+ g.dashboard.withDescription('GraphQL image classification: a CNN on every image, a CLIP second opinion when it is unsure.')
+ g.dashboard.withTags(['vision-classify', 'ml-serving'])
+ g.dashboard.withTimezone('browser')
+ g.dashboard.withRefresh('10s')
+ g.dashboard.time.withFrom('now-1h')
+ g.dashboard.graphTooltip.withSharedCrosshair()
+ g.dashboard.withVariables(variables)
+ g.dashboard.withAnnotations([modelChanges])
+ g.dashboard.withPanels(p.layout([
  traffic,
  latency,
  secondOpinion,
  confidence,
  accuracy,
  batching,
  caches,
  fallbacks,
  rejections,
  connections,
  decodeQueue,
  apiKeys,
  redis,
  process,
  models,
]))
