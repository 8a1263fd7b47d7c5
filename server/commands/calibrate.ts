import { join } from "node:path";
import { CALIBRATE_USAGE, parseCalibrateArgs } from "../calibrating/calibrate-args.ts";
import { calibrateFolder } from "../calibrating/calibrate-folder.ts";
import { calibrationTable, curveText } from "../calibrating/calibration-report.ts";
import { calibrationChartSvg } from "../calibration/index.ts";
import { createEvaluationRuntime } from "../evaluation/evaluation-runtime.ts";
import { writePackCalibration } from "../packs/write-calibration.ts";
import { type CountProgress, createCountProgress } from "../telemetry/progress.ts";
import { usageError } from "./command-line.ts";

/**
 * Fits a pack's routing and ensembling from a labelled folder through the service's own
 * pipeline, reports it cross-validated, and with --write stores it in the pack (pack.json,
 * calibration.svg, the README's "## Calibration" section).
 */
const parsed = parseCalibrateArgs(process.argv.slice(2));
if ("help" in parsed) {
  console.log(CALIBRATE_USAGE);
  process.exit(0);
}
if ("error" in parsed) usageError(CALIBRATE_USAGE.replace(/^usage: /, ""), parsed.error);
const { args } = parsed;

const { runtime, batchSize } = await createEvaluationRuntime(args.pack);
const { pack, clip, clipUnavailableReason } = runtime.models;
if (!clip) {
  console.error(`cannot calibrate pack "${pack.name}": ${clipUnavailableReason}`);
  process.exit(1);
}
let scoring: CountProgress | undefined;
const outcome = await calibrateFolder({
  classifier: runtime.classifier,
  packLabels: pack.labels,
  imagesDir: args.images,
  labelsFile: args.labels ?? join(args.images, "labels.tsv"),
  batchSize,
  fit: { folds: args.folds, maxShare: args.maxShare, share: args.share },
  warn: (line) => process.stderr.write(`${line}\n`),
  onProgress: (done, total) => {
    scoring ??= createCountProgress(process.stderr, "scoring", total, { unit: "images" });
    scoring.update(done);
  },
});
scoring?.finish();
const summary = `${outcome.used} images used, ${outcome.skipped} skipped`;
if (!outcome.result) {
  console.error(`${summary}: ${outcome.failure}`);
  process.exit(1);
}
const { calibration } = outcome.result;
const table = calibrationTable(outcome.result);
console.log(
  [
    `# Calibration of pack "${pack.name}" on ${args.images}`,
    "",
    table,
    "",
    curveText(
      calibration.heldOut?.curve ?? calibration.curve,
      `Cascade accuracy against share sent to the second model (${calibration.heldOut?.method ?? "fitting data"}):`,
    ),
    "",
    summary,
  ].join("\n"),
);

if (args.write) {
  const written = await writePackCalibration(pack.dir, calibration, {
    svg: calibrationChartSvg(calibration, { heldOut: calibration.heldOut !== undefined }),
    readmeSection: [
      `Fitted with \`npm run calibrate\` on the labelled folder \`${calibration.data.name}\`:`,
      "",
      table,
      "",
      "![Accuracy against the share of images sent to the second model](calibration.svg)",
    ].join("\n"),
  });
  console.log(`wrote ${written.files.map((f) => join(pack.dir, f)).join(", ")}`);
  if (!written.readmeUpdated) console.log('README.md has no "## Calibration" heading; left alone');
}
await runtime.close();
