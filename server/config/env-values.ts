import { readFileSync } from "node:fs";
import { z } from "zod";
import { type ApiKeyEntry, parseApiKeyList, parseRateLimit } from "../auth/api-keys.ts";

// How one environment variable's text becomes a value. Each parser reports a bad value as a
// zod issue, so the configuration names the variable and lists every problem at once. Each is
// a function returning a new schema: config.ts records a variable's name on its schema
// instance, so no two variables may share one.

/** A comma-separated list in one environment variable; blanks are dropped. */
export const commaList = () =>
  z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

/** An empty variable (`PORT=` in an env file) means "not set", never 0. */
export const blankAsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

export const number = () => z.preprocess(blankAsUnset, z.coerce.number());

/** true/false or 1/0; empty is the fallback. */
export const flag = (fallback: boolean) =>
  z
    .preprocess(blankAsUnset, z.enum(["true", "false", "1", "0"]).optional())
    .transform((value) => (value === undefined ? fallback : value === "true" || value === "1"));

export const probability = () => number().pipe(z.number().min(0).max(1));
export const positiveInt = () => number().pipe(z.number().int().positive());

/** Unset is null rather than undefined, so "off" is a value the rest of the code checks for. */
export const orNull = <T>(value: T | undefined): T | null => value ?? null;

/** API key entries (see server/auth/api-keys.ts); a bad entry is reported like any variable. */
export const apiKeyList = () =>
  z
    .string()
    .default("")
    .transform((text, ctx): ApiKeyEntry[] => {
      try {
        return parseApiKeyList(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    });

/** A file of API key entries; unset is undefined, a missing file or a bad entry an issue. */
export const apiKeyFile = () =>
  z.preprocess(blankAsUnset, z.string().optional()).transform((path, ctx) => {
    if (path === undefined) return undefined;
    try {
      return parseApiKeyList(readFileSync(path, "utf8"));
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

/** REQUESTS_PER_SECOND[/BURST], e.g. 100/200. */
export const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const rate = parseRateLimit(text);
      if (rate) return rate;
      ctx.addIssue({
        code: "custom",
        message: "expected REQUESTS_PER_SECOND[/BURST], e.g. 100/200",
      });
      return z.NEVER;
    });

/** An origin as browsers send it: scheme, host and optional port, lower case, no path. */
const isOrigin = (value: string) => {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
};

/** Exact origins, or * alone. */
export const corsOrigins = () =>
  commaList().pipe(
    z
      .array(
        z.string().refine((value) => value === "*" || isOrigin(value), {
          error: (issue) =>
            `"${String(issue.input)}" is not an origin like https://app.example.com (no path, no trailing slash)`,
        }),
      )
      .refine((origins) => !origins.includes("*") || origins.length === 1, {
        error: "* allows every origin; list origins or set * alone",
      }),
  );
