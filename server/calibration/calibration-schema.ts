import { z } from "zod";

const probability = z.number().min(0, "must be ≥ 0").max(1, "must be ≤ 1");
const positive = z.number().positive("must be > 0");

const logLinear = z.strictObject({
  /** score = w·log p_cnn + (1 − w)·log p_clip, one w for every routed image. */
  rule: z.literal("log-linear"),
  cnnWeight: probability,
});

const confidenceBands = z
  .strictObject({
    /** As log-linear, with w chosen by the band the CNN's calibrated confidence falls in. */
    rule: z.literal("confidence-bands"),
    /** Each band holds from its `from` to the next band's; the first starts at 0. */
    bands: z.array(z.strictObject({ from: probability, cnnWeight: probability })).min(1),
  })
  .superRefine(({ bands }, ctx) => {
    if (bands[0] && bands[0].from !== 0) {
      ctx.addIssue({ code: "custom", path: ["bands", 0, "from"], message: "must be 0" });
    }
    bands.forEach((band, i) => {
      if (i > 0 && band.from <= (bands[i - 1]?.from ?? 0)) {
        const message = "must be greater than the previous band's";
        ctx.addIssue({ code: "custom", path: ["bands", i, "from"], message });
      }
    });
  });

const curve = z
  .array(z.strictObject({ share: probability, accuracy: probability }))
  .min(1)
  .superRefine((points, ctx) => {
    points.forEach((point, i) => {
      if (i > 0 && point.share <= (points[i - 1]?.share ?? 0)) {
        const message = "must be greater than the previous point's";
        ctx.addIssue({ code: "custom", path: [i, "share"], message });
      }
    });
  });

/** Accuracy of each way of answering: CNN alone, second model alone, the cascade, ensemble always. */
const accuracies = z.strictObject({
  cnn: probability,
  clip: probability,
  auto: probability,
  force: probability,
});

/**
 * A pack's fitted routing and ensembling (the `calibration` section of pack.json). The CNN's
 * calibrated top-1 probability below `routing.threshold` sends an image to the second model;
 * the ensemble then scores classes by a weighted sum of both models' calibrated log-probabilities.
 */
export const calibrationSchema = z.strictObject({
  version: z.literal(1),
  temperatures: z.strictObject({ cnn: positive, clip: positive }),
  ensemble: z.discriminatedUnion("rule", [logLinear, confidenceBands]),
  routing: z.strictObject({
    /** Images whose CNN confidence is below this go to the second model. */
    threshold: probability,
    /** Share of the fitting images that threshold sends. */
    share: probability,
    /** How the threshold was chosen; `cnn-alone` when no cascade beat the CNN on the data. */
    choice: z.enum(["best-within-max-share", "fixed-share", "cnn-alone"]),
  }),
  /** Accuracies on the fitting images (in-sample). */
  fitted: accuracies,
  /** Cascade accuracy against the share of fitting images sent to the second model. */
  curve,
  /** The labelled images the fit came from. */
  data: z.strictObject({
    name: z.string().min(1, "must not be empty"),
    count: z.number().int("must be an integer").positive("must be > 0"),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  }),
  /** Accuracies on images the fit did not see: k-fold out-of-fold, or a dataset's test split. */
  heldOut: accuracies
    .extend({
      method: z.string().regex(/^(\d+-fold|test-split)$/, 'must be "<k>-fold" or "test-split"'),
      count: z.number().int("must be an integer").positive("must be > 0"),
      /** Share of held-out images the cascade sent to the second model. */
      share: probability,
      curve,
    })
    .optional(),
  fittedAt: z.iso.datetime("must be an ISO 8601 date-time"),
});

/** A pack's calibration, validated. */
export type Calibration = z.infer<typeof calibrationSchema>;
/** The ensemble rule of a calibration. */
export type EnsembleSpec = Calibration["ensemble"];
/** One point of an accuracy-versus-share curve. */
export type SharePoint = Calibration["curve"][number];

/**
 * Validates a calibration section. Returns it typed, or throws one error listing every problem,
 * each with the field's path under `root` (e.g. `calibration.temperatures.cnn: must be > 0`).
 */
export function parseCalibration(value: unknown, root = "calibration"): Calibration {
  const parsed = calibrationSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${fieldPath(root, issue.path)}: ${describe(issue)}`,
  );
  throw new Error(`invalid ${root}:\n  ${problems.join("\n  ")}`);
}

function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === "number" ? `${at}[${key}]` : `${at}.${String(key)}`),
    root,
  );
}

function describe(issue: z.core.$ZodIssue): string {
  // zod words a missing field as a type error; say what the pack author must do.
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return "is required";
  }
  if (issue.code === "unrecognized_keys") return `unknown field(s) ${issue.keys.join(", ")}`;
  return issue.message;
}
