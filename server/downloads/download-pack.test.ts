import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../hashing/sha256.ts";
import { loadPack } from "../packs/load-pack.ts";
import {
  FIXTURE_FILES,
  FIXTURE_PACK,
  fixtureBytes,
  fixtureFile,
  hostedFixtureFiles,
  writeFixtureCatalog,
} from "../testing/download-fixture.ts";
import { lfsPointer, type ModelHost, startModelHost } from "../testing/model-host.ts";
import { freePort } from "../testing/ports.ts";
import { cacheLayout } from "./cache-layout.ts";
import {
  ChecksumMismatchError,
  LfsPointerError,
  NetworkUnreachableError,
  OfflineMissingError,
  RangeIgnoredError,
  SizeMismatchError,
  TransferError,
  TruncatedFileError,
} from "./download-errors.ts";
import { type DownloadPackOptions, downloadPack } from "./download-pack.ts";
import { createProgress } from "./progress.ts";

let host: ModelHost;
let tmp: string;
let cacheDir: string;
let catalogDir: string;
let output: string[];

beforeEach(async () => {
  host = await startModelHost(hostedFixtureFiles());
  tmp = await mkdtemp(join(tmpdir(), "model-download-"));
  cacheDir = join(tmp, "cache");
  catalogDir = await writeFixtureCatalog(join(tmp, "catalog"), host.url);
  output = [];
});

afterEach(async () => {
  await host.close();
  await rm(tmp, { recursive: true, force: true });
});

function download(options: Partial<DownloadPackOptions> = {}) {
  return downloadPack(FIXTURE_PACK, {
    cacheDir,
    catalogDir,
    offline: false,
    mirror: null,
    retryDelayMs: 0,
    progress: createProgress({ write: (text: string) => output.push(text) }),
    ...options,
  });
}

