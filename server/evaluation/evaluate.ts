import { sha256Hex } from "../hashing/sha256.ts";
import type { Classifier } from "../pipeline/classify.ts";
import type { Classification } from "../pipeline/types.ts";

/** A labelled image for evaluation. */
export interface LabelledImage {
  bytes: Uint8Array;
  label: string;
}

export interface Accuracy {
  top1: number;
  top5: number;
}

/** Accuracy of each path on the same images, and how the routing rules behaved. */
export interface EvaluationReport {
  images: number;
  cnn: Accuracy;
  /** CLIP's zero-shot answer on every image (vlm FORCE). */
  clip: Accuracy;
  /** The pack's ensemble on every image (vlm FORCE). */
  ensembleAlways: Accuracy;
  /** What the service answers by default (vlm AUTO): the ensemble only where the rule asks CLIP. */
  service: Accuracy;
  /** Share of images the pack's rule sends to CLIP. */
  routedToClip: number;
  /** Images that could not be classified (decode errors). */
  failed: number;
  /** Images where CLIP was wanted but the CNN answered alone (timeout, overload): CLIP rows undercount. */
  fallbacks: number;
}

/**
 * Runs labelled images through the real pipeline (decode included) twice, once under the
 * pack's rule (its calibration, or the legacy thresholds) and once with CLIP forced, and
 * measures every path on the same images.
 */
export async function evaluate(
  classifier: Classifier,
  images: AsyncIterable<LabelledImage[]>,
  onProgress: (done: number) => void = () => {},
): Promise<EvaluationReport> {
  const tally = {
    images: 0,
    failed: 0,
    fallbacks: 0,
    routed: 0,
    cnn: hits(),
    clip: hits(),
    ensembleAlways: hits(),
    service: hits(),
  };
  for await (const batch of images) {
    const inputs = batch.map(({ bytes }) => ({
      bytes,
      sha256: sha256Hex(bytes),
    }));
    const auto = await classifier.classifyImages(inputs, { topK: 5, vlm: "AUTO", labels: null });
    const forced = await classifier.classifyImages(inputs, {
      topK: 5,
      vlm: "FORCE",
      labels: null,
    });
    batch.forEach(({ label }, i) => {
      const a = auto[i];
      const f = forced[i];
      tally.images++;
      if (!isAnswer(a) || !isAnswer(f)) {
        tally.failed++;
        return;
      }
      if (a.vlmUsed) tally.routed++;
      if (a.fallback || f.fallback) tally.fallbacks++;
      count(tally.cnn, a.cnn.predictions, label);
      count(tally.service, a.predictions, label);
      count(tally.ensembleAlways, f.predictions, label);
      if (f.vlm) count(tally.clip, f.vlm.predictions, label);
    });
    onProgress(tally.images);
  }
  const rate = (h: ReturnType<typeof hits>): Accuracy => ({
    top1: h.top1 / tally.images,
    top5: h.top5 / tally.images,
  });
  return {
    images: tally.images,
    cnn: rate(tally.cnn),
    clip: rate(tally.clip),
    ensembleAlways: rate(tally.ensembleAlways),
    service: rate(tally.service),
    routedToClip: tally.routed / tally.images,
    failed: tally.failed,
    fallbacks: tally.fallbacks,
  };
}

/** The report as a Markdown table, for READMEs. */
export function reportTable(report: EvaluationReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const row = (name: string, a: Accuracy) => `| ${name} | ${pct(a.top1)} | ${pct(a.top5)} |`;
  return [
    "| path | top-1 | top-5 |",
    "|---|---|---|",
    row("CNN", report.cnn),
    row("CLIP zero-shot (every image)", report.clip),
    row("ensemble (every image, vlm FORCE)", report.ensembleAlways),
    row("service default (vlm AUTO: ensemble where routed)", report.service),
    "",
    `${report.images} images, ${pct(report.routedToClip)} routed to CLIP by the pack's rule, ${report.failed} failed to decode, ${report.fallbacks} fell back to the CNN alone.`,
  ].join("\n");
}

function hits() {
  return { top1: 0, top5: 0 };
}

function count(h: ReturnType<typeof hits>, predictions: { label: string }[], label: string) {
  if (predictions[0]?.label === label) h.top1++;
  if (predictions.slice(0, 5).some((p) => p.label === label)) h.top5++;
}

function isAnswer(outcome: unknown): outcome is Classification {
  return outcome !== undefined && !(outcome instanceof Error);
}
