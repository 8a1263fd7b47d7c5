import { softmax } from "../math/log-space.ts";
import type { LabelledScores } from "./labelled-scores.ts";
import { gaussian, seededRandom } from "./seeded-random.ts";

/** How a synthetic second model behaves. */
export type SecondModelKind =
  /** Informative, with errors independent of the CNN's. */
  | "independent"
  /** Always confident in the class after the true one: it can never help. */
  | "always-wrong";

export interface SyntheticOptions {
  count: number;
  classes: number;
  seed: number;
  /** Mean logit margin of the true class for the CNN. Default 3. */
  cnnSignal?: number;
  /** Mean logit margin of the true class for the second model. Default 2.5. */
  clipSignal?: number;
  clip?: SecondModelKind;
}

/**
 * Labelled scores with a known structure, for tests and demonstrations of the fitting code:
 * each image has its own difficulty per model (a margin drawn around the model's signal), so the
 * CNN's confidence says something about its correctness, as a real CNN's does.
 */
export function syntheticDataset({
  count,
  classes,
  seed,
  cnnSignal = 3,
  clipSignal = 2.5,
  clip = "independent",
}: SyntheticOptions): LabelledScores {
  const random = seededRandom(seed);
  const labels = Array.from({ length: count }, () => Math.floor(random() * classes));
  const row = (label: number, margin: number) => {
    const z = Float32Array.from({ length: classes }, () => gaussian(random));
    z[label] = (z[label] as number) + margin;
    return z;
  };
  const cnn = labels.map((y) => row(y, cnnSignal * 2 * random()));
  const second = labels.map((y) =>
    clip === "independent" ? row(y, clipSignal * 2 * random()) : row((y + 1) % classes, 8),
  );
  return { cnn, clip: second, labels };
}

/**
 * Labels drawn from softmax(z / temperature) for random logits z: data a model with those
 * logits describes perfectly once divided by `temperature`, so fitting must recover it.
 */
export function temperatureDataset(
  count: number,
  classes: number,
  temperature: number,
  seed: number,
): { rows: Float32Array[]; labels: number[] } {
  const random = seededRandom(seed);
  const rows = Array.from({ length: count }, () =>
    Float32Array.from({ length: classes }, () => 3 * gaussian(random)),
  );
  const labels = rows.map((z) => {
    const p = softmax(z, temperature);
    let u = random();
    for (let c = 0; c < classes; c++) {
      u -= p[c] as number;
      if (u < 0) return c;
    }
    return classes - 1;
  });
  return { rows, labels };
}