/** The rejection of a download that must fail. */
async function failure(options: Partial<DownloadPackOptions> = {}): Promise<Error> {
  try {
    await download(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error("the download was expected to fail");
}

const cache = () => cacheLayout(cacheDir);
const urlOf = (packPath: string) => `${host.url}${fixtureFile(packPath).urlPath}`;
const cdnPath = (packPath: string) => `/cdn/${sha256Hex(fixtureBytes(fixtureFile(packPath)))}`;
const requestsFor = (path: string) => host.requests.filter((r) => r.path === path);
const VISION = "clip/vision_model.onnx";
const visionSize = fixtureBytes(fixtureFile(VISION)).length;

describe("downloading a catalog pack", () => {
  it("fetches every file, verifies it and assembles a pack the service's loader accepts", async () => {
    const { pack, files } = await download();

    expect(files.map((f) => f.from)).toEqual(FIXTURE_FILES.map(() => "network"));
    for (const file of FIXTURE_FILES) {
      const inPack = readFileSync(join(pack.dir, file.packPath));
      expect(sha256Hex(inPack), file.packPath).toBe(sha256Hex(fixtureBytes(file)));
    }
    expect(pack.dir).toBe(cache().packDir(FIXTURE_PACK));
    expect(pack.labels).toHaveLength(10);
    expect((await loadPack(pack.dir)).manifest.clip?.text_embeddings).toBeUndefined();
    // LFS files come through the hub's redirect to its CDN, as on Hugging Face.
    expect(requestsFor(fixtureFile(VISION).urlPath).map((r) => r.status)).toEqual([302]);
    expect(requestsFor(cdnPath(VISION)).map((r) => r.status)).toEqual([200]);
  });

  it("records trust-on-first-use files in the lock file: the hub's stated sha256, or the computed one", async () => {
    const unpinned = ["clip/vision_model.onnx", "clip/vocab.json", "clip/preprocessor_config.json"];
    await download({
      catalogDir: await writeFixtureCatalog(join(tmp, "tofu"), host.url, {
        trustOnFirstUse: unpinned,
      }),
    });
    const lock = JSON.parse(await readFile(cache().lockFile, "utf8"));
    for (const packPath of unpinned) {
      const file = fixtureFile(packPath);
      expect(lock.files[urlOf(packPath)], packPath).toMatchObject({
        sha256: sha256Hex(fixtureBytes(file)),
        size: fixtureBytes(file).length,
        source: file.lfs ? "server" : "computed",
      });
    }
    // Pinned files need no lock entry.
    expect(Object.keys(lock.files)).toHaveLength(unpinned.length);
  });

  it("asks for the bytes as they are, so a host that compresses for clients sends the file", async () => {
    host.faults.gzip = true;
    const { pack } = await download();
    expect(sha256Hex(readFileSync(join(pack.dir, "clip/vocab.json")))).toBe(
      sha256Hex(fixtureBytes(fixtureFile("clip/vocab.json"))),
    );
    // Uncompressed at the first try: a gzipped body is shorter than its Content-Length promises
    // once fetch inflates it, which would read as a broken transfer and cost a retry.
    expect(output.join("")).not.toContain("retry");
    expect(requestsFor(fixtureFile("clip/vocab.json").urlPath)).toHaveLength(1);
  });

  it("does not fetch files again that are in the cache and verified", async () => {
    await download();
    const before = host.requests.length;
    const { files } = await download();
    expect(host.requests.length).toBe(before);
    expect(files.every((f) => f.from === "cache")).toBe(true);
  });

  it("downloads a cached file again when it no longer matches its checksum", async () => {
    await download();
    await writeFile(cache().file(urlOf("clip/vocab.json")), "{}");
    const before = host.requests.length;
    const { files } = await download();
    expect(files.filter((f) => f.from === "network").map((f) => f.download.path)).toEqual([
      "clip/vocab.json",
    ]);
    expect(host.requests.length).toBe(before + 1);
    expect(output.join("")).toMatch(/clip\/vocab\.json: the cached copy had sha256 \w+, not \w+/);
  });
});

describe("the pack folder", () => {
  it("replaces an earlier pack in --out, but never a folder that is not a pack", async () => {
    const out = join(tmp, "out");
    await download({ outDir: out });
    await writeFile(join(out, "stale.txt"), "from an earlier run");
    await download({ outDir: out });
    expect(existsSync(join(out, "stale.txt"))).toBe(false);

    const notAPack = join(tmp, "documents");
    await mkdir(notAPack);
    await writeFile(join(notAPack, "notes.txt"), "keep me");
    const error = await failure({ outDir: notAPack });
    expect(error.message).toBe(
      `${notAPack} exists and is not a model pack; choose another --out folder`,
    );
    expect(readFileSync(join(notAPack, "notes.txt"), "utf8")).toBe("keep me");
  });

  it("derives labels.json from a synset file", async () => {
    const labels: string[] = JSON.parse(fixtureBytes(fixtureFile("labels.json")).toString());
    const synset = labels.map((label, i) => `n${String(i).padStart(8, "0")} ${label}, other name`);
    const bytes = Buffer.from(`${synset.join("\n")}\n`);
    host.files.set("/example/synset.txt", { bytes });
    const entry = JSON.parse(await readFile(join(catalogDir, `${FIXTURE_PACK}.json`), "utf8"));
    entry.downloads = entry.downloads.filter((d: { path: string }) => d.path !== "labels.json");
    entry.downloads.push({
      path: "imagenet/synset.txt",
      url: `${host.url}/example/synset.txt`,
      sha256: sha256Hex(bytes),
      checksumSource: "pinned: test",
    });
    entry.labels = { from: "imagenet/synset.txt", format: "synset" };
    await writeFile(join(catalogDir, `${FIXTURE_PACK}.json`), JSON.stringify(entry));

    const { pack } = await download();
    expect(pack.labels).toEqual(labels);
  });

  it("names a file the server does not have", async () => {
    host.files.delete(fixtureFile("labels.json").urlPath);
    const error = await failure();
    expect(error).toBeInstanceOf(TransferError);
    expect(error.message).toBe(`labels.json: HTTP 404 Not Found for ${urlOf("labels.json")}.`);
  });
});

describe("resuming", () => {
  // The host sends 300,000 bytes, then closes the connection. The client keeps what it read
  // before fetch noticed the close: at most that many, never nothing.
  const DROP_AT = 300_000;
  const kept = async () => (await stat(cache().partFile(urlOf(VISION)))).size;

  it("continues a file with a Range request after the connection drops mid-file", async () => {
    host.faults.dropAfter.set(fixtureFile(VISION).urlPath, DROP_AT);
    await download();

    const [first, second, ...more] = requestsFor(cdnPath(VISION));
    expect(more).toEqual([]);
    expect(first).toMatchObject({ range: null, status: 200, bytesSent: DROP_AT });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second?.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(DROP_AT);
    // Only the remainder crossed the wire the second time.
    expect(second).toMatchObject({ status: 206, bytesSent: visionSize - resumedAt });
    expect(sha256Hex(await readFile(cache().file(urlOf(VISION))))).toBe(
      sha256Hex(fixtureBytes(fixtureFile(VISION))),
    );
    expect(output.join("")).toMatch(/clip\/vision_model\.onnx: .*closed early; retry 1 of 3/);
  });

  it("keeps the .part file when a run gives up, and the next run transfers only the rest", async () => {
    host.faults.dropAfter.set(fixtureFile(VISION).urlPath, DROP_AT);
    const error = await failure({ retries: 0 });
    const part = await kept();
    expect(part).toBeGreaterThan(0);
    expect(part).toBeLessThanOrEqual(DROP_AT);
    expect(error).toBeInstanceOf(TransferError);
    expect(error.message).toContain(`${VISION}: download from 127.0.0.1`);
    expect(error.message).toContain(`${part} bytes are kept`);

    await download({ retries: 0 });
    expect(requestsFor(cdnPath(VISION)).at(-1)).toEqual({
      path: cdnPath(VISION),
      range: `bytes=${part}-`,
      status: 206,
      bytesSent: visionSize - part,
    });
    expect(existsSync(cache().partFile(urlOf(VISION)))).toBe(false);
  });

  it("starts again from byte 0 when the server ignores the Range request", async () => {
    host.faults.dropAfter.set(fixtureFile(VISION).urlPath, DROP_AT);
    await failure({ retries: 0 });
    const part = await kept();
    host.faults.ignoreRange = true;

    await download({ retries: 0 });
    expect(requestsFor(cdnPath(VISION)).at(-1)).toEqual({
      path: cdnPath(VISION),
      range: `bytes=${part}-`,
      status: 200,
      bytesSent: visionSize,
    });
    expect(sha256Hex(await readFile(cache().file(urlOf(VISION))))).toBe(
      sha256Hex(fixtureBytes(fixtureFile(VISION))),
    );
    expect(output.join("")).toContain("the server ignored the Range request");
  });
});

describe("checksums", () => {
  it("deletes a pinned file whose bytes do not match and names the file and both hashes", async () => {
    const path = fixtureFile("clip/vocab.json").urlPath;
    const good = fixtureBytes(fixtureFile("clip/vocab.json"));
    const bad = Buffer.from(good);
    bad[100] = (bad[100] ?? 0) ^ 0xff;
    (host.files.get(path) as { bytes: Buffer }).bytes = bad;

    const error = await failure();
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error.message).toContain(
      `checksum mismatch for clip/vocab.json: expected sha256 ${sha256Hex(good)}, got ${sha256Hex(bad)}`,
    );
    // The pin is the publisher's: the advice is to check the host, not to adopt its bytes.
    expect(error.message).toContain("The host serves another file than the catalog pins");
    expect(error.message.split("\n")).toHaveLength(1);
    expect(existsSync(cache().file(urlOf("clip/vocab.json")))).toBe(false);
    expect(existsSync(cache().partFile(urlOf("clip/vocab.json")))).toBe(false);
  });

  it("checks a first download against the sha256 the hub states (X-Linked-Etag)", async () => {
    const stated = sha256Hex(Buffer.from("another file"));
    const hosted = host.files.get(fixtureFile(VISION).urlPath);
    if (hosted) hosted.statedSha256 = stated;

    const error = await failure({
      catalogDir: await writeFixtureCatalog(join(tmp, "tofu"), host.url, {
        trustOnFirstUse: [VISION],
      }),
    });
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const actual = sha256Hex(fixtureBytes(fixtureFile(VISION)));
    expect(error.message).toContain(`expected sha256 ${stated}, got ${actual}`);
    expect(existsSync(cache().file(urlOf(VISION)))).toBe(false);
    expect(existsSync(cache().partFile(urlOf(VISION)))).toBe(false);
  });

  it("holds trust-on-first-use files to the lock file afterwards", async () => {
    const PREPROCESS = "clip/preprocessor_config.json";
    await download();
    const original = fixtureBytes(fixtureFile(PREPROCESS));
    await rm(cache().file(urlOf(PREPROCESS)));
    // Same size, other bytes: the lock's size passes, its sha256 does not.
    const changed = Buffer.from(
      original.toString("utf8").replace(/\d/, (d) => String((+d + 1) % 10)),
    );
    (host.files.get(fixtureFile(PREPROCESS).urlPath) as { bytes: Buffer }).bytes = changed;

    const error = await failure();
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error.message).toContain(
      `expected sha256 ${sha256Hex(original)}, got ${sha256Hex(changed)}`,
    );
    expect(error.message).toContain(`delete its entry from ${cache().lockFile}`);
    expect(existsSync(cache().file(urlOf(PREPROCESS)))).toBe(false);
  });

  it("stops before downloading when the hub states another sha256 than the pin", async () => {
    const hosted = host.files.get(fixtureFile(VISION).urlPath);
    if (hosted) hosted.statedSha256 = sha256Hex(Buffer.from("a re-uploaded model"));

    const error = await failure();
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error.message).toContain("states that sha256 for the file, so nothing was downloaded");
    expect(requestsFor(cdnPath(VISION))).toHaveLength(0);
    expect(existsSync(cache().partFile(urlOf(VISION)))).toBe(false);
  });
});

