import { ConfigError, loadConfig } from "../config/config.ts";
import {
  CATALOG_DIR,
  CatalogError,
  listCatalog,
  loadCatalogPack,
  TRUST_ON_FIRST_USE,
} from "../downloads/catalog.ts";
import { DownloadError } from "../downloads/download-errors.ts";
import { downloadPack } from "../downloads/download-pack.ts";
import { describeDrift } from "../downloads/precision-drift.ts";
import { createProgress, megabytes } from "../downloads/progress.ts";
import {
  DOWNLOAD_PRECISIONS,
  type DownloadPrecision,
  selectPrecision,
} from "../downloads/select-precision.ts";
import { parseCommandLine, usageError } from "./command-line.ts";

const USAGE =
  "npm run models:download -- <pack> [--offline] [--mirror URL] [--out DIR] [--catalog DIR] [--retries N] [--timeout SECONDS] [--precision int8|fp32] | --list";

/**
 * Downloads a catalog pack's files into CACHE_DIR (verified by sha256, resumable) and assembles
 * a pack folder to start the service on. Progress on stderr; the pack's folder on stdout.
 */
async function main() {
  const { values, positionals } = parseCommandLine({
    usage: USAGE,
    help: `Downloads a catalog pack's files into CACHE_DIR (verified by sha256, resumable) and
assembles a pack folder to start the service on; --list names the catalog's packs. Progress on
stderr, the pack's folder on stdout.`,
    positionals: true,
    options: {
      offline: { type: "boolean" },
      mirror: { type: "string" },
      out: { type: "string" },
      catalog: { type: "string" },
      retries: { type: "string" },
      timeout: { type: "string" },
      precision: { type: "string" },
      list: { type: "boolean" },
    },
  });
  const catalogDir = values.catalog ?? CATALOG_DIR;
  if (values.list) return list(catalogDir);
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0) usage("name exactly one pack");
  const retries = count(values.retries, "--retries", 3);
  const timeoutSeconds = count(values.timeout, "--timeout", 30);
  if (timeoutSeconds === 0) usage("--timeout must be at least 1 second");
  if (values.mirror !== undefined && !URL.canParse(values.mirror)) {
    usage(`--mirror must be a URL, got "${values.mirror}"`);
  }
  const precision = values.precision;
  if (precision !== undefined && !isDownloadPrecision(precision)) {
    usage(`--precision must be ${DOWNLOAD_PRECISIONS.join(" or ")}, got "${precision}"`);
  }

  const config = loadConfig();
  const offline = values.offline === true || config.modelDownloads.offline;
  const mirror = values.mirror ?? config.modelDownloads.mirrorUrl;
  const progress = createProgress(process.stderr);
  if (offline) progress.note("offline: only the cache is used");
  else if (mirror) progress.note(`downloading from the mirror ${mirror}`);

  const { pack, files, drift } = await downloadPack(name, {
    cacheDir: config.cacheDir,
    catalogDir,
    outDir: values.out,
    offline,
    mirror,
    retries,
    idleTimeoutMs: timeoutSeconds * 1000,
    precision,
    progress,
  });
  if (drift?.check) {
    for (const line of describeDrift(drift.check)) progress.note(line);
    if (drift.from === "lock file")
      progress.note("  (measured before with these files on this CPU: read from the lock file)");
  }
  const fetched = files.filter((file) => file.from === "network").length;
  progress.note(
    `pack "${pack.name}": ${plural(files.length, "file")} (${fetched} downloaded, ${files.length - fetched} from the cache), ${plural(pack.labels.length, "label")}`,
  );
  progress.note(`start the service on it: MODEL_PACK=${pack.dir} npm start`);
  console.log(pack.dir);
}

async function list(catalogDir: string) {
  for (const name of await listCatalog(catalogDir)) {
    const pack = await loadCatalogPack(name, catalogDir);
    const pinned = pack.downloads.filter((d) => d.sha256 !== TRUST_ON_FIRST_USE).length;
    const known = (p: typeof pack) => p.downloads.reduce((sum, d) => sum + (d.size ?? 0), 0);
    const alone = DOWNLOAD_PRECISIONS.map(
      (only) => `${only} only ${megabytes(known(selectPrecision(pack, only)))}`,
    );
    console.log(
      `${name}: ${pack.downloads.length} files (${pinned} pinned, ${pack.downloads.length - pinned} trust-on-first-use; ${megabytes(known(pack))} of known sizes; ${alone.join(", ")})`,
    );
    if (pack.manifest.description) console.log(`  ${pack.manifest.description}`);
  }
}

function isDownloadPrecision(value: string): value is DownloadPrecision {
  return (DOWNLOAD_PRECISIONS as readonly string[]).includes(value);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function count(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`${flag} must be a whole number, got "${value}"`);
  return n;
}

function usage(message: string): never {
  return usageError(USAGE, message);
}

main().catch((error) => {
  const known =
    error instanceof DownloadError || error instanceof ConfigError || error instanceof CatalogError;
  console.error(known ? `error: ${error.message}` : error);
  process.exit(1);
});
