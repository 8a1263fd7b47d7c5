import { readFile, writeFile } from "node:fs/promises";
import { evaluate, reportTable } from "../evaluation/evaluate.ts";
import { createEvaluationRuntime } from "../evaluation/evaluation-runtime.ts";
import { DEBIAN_FASHION_MNIST, fashionMnistTestSet } from "../evaluation/fashion-mnist-idx.ts";
import { createCountProgress } from "../telemetry/progress.ts";
import { parseCommandLine } from "./command-line.ts";

/**
 * Measures the embedded pack on Fashion-MNIST's 10,000 test images through the service's own
 * pipeline (PNG decode, CNN, routing, CLIP, ensemble), and optionally writes the table into
 * the pack's README.  Usage: npm run evaluate:embedded -- [--data DIR] [--limit N] [--write-readme]
 */
const { values } = parseCommandLine({
  usage: "npm run evaluate:embedded -- [--data DIR] [--limit N] [--write-readme]",
  help: `Measures the embedded pack on Fashion-MNIST's 10,000 test images through the service's
own pipeline; --write-readme writes the table into the pack's README. --data is the folder of
the IDX files (default: Debian's package).`,
  options: {
    data: { type: "string", default: DEBIAN_FASHION_MNIST },
    limit: { type: "string" },
    "write-readme": { type: "boolean", default: false },
  },
});

const README_HEADING = "## Accuracy through the service";

const { runtime, batchSize } = await createEvaluationRuntime("fashion-mnist");
const { pack } = runtime.models;
const started = performance.now();
const progress = createCountProgress(
  process.stderr,
  "classifying",
  values.limit ? Number(values.limit) : 10_000,
  {
    unit: "images",
  },
);
const report = await evaluate(
  runtime.classifier,
  fashionMnistTestSet(
    values.data,
    pack.labels,
    batchSize,
    values.limit ? Number(values.limit) : undefined,
  ),
  (done) => progress.update(done),
);
const seconds = (performance.now() - started) / 1000;
progress.finish(report.images);
const table = reportTable(report);
console.log(table);
console.log(JSON.stringify({ ...report, seconds }, null, 2));

if (values["write-readme"]) {
  const path = pack.file("README.md");
  const readme = await readFile(path, "utf8");
  const at = readme.indexOf(README_HEADING);
  if (at < 0) throw new Error(`${path} has no "${README_HEADING}" section`);
  const next = readme.indexOf("\n## ", at + README_HEADING.length);
  const section = [
    README_HEADING,
    "",
    "Measured with `npm run evaluate:embedded` (Fashion-MNIST test split from Debian's",
    "`dataset-fashion-mnist`, each image encoded as PNG and sent through the service's pipeline,",
    `the pack's ${runtime.classifier.rule.kind} rule, routing below ${runtime.classifier.rule.threshold.toFixed(4)}):`,
    "",
    table,
    "",
    "",
  ].join("\n");
  await writeFile(path, readme.slice(0, at) + section + (next < 0 ? "" : readme.slice(next + 1)));
  console.log(`updated ${path}`);
}
