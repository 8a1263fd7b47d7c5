// The service dashboard: traffic and errors, latency, the CLIP second opinion, CNN confidence,
// accuracy from feedback, batching, caches, fallbacks and the process. Render with
// scripts/render-dashboards.sh; every metric name comes from lib/metrics.json, which is
// generated from server/telemetry/metric-names.ts.
local g = import 'github.com/grafana/grafonnet/gen/grafonnet-latest/main.libsonnet';
local m = import 'lib/metrics.json';
local p = import 'lib/panels.libsonnet';
local q = import 'lib/queries.libsonnet';

// Alert thresholds (monitoring/rules/vision-classify.yml), drawn on the matching panels.
local alerts = {
  fallbackRatio: 0.1,
  clipLatencyP95Seconds: 0.4,
  clipQueueLength: 48,
  lowConfidenceShare: 0.6,
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
    'p50, p95 and p99 of the CLIP second opinion per image, queue wait and compute included; embedding-cache hits count too and pull the quantiles down. The dashed line is the alert budget for p95 (%s s). From %s.' % [alerts.clipLatencyP95Seconds, m.clipLatency],
    percentiles(m.clipLatency),
    unit='s',
    width=12,
    threshold=alerts.clipLatencyP95Seconds,
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
    "Share of images whose CNN confidence was at most %s (the routing's low threshold, where CLIP dominates the ensemble). The dashed line is the confidence-collapse alert (%s over 15 minutes)." % [lowConfidence, alerts.lowConfidenceShare],
    [p.target('%s / %s' % [q.sumRate(m.cnnConfidence + '_bucket', extra='le="%s"' % lowConfidence), q.sumRate(m.cnnConfidence + '_count')], 'below %s' % lowConfidence)],
    unit='percentunit',
    threshold=alerts.lowConfidenceShare,
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
    'Images per model call, mean and p95, per model (cnn, clip_vision). Batches fill up only under concurrent load: a lone request runs at once as a batch of one. From %s.' % m.batchSize,
    [
      p.target(q.mean(m.batchSize, ['model']), '{{model}} mean'),
      p.target(q.quantile('0.95', m.batchSize, ['model']), '{{model}} p95'),
    ],
  ),
  p.timeSeries(
    'Queue wait vs compute (p95)',
    'p95 time an image waited in the batcher queue against p95 time of one batched model call, per model. Waits above compute mean the model is saturated. From %s and %s.' % [m.queueWait, m.compute],
    [
      p.target(q.quantile('0.95', m.queueWait, ['model']), '{{model}} queue wait'),
      p.target(q.quantile('0.95', m.compute, ['model']), '{{model}} compute'),
    ],
    unit='s',
  ),
  p.timeSeries(
    'Queue length by model',
    'Images waiting for a batch slot, per model, at each scrape. CLIP sheds work (OVERLOADED fallback) beyond VLM_QUEUE_MAX (default 64); the dashed line is the saturation alert (%s, for clip_vision). From %s.' % [alerts.clipQueueLength, m.queueLength],
    [p.target('max by (model) (%s%s)' % [m.queueLength, q.selector()], '{{model}}')],
    threshold=alerts.clipQueueLength,
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
    'Fallbacks over CLIP invocations: the share of second opinions that did not happen. The dashed line is the alert threshold (%s for 5 minutes).' % alerts.fallbackRatio,
    [p.target('%s / %s' % [q.sumRate(m.clipFallbacks), q.sumRate(m.clipInvocations)], 'fallback ratio')],
    unit='percentunit',
    width=12,
    threshold=alerts.fallbackRatio,
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
    'Seconds each model file took to load at start, per replica (a slow disk or a cold cache shows here). From %s.' % m.modelLoad,
    [p.target('max by (model) (%s%s)' % [m.modelLoad, q.selector()], '{{model}}')],
    unit='s',
  ),
  p.stat(
    'Warm-up time',
    'Seconds the start-up warm-up inference took, the slowest selected replica; /ready answers 200 only after it. From %s.' % m.warmUp,
    [p.target('max(%s%s)' % [m.warmUp, q.selector()])],
    unit='s',
  ),
]);

g.dashboard.new('Vision classify')
+ g.dashboard.withUid('vision-classify')
+ g.dashboard.withDescription('GraphQL image classification: a CNN on every image, a CLIP second opinion when it is unsure.')
+ g.dashboard.withTags(['vision-classify', 'ml-serving'])
+ g.dashboard.withTimezone('browser')
+ g.dashboard.withRefresh('10s')
+ g.dashboard.time.withFrom('now-1h')
+ g.dashboard.graphTooltip.withSharedCrosshair()
+ g.dashboard.withVariables(variables)
+ g.dashboard.withPanels(p.layout([
  traffic,
  latency,
  secondOpinion,
  confidence,
  accuracy,
  batching,
  caches,
  fallbacks,
  process,
]))
