import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClassifyBase64Document } from "../../schema/generated/operations.ts";
import { sha256Hex } from "../../server/hashing/sha256.ts";
import { maxBase64Chars } from "../../server/http/base64-image.ts";
import { EMBEDDED_SAMPLES } from "../../server/testing/shared-data.ts";
import { CLASSIFY, createFakeTestApp, createTestApp } from "../../server/testing/test-app.ts";

const boot = readFileSync(join(EMBEDDED_SAMPLES, "t10k-00000_ankle_boot.png"));
const dataUrl = `data:image/png;base64,${boot.toString("base64")}`;
const QUERY = ClassifyBase64Document.toString();

describe("classify(imageBase64)", () => {
  it("answers as for the same bytes uploaded", async () => {
    const service = createFakeTestApp();
    const sent = await service.query<{ classify: { image: { sha256: string; format: string } } }>(
      QUERY,
      { image: dataUrl },
    );
    expect(sent.errors).toBeUndefined();
    expect(sent.data?.classify.image).toMatchObject({ sha256: sha256Hex(boot), format: "png" });
    const uploaded = await service.upload<typeof sent.data>(CLASSIFY, { image: null }, [
      { path: "variables.image", bytes: boot },
    ]);
    expect(uploaded.data?.classify.image).toEqual(sent.data?.classify.image);
  });

  it("gives bad text a typed error and costs no decode or model call", async () => {
    const service = createFakeTestApp({ UPLOAD_MAX_BYTES: "1000", IMAGE_MAX_PIXELS: "500" });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>');
    const big = Buffer.alloc(2000).toString("base64");
    const cases: [string, string, number, number][] = [
      // text, code, HTTP status, decodes it may cost (the format and pixel checks read the header)
      ["this is not base64", "INVALID_BASE64", 400, 0],
      ["data:image/png,raw", "INVALID_BASE64", 400, 0],
      [big, "FILE_TOO_LARGE", 413, 0],
      ["#".repeat(maxBase64Chars(1000) + 1), "FILE_TOO_LARGE", 413, 0],
      ["", "EMPTY_FILE", 400, 1],
      [svg.toString("base64"), "UNSUPPORTED_IMAGE_FORMAT", 415, 1],
      [dataUrl, "IMAGE_TOO_LARGE", 413, 1],
    ];
    for (const [text, code, status, decodes] of cases) {
      const before = { ...service.calls };
      const answer = await service.query(QUERY, { image: text });
      expect(answer.errors?.[0]?.extensions?.code, code).toBe(code);
      expect(answer.status).toBe(status);
      expect(service.calls.cnn).toBe(before.cnn);
      expect(service.calls.decode - before.decode).toBeLessThanOrEqual(decodes);
    }
  });

  it("takes exactly one image: an upload or base64 text", async () => {
    const service = createFakeTestApp();
    const both = await service.upload(
      "mutation ($image: File, $b64: String) { classify(image: $image, imageBase64: $b64) { id } }",
      { image: null, b64: dataUrl },
      [{ path: "variables.image", bytes: boot }],
    );
    expect(both.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const neither = await service.query("mutation { classify { id } }");
    expect(neither.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(service.calls.decode).toBe(0);
  });

  it("is classified by the real models like the upload it stands for", async () => {
    const service = await createTestApp();
    const answer = await service.execute(ClassifyBase64Document, { image: dataUrl });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.classify.top.label).toBe("ankle boot");
  });
});
