// @ts-check
// Plain JavaScript, so the build (scripts/build.js, run by plain node with production
// dependencies only) and the service running from source share one set of bundle settings.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * The demo page's TypeScript (and the typed operations it imports) as one browser module.
 * @param {URL} browserDir the folder holding page.ts
 * @returns {Promise<string>}
 */
export async function bundlePageScript(browserDir) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("page.ts", browserDir))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no output for the demo page");
  return output.text;
}
