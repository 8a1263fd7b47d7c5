import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { evaluate, reportTable } from "../evaluation/evaluate.ts";
import { createEvaluationRuntime } from "../evaluation/evaluation-runtime.ts";
import { labelledFolder, readLabelsTsv } from "../evaluation/labelled-folder.ts";
import { precisionAgreement, precisionTable } from "../evaluation/precision-agreement.ts";
import {
  fullScores,
  type ImageScores,
  sweepTable,
  sweepThresholds,
} from "../evaluation/threshold-sweep.ts";

const USAGE =
  "usage: npm run evaluate -- --images DIR [--labels FILE] [--pack NAME_OR_PATH] [--limit N] [--json OUT.json]";

/**
 * Measures a pack on a folder of labelled images through the service's own pipeline: each
 * path's accuracy, the routing thresholds replayed offline over a grid, and how closely the
 * CLIP vision tower's other precisions follow its default file. Markdown on stdout.
 */
const { values } = parseArgs({
  options: {
    images: { type: "string" },
    labels: { type: "string" },
    pack: { type: "string" },
    limit: { type: "string" },
    json: { type: "string" },
  },
});
if (!values.images) fail("--images is required");
const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
if (!(limit > 0 && (Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY))) {
  fail(`--limit must be a positive integer, got "${values.limit}"`);
}
const imagesDir = values.images;
const labelsFile = values.labels ?? join(imagesDir, "labels.tsv");

const { runtime, batchSize } = await createEvaluationRuntime(values.pack);
const { config, models } = runtime;
const { pack } = models;
const files = (await readLabelsTsv(labelsFile, pack.labels)).slice(0, limit);
const unknown = files.filter(({ label }) => !pack.labels.includes(label)).length;

const started = performance.now();
const scores: ImageScores[] = [];
const report = await evaluate(
  runtime.classifier,
  labelledFolder(imagesDir, files, batchSize),
  (done) => process.stderr.write(`\r${done}/${files.length} images`),
  {
    onFullAnswer: (answer, label) => {
      const full = fullScores(answer, pack.labels, label);
      if (full) scores.push(full);
    },
  },
);
process.stderr.write("\n");
const sweep = models.clip
  ? sweepThresholds(scores, pack.labels, {
      rules: { ...config.routing, priorityClasses: new Set(config.routing.priorityClasses) },
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
    "## Routing thresholds (the service's rules replayed offline)",
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
    thresholds: { high: config.routing.high, low: config.routing.low },
    report,
    sweep,
    precision,
    seconds,
  };
  await writeFile(values.json, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${values.json}`);
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
