import { type ParseArgsConfig, parseArgs } from "node:util";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;
type Value<S> = S extends { type: "boolean" }
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : string;
/** What parseArgs yields for a set of options: options with a default are always there. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O as O[K] extends { default: unknown } ? K : never]: Value<O[K]>;
} & {
  [K in keyof O as O[K] extends { default: unknown } ? never : K]?: Value<O[K]>;
};

export interface CommandSpec<O extends OptionSpecs> {
  /** One line: how to call it, e.g. "npm run evaluate -- --images DIR [--limit N]". */
  usage: string;
  /** What the command does and what its options mean; --help prints it under the usage line. */
  help?: string;
  options: O;
  /** Whether it takes positional arguments (e.g. a pack name). Default false. */
  positionals?: boolean;
}

/**
 * A bad command line, said in one line on stderr with the usage, and exit code 2: never a
 * stack trace. For checks after parsing too (a missing or malformed value).
 */
export function usageError(usage: string, problem: string): never {
  process.stderr.write(`${problem} (usage: ${usage})\n`);
  process.exit(2);
}

/**
 * Every command's argument parsing: node:util parseArgs, strict, plus `--help`/`-h` (prints the
 * usage and help, exits 0). An unknown flag or a missing value is one line and exit code 2.
 * `fail` reports a value the command itself finds wrong, the same way.
 */
export function parseCommandLine<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
) {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: spec.positionals ?? false,
    });
  } catch (error) {
    usageError(spec.usage, firstSentence((error as Error).message));
  }
  if (parsed.values.help === true) {
    process.stdout.write(`usage: ${spec.usage}\n${spec.help ? `\n${spec.help.trim()}\n` : ""}`);
    process.exit(0);
  }
  return {
    values: parsed.values as OptionValues<O>,
    positionals: parsed.positionals,
    fail: (problem: string): never => usageError(spec.usage, problem),
  };
}

// node:util words its errors for programmers ("... To specify a positional argument ..."):
// the first sentence says what is wrong.
function firstSentence(message: string): string {
  return (message.split(/\. /)[0] ?? message).trim();
}

/** A flag's value as a positive integer, or a usage error naming it. */
export function positiveInteger(
  value: string | undefined,
  flag: string,
  fail: (problem: string) => never,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a positive integer, got "${value}"`);
  return n;
}
