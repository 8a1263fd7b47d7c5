import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../server/hashing/sha256.ts";
import { buildScenario } from "../lib/scenarios.js";
import { runLoad } from "./open-model.ts";
import { loadPhotos, type Photo, uniqueJpeg, uniquePhoto } from "./photos.ts";

const hash = (bytes: Uint8Array) => sha256Hex(bytes);
const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();

describe("photos for the load", () => {
  let dir: string;
  let jpeg: Buffer;
  let png: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "load-photos-"));
    const noise = Buffer.from(Array.from({ length: 32 * 24 * 3 }, (_, i) => (i * 37) % 256));
    const image = sharp(noise, { raw: { width: 32, height: 24, channels: 3 } });
    jpeg = await image.clone().jpeg().toBuffer();
    png = await image.clone().png().toBuffer();
    await writeFile(join(dir, "b.jpg"), jpeg);
    await writeFile(join(dir, "a.PNG"), png);
    await writeFile(join(dir, "labels.tsv"), "not a photo");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads a folder's JPEGs and PNGs in name order, and nothing else", async () => {
    const photos = await loadPhotos(dir);
    expect(photos.map((p) => [p.file, p.contentType])).toEqual([
      ["a.PNG", "image/png"],
      ["b.jpg", "image/jpeg"],
    ]);
    await expect(loadPhotos(join(dir, "..", "no-such-folder-here"))).rejects.toThrow();
    const empty = await mkdtemp(join(tmpdir(), "load-photos-empty-"));
    await expect(loadPhotos(empty)).rejects.toThrow(/holds no .jpg, .jpeg or .png file/);
    await rm(empty, { recursive: true });
  });

  it("gives a JPEG new bytes per nonce and the same pixels", async () => {
    const one = uniqueJpeg(jpeg, "run-1");
    const two = uniqueJpeg(jpeg, "run-2");
    expect(new Set([hash(jpeg), hash(one), hash(two)]).size).toBe(3);
    expect(await pixels(one)).toEqual(await pixels(jpeg));
    expect(await pixels(two)).toEqual(await pixels(jpeg));
    expect(() => uniqueJpeg(png, "x")).toThrow(/not a JPEG/);
  });

  it("gives a PNG new bytes the same way the samples get them", async () => {
    const photo: Photo = { file: "a.png", bytes: png, contentType: "image/png" };
    const unique = uniquePhoto(photo, "run-1");
    expect(hash(unique)).not.toBe(hash(png));
    expect(await pixels(unique)).toEqual(await pixels(png));
  });

  it("uploads photo i mod n with its content type, never the same bytes twice", async () => {
    const uploads: { type: string; hash: string }[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("latin1");
        uploads.push({
          type: /content-type: (image\/\w+)/i.exec(body)?.[1] ?? "none",
          hash: hash(Buffer.from(body, "latin1")),
        });
        response.setHeader("content-type", "application/json");
        response.end(
          JSON.stringify({
            data: { classify: { vlmUsed: false, cacheHit: false, fallback: null } },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const report = await runLoad({
        scenario: buildScenario("smoke", { rate: 20, durationS: 0.5 }),
        target: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
        photos: await loadPhotos(dir),
      });
      expect(report.sent).toBe(10);
      expect(report.errorRate).toBe(0);
      expect(uploads.filter((u) => u.type === "image/png")).toHaveLength(5);
      expect(uploads.filter((u) => u.type === "image/jpeg")).toHaveLength(5);
      expect(new Set(uploads.map((u) => u.hash)).size).toBe(10);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
