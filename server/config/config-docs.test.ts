import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configVariables, loadConfig } from "./config.ts";

// The Markdown tables that name environment variables are written by hand; these tests hold
// them to the one declaration in config.ts, so a renamed variable or a changed default cannot
// leave the documentation behind.

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

interface Row {
  names: string[];
  /** The default column's text for each name, or null when the table has no such column. */
  defaults: string[] | null;
}

interface Table {
  /** The Markdown heading the table sits under, e.g. "## Configuration". */
  heading: string;
  rows: Row[];
}

const cellsOf = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((cell) => cell.trim());

/**
 * Variables named in a cell: `GRAPHQL_MAX_DEPTH` / `_ALIASES` is shorthand for
 * GRAPHQL_MAX_DEPTH and GRAPHQL_MAX_ALIASES.
 */
function namesIn(cell: string): string[] {
  const names: string[] = [];
  for (const [, token] of cell.matchAll(/`(_?[A-Z][A-Z0-9_]*)`/g)) {
    const first = names[0];
    if (token?.startsWith("_") && first) names.push(first.slice(0, first.lastIndexOf("_")) + token);
    else if (token) names.push(token);
  }
  return names;
}

/** Every table with a `variable` or `setting` column, with the variables each row names. */
function variableTables(markdown: string): Table[] {
  const tables: Table[] = [];
  const lines = markdown.split("\n");
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("#")) heading = line.trim();
    if (!line.startsWith("|") || !lines[i + 1]?.startsWith("|---")) continue;
    const header = cellsOf(line);
    const column = header.findIndex((name) => name === "variable" || name === "setting");
    if (column < 0) continue;
    const defaultColumn = header.indexOf("default");
    const rows: Row[] = [];
    for (i += 2; lines[i]?.startsWith("|"); i++) {
      const cells = cellsOf(lines[i] as string);
      const names = namesIn(cells[column] ?? "");
      if (names.length === 0) continue;
      const defaults = defaultColumn < 0 ? null : (cells[defaultColumn] ?? "").split(" / ");
      rows.push({ names, defaults });
    }
    tables.push({ heading, rows });
  }
  return tables;
}

function table(file: string, heading: string): Table {
  const found = variableTables(read(file)).find((t) => t.heading === heading);
  if (!found) throw new Error(`${file} has no variable table under "${heading}"`);
  return found;
}

/** The default as the documentation writes it: 64 MiB, 86,400 (a day), `imagenet`, (none). */
function documentedDefault(cell: string): string {
  const text = cell.replaceAll("`", "").trim();
  if (/^\(?none\b/.test(text)) return "none";
  const bytes = /^(\d+) (KiB|MiB)$/.exec(text);
  if (bytes) return String(Number(bytes[1]) * (bytes[2] === "KiB" ? 1024 : 1024 * 1024));
  return text.replace(/ \(.*\)$/, "").replace(/(\d),(?=\d{3})/g, "$1");
}

/**
 * A variable's default as its text would be, before any conversion (PREDICTION_TTL_SECONDS is
 * in seconds here, milliseconds in the configuration). Undefined: the default depends on
 * something else, which the documentation explains in words.
 */
function declaredDefault(schema: z.ZodType): string | undefined {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodPipe) inner = inner.in as z.ZodType;
  const value = inner instanceof z.ZodDefault ? inner.def.defaultValue : schema.parse(undefined);
  if (value === undefined) return undefined;
  if (value === null || value === "" || (Array.isArray(value) && value.length === 0)) return "none";
  return String(value);
}

// Defaults computed from the machine, which the documentation states in words.
const machineDefaults = new Set(["ORT_INTRA_OP_THREADS"]);

/** The `environment:` of the stack's api service in docker-compose.yml. */
function composeApiEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  let inApi = false;
  let inEnvironment = false;
  for (const line of read("docker-compose.yml").split("\n")) {
    if (/^ {2}\S/.test(line)) inApi = line.trim() === "api:";
    else if (/^ {4}\S/.test(line)) inEnvironment = inApi && line.trim() === "environment:";
    const setting = inEnvironment && /^ {6}([A-Z][A-Z0-9_]*): "?([^"]*)"?$/.exec(line);
    if (setting) env[setting[1] as string] = setting[2] as string;
  }
  return env;
}

/** The variables the Dockerfile's ENV lines set. */
function dockerfileEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, settings] of read("Dockerfile").matchAll(/^ENV (.+)$/gm)) {
    for (const [, name, value] of (settings ?? "").matchAll(/([A-Z][A-Z0-9_]*)=(\S*)/g)) {
      env[name as string] = value as string;
    }
  }
  return env;
}

// Read by Node and its libraries, or by the dynamic loader (jemalloc), not by the service's
// configuration.
const runtimeVariables = new Set(["NODE_ENV", "LD_PRELOAD"]);

const declared = new Map(configVariables.map((variable) => [variable.name, variable]));
const documentation = [
  "README.md",
  "SECURITY.md",
  ...readdirSync(new URL("../../docs/", import.meta.url)).map((file) => `docs/${file}`),
].filter((file) => file.endsWith(".md"));

describe("documentation of the environment variables", () => {
  it("lists every variable once in the README's configuration table", () => {
    const listed = table("README.md", "## Configuration").rows.flatMap((row) => row.names);
    expect([...listed].sort()).toEqual([...declared.keys()].sort());
  });

  it.each(documentation)("names only variables the service reads in %s", (file) => {
    const named = variableTables(read(file)).flatMap((t) => t.rows.flatMap((row) => row.names));
    expect(named.filter((name) => !declared.has(name))).toEqual([]);
  });

  it.each([
    ["the Dockerfile", dockerfileEnvironment],
    ["the stack's api service", composeApiEnvironment],
  ])("sets only variables the service reads, to values it accepts, in %s", (_, environment) => {
    const env = environment();
    const names = Object.keys(env).filter((name) => !runtimeVariables.has(name));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !declared.has(name))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
  });

  it.each([
    ["README.md", "## Configuration"],
    ["docs/scale-out.md", "## Settings"],
  ])("gives each variable its declared default in %s", (file, heading) => {
    const rows = table(file, heading).rows;
    expect(rows.length).toBeGreaterThan(0);
    for (const { names, defaults } of rows) {
      // One default for several variables applies to each of them.
      const cells = defaults?.length === 1 ? names.map(() => defaults[0] as string) : defaults;
      expect(cells, `defaults of ${names.join(", ")}`).toHaveLength(names.length);
      names.forEach((name, i) => {
        const variable = declared.get(name);
        const expected = variable && declaredDefault(variable.schema);
        if (expected === undefined || machineDefaults.has(name)) return;
        expect(documentedDefault(cells?.[i] ?? ""), name).toBe(expected);
      });
    }
  });
});