describe("refusing what is not the pinned file, keeping nothing", () => {
  const CNN = "cnn/model.onnx";
  const PREPROCESS = "clip/preprocessor_config.json";
  /** Neither the file nor its .part is left in the cache. */
  const nothingKept = (packPath: string) =>
    !existsSync(cache().file(urlOf(packPath))) && !existsSync(cache().partFile(urlOf(packPath)));
  const oneLine = (error: Error) => expect(error.message.split("\n")).toHaveLength(1);

  it("says a Git LFS pointer is not the file and that the catalog's URL is stale", async () => {
    host.faults.lfsPointer.add(fixtureFile(CNN).urlPath);
    const bytes = fixtureBytes(fixtureFile(CNN));
    const pointerBytes = lfsPointer(bytes).length;

    const error = await failure();
    expect(error).toBeInstanceOf(LfsPointerError);
    expect(error.message).toBe(
      `${CNN}: the host served a Git LFS pointer, not the file; the catalog's URL is stale (${urlOf(CNN)} sent ${pointerBytes} bytes of pointer text, naming sha256 ${sha256Hex(bytes)} of ${bytes.length} bytes). Nothing was kept.`,
    );
    expect(nothingKept(CNN)).toBe(true);
    // Refused, not retried: the same URL would serve the same pointer.
    expect(requestsFor(fixtureFile(CNN).urlPath)).toHaveLength(1);
  });

  it("recognises a pointer for a file with no pinned size, after it arrived", async () => {
    host.faults.lfsPointer.add(fixtureFile(PREPROCESS).urlPath);
    const error = await failure();
    expect(error).toBeInstanceOf(LfsPointerError);
    expect(error.message).toMatch(
      /^clip\/preprocessor_config\.json: the host served a Git LFS pointer/,
    );
    oneLine(error);
    expect(nothingKept(PREPROCESS)).toBe(true);
    expect(existsSync(cache().lockFile)).toBe(false);
  });

  it("refuses a stated size (X-Linked-Size) other than the pin before fetching any byte", async () => {
    const hosted = host.files.get(fixtureFile(VISION).urlPath);
    if (hosted) hosted.statedSize = visionSize + 1;
    const error = await failure();
    expect(error).toBeInstanceOf(SizeMismatchError);
    expect(error.message).toBe(
      `${VISION}: ${urlOf(VISION)} states ${visionSize + 1} bytes (X-Linked-Size), the catalog pins ${visionSize}, so nothing was downloaded; the host serves another file than the pinned one.`,
    );
    expect(requestsFor(cdnPath(VISION))).toHaveLength(0);
    expect(nothingKept(VISION)).toBe(true);
  });

  it("refuses a Content-Length other than the pin before keeping any byte", async () => {
    const path = fixtureFile("clip/vocab.json").urlPath;
    const good = fixtureBytes(fixtureFile("clip/vocab.json"));
    (host.files.get(path) as { bytes: Buffer }).bytes = Buffer.concat([good, good]);
    const error = await failure();
    expect(error).toBeInstanceOf(SizeMismatchError);
    expect(error.message).toContain(
      `states ${good.length * 2} bytes (Content-Length), the catalog pins ${good.length}`,
    );
    oneLine(error);
    expect(nothingKept("clip/vocab.json")).toBe(true);
  });

  it("refuses a body that ends cleanly short of the pinned size", async () => {
    host.faults.truncateAt.set(fixtureFile(VISION).urlPath, 1000);
    const error = await failure();
    expect(error).toBeInstanceOf(TruncatedFileError);
    expect(error.message).toBe(
      `${VISION}: ${urlOf(VISION)} ended the file at byte 1000 of the pinned ${visionSize} without an error (a truncated transfer); nothing was kept. Run again, or use another mirror.`,
    );
    expect(nothingKept(VISION)).toBe(true);
  });

  it("gives up on a host that ignores Range once its retries are spent, keeping nothing", async () => {
    host.faults.ignoreRange = true;
    host.faults.dropAfter.set(fixtureFile(VISION).urlPath, 300_000);
    host.faults.dropTimes.set(fixtureFile(VISION).urlPath, 2);
    const error = await failure({ retries: 1 });
    expect(error).toBeInstanceOf(RangeIgnoredError);
    expect(error.message).toMatch(
      /^clip\/vision_model\.onnx: \S+ answers Range requests with the whole file, so a broken transfer cannot be continued, and it broke on each of 2 attempts \(last: .*\); nothing was kept\./,
    );
    oneLine(error);
    // The second attempt asked for the rest and got the whole file again.
    expect(requestsFor(cdnPath(VISION)).map((r) => r.status)).toEqual([200, 200]);
    expect(requestsFor(cdnPath(VISION))[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(nothingKept(VISION)).toBe(true);
  });
});

describe("offline", () => {
  it("assembles the pack from a complete cache without a single request", async () => {
    await download();
    await rm(cache().packDir(FIXTURE_PACK), { recursive: true });
    const before = host.requests.length;

    const { pack, files } = await download({ offline: true });
    expect(host.requests.length).toBe(before);
    expect(files.every((f) => f.from === "cache")).toBe(true);
    expect((await loadPack(pack.dir)).labels).toHaveLength(10);
  });

  it("fails listing every file the cache lacks, without a request", async () => {
    await download();
    await rm(cache().file(urlOf("clip/text_model.onnx")));
    await rm(cache().file(urlOf("labels.json")));
    const before = host.requests.length;

    const error = await failure({ offline: true });
    expect(error).toBeInstanceOf(OfflineMissingError);
    expect((error as OfflineMissingError).missing.map((m) => m.path)).toEqual([
      "labels.json",
      "clip/text_model.onnx",
    ]);
    expect(error.message).toContain(
      `clip/text_model.onnx (not in the cache): ${urlOf("clip/text_model.onnx")}`,
    );
    expect(host.requests.length).toBe(before);
  });

  it("treats a cached trust-on-first-use file without a lock entry as missing", async () => {
    await download();
    await rm(cache().lockFile);
    const error = await failure({ offline: true });
    expect((error as OfflineMissingError).missing.map((m) => m.path)).toEqual(
      FIXTURE_FILES.filter((f) => !f.pinned).map((f) => f.packPath),
    );
    expect(error.message).toContain("cached but not in");
  });
});

describe("network trouble", () => {
  it("says in one line that the host cannot be reached and what to do", async () => {
    const port = await freePort();
    const unreachable = await writeFixtureCatalog(
      join(tmp, "unreachable"),
      `http://127.0.0.1:${port}`,
    );
    const error = await failure({ catalogDir: unreachable });
    expect(error).toBeInstanceOf(NetworkUnreachableError);
    expect(error.message).toBe(
      `cnn/model.onnx: cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED). ` +
        "Without internet access, download from a mirror with --mirror URL (MODELS_MIRROR_URL), " +
        "or use only the cache with --offline (MODELS_OFFLINE=1).",
    );
  });

  it("points at the mirror when the mirror is the host that cannot be reached", async () => {
    const port = await freePort();
    const error = await failure({ mirror: `http://127.0.0.1:${port}` });
    expect(error).toBeInstanceOf(NetworkUnreachableError);
    expect(error.message).toContain("Check the mirror (--mirror / MODELS_MIRROR_URL)");
    expect(error.message.split("\n")).toHaveLength(1);
  });

  it("explains a mirror on a port that fetch refuses", async () => {
    const error = await failure({ mirror: "http://127.0.0.1:6000" });
    expect(error).toBeInstanceOf(NetworkUnreachableError);
    expect(error.message).toContain(
      'cannot use 127.0.0.1:6000: Node\'s fetch refuses that port (a "bad port" in the Fetch standard)',
    );
  });

  it("gives up on a server that stops sending, after its retries", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const error = await failure({
        mirror: `http://127.0.0.1:${port}`,
        idleTimeoutMs: 200,
        retries: 1,
      });
      expect(error).toBeInstanceOf(TransferError);
      expect(error.message).toBe("cnn/model.onnx: no data for 200 ms.");
      expect(output.join("")).toContain("cnn/model.onnx: no data for 200 ms; retry 1 of 1");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe("mirrors", () => {
  it("fetches the catalog's URLs from the mirror by path, and caches them under the catalog's host", async () => {
    const elsewhere = await writeFixtureCatalog(join(tmp, "elsewhere"), "https://models.invalid");
    const { files } = await download({ catalogDir: elsewhere, mirror: host.url });

    expect(files.every((f) => f.from === "network")).toBe(true);
    const asked = host.requests.filter((r) => !r.path.startsWith("/cdn/")).map((r) => r.path);
    expect(asked).toEqual(FIXTURE_FILES.map((f) => f.urlPath));
    for (const file of files) {
      expect(file.cacheFile).toContain(join(cacheDir, "models/files/models.invalid/example"));
    }
  });
});
