// @ts-check
// The production build: the service's TypeScript as JavaScript in dist/, one file per source file
// (dist/server/main.js is the entry point), the demo page's script bundled for browsers, and
// the files the code reads beside itself. Plain JavaScript on esbuild, a production
// dependency, so `npm ci --omit=dev && npm start` builds without TypeScript, tsx or any other
// development tool. Type checking stays with `npm run typecheck`.
import { cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundlePageScript } from "../server/demo/bundle-page.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "dist");
// Built beside, then swapped in whole: a service started from dist/ meanwhile (two `npm start`
// in one checkout) never reads half a build.
const STAGING = join(ROOT, ".cache", `dist-${process.pid}`);

// Test code, test helpers, benchmarks (run from the source with tsx), schema tooling and the
// browser code (bundled below) stay out.
const EXCLUDED = [
  /\.test\.ts$/,
  /\.d\.ts$/,
  /^server\/(testing|bench|demo\/browser)\//,
  /^schema\/(codegen|print-schema)\.ts$/,
];

// Read at run time relative to the module that reads them, so they keep their place in dist/.
const ASSETS = [
  "server/downloads/catalog",
  "schema/operations",
  "server/demo/browser/index.html",
  "server/demo/browser/page.css",
  "server/demo/browser/favicon.svg",
];

/**
 * The sources import each other as `./x.ts` (as Node's type stripping and tsx want); in dist/
 * each stays a module of its own, imported as `./x.js`. Packages stay imports of node_modules.
 * @type {import("esbuild").Plugin}
 */
const keepModulesApart = {
  name: "keep-modules-apart",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === "entry-point"
        ? undefined
        : { path: args.path.replace(/\.ts$/, ".js"), external: true },
    );
  },
};

const started = performance.now();
rmSync(STAGING, { recursive: true, force: true });
const entryPoints = ["server", "schema"]
  .flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" }).map(
      (file) => `${dir}/${file}`,
    ),
  )
  .filter((path) => /\.(ts|js)$/.test(path) && !EXCLUDED.some((pattern) => pattern.test(path)));
await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir: STAGING,
  outbase: ".",
  bundle: true,
  packages: "external",
  plugins: [keepModulesApart],
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
for (const asset of ASSETS) cpSync(join(ROOT, asset), join(STAGING, asset), { recursive: true });
const pageDir = new URL("../server/demo/browser/", import.meta.url);
writeFileSync(join(STAGING, "server/demo/browser/page.js"), await bundlePageScript(pageDir));
swapIn(STAGING, OUT);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`built ${entryPoints.length} modules and the demo page into dist/ in ${seconds} s`);

/**
 * Replaces `target` with `staging`. When another build swapped its own in first, that one
 * (built from the same sources) stays.
 * @param {string} staging
 * @param {string} target
 */
function swapIn(staging, target) {
  const old = `${staging}-old`;
  if (existsSync(target)) renameSync(target, old);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (!existsSync(target)) throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}
