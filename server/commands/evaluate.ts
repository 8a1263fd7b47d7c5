import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { evaluate, reportTable } from "../evaluation/evaluate.ts";
import { createEvaluationRuntime } from "../evaluation/evaluation-runtime.ts";
import { labelledFolder, readLabelsTsv } from "../evaluation/labelled-folder.ts";
import { precisionAgreement, precisionTable } from "../evaluation/precision-agreement.ts";
import { type ImageToScore, scoreLabelledImages } from "../evaluation/score-labelled-images.ts";
import { currentThresholds, sweepTable, sweepThresholds } from "../evaluation/threshold-sweep.ts";
import { createCountProgress } from "../telemetry/progress.ts";
import { parseCommandLine, positiveInteger } from "./command-line.ts";

/**
 * Measures a pack on a folder of labelled images through the service's own pipeline: each
 * path's accuracy under the pack's rule (its calibration, or the legacy thresholds), that rule
 * replayed offline over a grid of thresholds, and how closely the
 * CLIP vision tower's other precisions follow its default file. Markdown on stdout.
 */
const { values, fail } = parseCommandLine({
  usage:
    "npm run evaluate -- --images DIR [--labels FILE] [--pack NAME_OR_PATH] [--limit N] [--json OUT.json]",
  help: `Measures a pack on a folder of labelled images through the service's own pipeline:
accuracy by path under the pack's rule, that rule replayed over a grid of thresholds, and how
closely CLIP's other precisions follow its default file. Markdown on stdout, progress on stderr.

  --images DIR     the images (required)
  --labels FILE    file<TAB>label lines; default DIR/labels.tsv
  --pack NAME      a pack name or folder; default MODEL_PACK
  --limit N        only the first N images
  --json OUT.json  also write the figures as JSON`,
  options: {
    images: { type: "string" },
    labels: { type: "string" },
    pack: { type: "string" },
    limit: { type: "string" },
    json: { type: "string" },
  },
});
const limit = positiveInteger(values.limit, "limit", fail) ?? Number.POSITIVE_INFINITY;
const imagesDir = values.images || fail("--images is required");
const labelsFile = values.labels ?? join(imagesDir, "labels.tsv");

const { runtime, batchSize } = await createEvaluationRuntime(values.pack);
const { config, models } = runtime;
const { pack } = models;
const files = (await readLabelsTsv(labelsFile, pack.labels)).slice(0, limit);
const unknown = files.filter(({ label }) => !pack.labels.includes(label)).length;

const started = performance.now();
const classifying = createCountProgress(process.stderr, "classifying", files.length, {
  unit: "images",
});
const report = await evaluate(
  runtime.classifier,
  labelledFolder(imagesDir, files, batchSize),
  (done) => classifying.update(done),
);
classifying.finish(report.images);
const { rule } = runtime.classifier;
const thresholds = currentThresholds(rule, config.routing);
const sweep = models.clip
  ? sweepThresholds((await fullScores()).scores, {
      labels: pack.labels,
      calibration: pack.calibration,
      current: thresholds,
      priorityClasses: new Set(config.routing.priorityClasses),
      total: report.images,
    })
  : null;
const precision = await precisionAgreement({
  pack,
  clip: models.clip,
  images: labelledFolder(imagesDir, files, batchSize),
  limits: config.limits,
  intraOpThreads: config.threads.ortIntraOp,
});
const seconds = (performance.now() - started) / 1000;

console.log(
  [
    `# Evaluation of pack "${pack.name}" on ${report.images} images from ${imagesDir}`,
    "",
    ...(unknown > 0 ? [`${unknown} images have a label the pack does not know.`, ""] : []),
    "## Accuracy by path",
    "",
    reportTable(report),
    "",
    `## Routing thresholds (the pack's ${rule.kind} rule replayed offline)`,
    "",
    sweep ? sweepTable(sweep) : `Skipped: ${models.clipUnavailableReason}.`,
    "",
    "## CLIP vision tower precisions",
    "",
    precisionTable(precision),
    "",
    `${seconds.toFixed(1)} s`,
  ].join("\n"),
);

if (values.json) {
  const out = {
    pack: pack.name,
    images: imagesDir,
    labels: labelsFile,
    rule: rule.kind,
    thresholds,
    report,
    sweep,
    precision,
    seconds,
  };
  await writeFile(values.json, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${values.json}`);
}

/** Every listed image's full scores, for replaying the rule offline (labels by first index). */
async function fullScores() {
  // The second pass: every image's full scores from both models, for the threshold sweep.
  const scoring = createCountProgress(process.stderr, "scoring for the sweep", files.length, {
    unit: "images",
  });
  const scored = await scoreLabelledImages(runtime.classifier, withClassIndices(), {
    onProgress: (done) => scoring.update(done),
  });
  scoring.finish(scored.scores.length + scored.skipped.length);
  return scored;
}

async function* withClassIndices(): AsyncGenerator<ImageToScore[]> {
  let at = 0;
  for await (const batch of labelledFolder(imagesDir, files, batchSize)) {
    yield batch.map(({ bytes, label }) => ({
      name: files[at++]?.file ?? "",
      bytes,
      label: pack.labels.indexOf(label),
    }));
  }
}
