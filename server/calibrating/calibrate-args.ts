import { parseArgs } from "node:util";

export const CALIBRATE_USAGE =
  "usage: npm run calibrate -- --images DIR [--labels FILE] [--pack NAME_OR_PATH] [--folds 5] [--max-share 0.3] [--share S] [--write]";

/** The calibrate command's options, checked. */
export interface CalibrateArgs {
  images: string;
  /** Default: labels.tsv in the images folder. */
  labels: string | undefined;
  /** Default: the configured pack (MODEL_PACK). */
  pack: string | undefined;
  folds: number;
  maxShare: number;
  /** A share asked for explicitly instead of the best within maxShare. */
  share: number | undefined;
  write: boolean;
}

/** Parsed options, `help`, or one line saying what is wrong. */
export type ParsedArgs = { args: CalibrateArgs } | { help: true } | { error: string };

/** Parses the command line without throwing: a bad flag is an `error` line, never a stack trace. */
export function parseCalibrateArgs(argv: readonly string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        images: { type: "string" },
        labels: { type: "string" },
        pack: { type: "string" },
        folds: { type: "string", default: "5" },
        "max-share": { type: "string", default: "0.3" },
        share: { type: "string" },
        write: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    // node:util words these for programmers ("... To specify a positional argument ..."): keep the first sentence.
    return { error: ((error as Error).message.split(/\. /)[0] ?? "bad arguments").trim() };
  }
  if (values.help) return { help: true };
  if (typeof values.images !== "string" || values.images === "") {
    return { error: "--images is required" };
  }
  const folds = Number(values.folds);
  if (!Number.isInteger(folds) || folds < 2) {
    return { error: `--folds must be an integer ≥ 2, got "${values.folds}"` };
  }
  const maxShare = Number(values["max-share"]);
  if (!(maxShare > 0 && maxShare <= 1)) {
    return { error: `--max-share must be in (0, 1], got "${values["max-share"]}"` };
  }
  const share = values.share === undefined ? undefined : Number(values.share);
  if (share !== undefined && !(share >= 0 && share <= 1)) {
    return { error: `--share must be in [0, 1], got "${values.share}"` };
  }
  return {
    args: {
      images: values.images,
      labels: values.labels as string | undefined,
      pack: values.pack as string | undefined,
      folds,
      maxShare,
      share,
      write: values.write === true,
    },
  };
}
