import { toLabelledScores } from "../calibrating/calibrate-folder.ts";
import { calibrationTable, curveText } from "../calibrating/calibration-report.ts";
import { dataSetSha256, type IdentifiedImage } from "../calibrating/data-set-identity.ts";
import { calibrate, calibrationChartSvg } from "../calibration/index.ts";
import { seededRandom, shuffled } from "../calibration/seeded-random.ts";
import { createEvaluationRuntime } from "../evaluation/evaluation-runtime.ts";
import {
  DEBIAN_FASHION_MNIST,
  type FashionMnistSplit,
  fashionMnistCount,
  fashionMnistImages,
} from "../evaluation/fashion-mnist-idx.ts";
import { scoreLabelledImages } from "../evaluation/score-labelled-images.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { writePackCalibration } from "../packs/write-calibration.ts";
import { createCountProgress } from "../telemetry/progress.ts";
import { parseCommandLine } from "./command-line.ts";

/**
 * Calibrates the embedded pack on a seeded subset of Fashion-MNIST's training images and
 * reports it on the 10,000 test images (held out: method "test-split"), all through the
 * service's own pipeline; with --write stores it in models/fashion-mnist.
 */
const { values, fail } = parseCommandLine({
  usage:
    "npm run calibrate:fashion-mnist -- [--data DIR] [--train 10000] [--seed 1] [--folds 5] [--max-share 0.3] [--share S] [--write]",
  help: `Calibrates the embedded pack on a seeded subset of Fashion-MNIST's training images and
reports it on the 10,000 test images, through the service's own pipeline; --write stores it in
models/fashion-mnist. --data is the folder of the IDX files (default: Debian's package).`,
  options: {
    data: { type: "string", default: DEBIAN_FASHION_MNIST },
    train: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    folds: { type: "string", default: "5" },
    "max-share": { type: "string", default: "0.3" },
    share: { type: "string" },
    write: { type: "boolean", default: false },
  },
});
const dir = String(values.data);
const [train, seed, folds, maxShare] = [
  values.train,
  values.seed,
  values.folds,
  values["max-share"],
].map(Number) as [number, number, number, number];
const share = values.share === undefined ? undefined : Number(values.share);
if (![train, seed, folds].every(Number.isInteger) || !(maxShare > 0 && maxShare <= 1)) {
  fail("--train, --seed and --folds take integers, --max-share a share in (0, 1]");
}

const { runtime, batchSize } = await createEvaluationRuntime("fashion-mnist");
const { pack } = runtime.models;
const available = await fashionMnistCount(dir, "train");
// A seeded subset, read in file order: the same images for the same seed on every machine.
const trainIndices = shuffled(
  Array.from({ length: available }, (_, i) => i),
  seededRandom(seed),
)
  .slice(0, Math.min(train, available))
  .sort((a, b) => a - b);

const identities: IdentifiedImage[] = [];
const trainScores = await scoreSplit("train", trainIndices, identities);
const testScores = await scoreSplit("t10k", undefined, []);
const result = calibrate(toLabelledScores(trainScores), {
  test: toLabelledScores(testScores),
  data: { name: "fashion-mnist-train", sha256: dataSetSha256(identities) },
  folds,
  seed,
  maxShare,
  share,
});
const { calibration } = result;
const table = calibrationTable(result);
console.log(
  [
    `# Calibration of the embedded pack: ${trainScores.length} training images (seed ${seed}), reported on ${testScores.length} test images`,
    "",
    table,
    "",
    curveText(
      calibration.heldOut?.curve ?? calibration.curve,
      "Test images: accuracy against share sent",
    ),
  ].join("\n"),
);

if (values.write) {
  const command = [
    "npm run calibrate:fashion-mnist --",
    ...(train !== 10000 ? [`--train ${train}`] : []),
    ...(seed !== 1 ? [`--seed ${seed}`] : []),
    ...(share !== undefined ? [`--share ${share}`] : [`--max-share ${maxShare}`]),
    "--write",
  ].join(" ");
  const written = await writePackCalibration(pack.dir, calibration, {
    svg: calibrationChartSvg(calibration, { heldOut: true }),
    readmeSection: [
      `Fitted with \`${command}\` on ${trainScores.length} training images of Debian's`,
      "`dataset-fashion-mnist` (a seeded subset, each encoded as PNG and sent through the",
      "service's pipeline); the held-out row is the 10,000 test images, which the fit never saw.",
      "",
      table,
      "",
      "![Accuracy on the test images against the share sent to the second model](calibration.svg)",
    ].join("\n"),
  });
  console.log(`wrote ${written.files.join(", ")} in ${pack.dir}`);
}
await runtime.close();

/** A split's full scores through the pipeline; each image's identity goes to `identities`. */
async function scoreSplit(
  split: FashionMnistSplit,
  indices: readonly number[] | undefined,
  identities: IdentifiedImage[],
) {
  async function* batches() {
    for await (const batch of fashionMnistImages(dir, split, batchSize, indices)) {
      yield batch.map(({ index, bytes, label }) => {
        const file = `${split}-${String(index).padStart(5, "0")}`;
        identities.push({ file, sha256: sha256Hex(bytes), label });
        return { name: file, bytes, label };
      });
    }
  }
  const total = indices?.length ?? (await fashionMnistCount(dir, split));
  const progress = createCountProgress(process.stderr, `scoring ${split}`, total, {
    unit: "images",
  });
  const { scores, skipped } = await scoreLabelledImages(runtime.classifier, batches(), {
    onProgress: (done) => progress.update(done),
  });
  progress.finish(scores.length + skipped.length);
  if (skipped.length > 0) {
    console.error(`${skipped.length} ${split} images failed: ${skipped[0]?.reason}`);
    process.exit(1);
  }
  return scores;
}
