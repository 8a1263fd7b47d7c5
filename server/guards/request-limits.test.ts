import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipartRequest } from "../testing/multipart.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createFakeTestApp,
  type FakeTestApp,
  type GraphQLResponse,
  listen,
} from "../testing/test-app.ts";

const samples = loadEmbeddedSamples();
const png = (samples[0] as { bytes: Uint8Array }).bytes;

// Small limits, so each one is reached with a few kilobytes.
const ENV = {
  UPLOAD_MAX_BYTES: "8192",
  UPLOAD_MAX_FILES: "3",
  BATCH_MAX_IMAGES: "4",
  REQUEST_MAX_BYTES: "16384",
  UPLOAD_MAX_FIELD_BYTES: "4096",
  UPLOAD_MAX_PART_HEADER_BYTES: "1024",
};

const part = (bytes: Uint8Array, path = "variables.image") => ({ path, bytes, type: "image/png" });
const batchOf = (files: Uint8Array[]) => ({
  variables: { images: files.map(() => null) },
  parts: files.map((bytes, i) => part(bytes, `variables.images.${i}`)),
});

/** A multipart body written by hand, for what FormData cannot express. */
function rawMultipart(parts: { headers: string; body: string }[]): Request {
  const boundary = "limits-test-boundary";
  const text = `${parts
    .map((p) => `--${boundary}\r\n${p.headers}\r\n\r\n${p.body}\r\n`)
    .join("")}--${boundary}--\r\n`;
  return new Request("http://localhost/graphql", {
    method: "POST",
    body: text,
    headers: {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "graphql-preflight": "1",
    },
  });
}

function expectRefused(response: GraphQLResponse<unknown>, code: string, status: number) {
  expect(response.errors?.[0]?.extensions?.code, response.errors?.[0]?.message).toBe(code);
  expect(response.status).toBe(status);
  expect(response.data ?? null).toBeNull();
}

describe("upload and request limits, through the HTTP handler", () => {
  let service: FakeTestApp;
  let classified = 0;
  beforeAll(() => {
    service = createFakeTestApp(ENV);
    const classifier = service.runtime.classifier;
    const real = classifier.classifyImages;
    classifier.classifyImages = (inputs, options) => {
      classified += inputs.length;
      return real(inputs, options);
    };
  });

  const classifyOne = () =>
    service.upload<{ classify: ClassificationResult }>(CLASSIFY, { image: null }, [part(png)]);

  /** The rejection is typed, nothing reached the models, and the next good request answers. */
  async function refusedThenServed(
    response: Promise<GraphQLResponse<unknown>>,
    code: string,
    status = 413,
    message: RegExp = /limit/,
  ) {
    const before = classified;
    const refused = await response;
    expectRefused(refused, code, status);
    expect(refused.errors?.[0]?.message).toMatch(message);
    expect(classified - before).toBe(0);
    const good = await classifyOne();
    expect(good.errors).toBeUndefined();
    expect(good.data?.classify.image.bytes).toBe(png.length);
  }

  it("takes a batch within every limit", async () => {
    const { variables, parts } = batchOf([png, png, png]);
    const response = await service.upload<{ classifyBatch: ClassificationResult[] }>(
      CLASSIFY_BATCH,
      variables,
      parts,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.classifyBatch).toHaveLength(3);
  });

  it("refuses a file over UPLOAD_MAX_BYTES while it streams in", async () => {
    await refusedThenServed(
      service.upload(CLASSIFY, { image: null }, [part(randomBytes(8193))]),
      "FILE_TOO_LARGE",
    );
  });

  it("refuses more files than UPLOAD_MAX_FILES", async () => {
    const { variables, parts } = batchOf([png, png, png, png]);
    const response = service.upload(CLASSIFY_BATCH, variables, parts);
    await refusedThenServed(response, "TOO_MANY_FILES");
  });

  it("refuses an operations field over UPLOAD_MAX_FIELD_BYTES", async () => {
    const labels = Array.from({ length: 60 }, (_, i) => `label number ${i} ${"x".repeat(60)}`);
    const response = service.upload(CLASSIFY, { image: null, options: { labels } }, [part(png)]);
    await refusedThenServed(response, "FIELD_TOO_LARGE");
  });

  it("refuses a flood of extra fields", async () => {
    const parts = [
      { headers: 'Content-Disposition: form-data; name="operations"', body: "{}" },
      ...Array.from({ length: 20 }, (_, i) => ({
        headers: `Content-Disposition: form-data; name="extra${i}"`,
        body: "x",
      })),
    ];
    await refusedThenServed(service.send(rawMultipart(parts)), "TOO_MANY_FIELDS", 413, /fields/);
  });

  it("refuses a body over REQUEST_MAX_BYTES counted as it streams (no Content-Length)", async () => {
    // Three files, each under the per-file limit, together over the request limit.
    const { variables, parts } = batchOf([0, 1, 2].map(() => randomBytes(7000)));
    const form = multipartRequest(CLASSIFY_BATCH, variables, parts);
    // Sent in 4 KiB chunks from a stream this test owns, as a chunked upload arrives. (A
    // FormData body is streamed by undici from an async iterator, and cancelling that mid-body,
    // as the service does here, trips an undici race on Node 24: nodejs/undici#5715.)
    const bytes = new Uint8Array(await form.arrayBuffer());
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(offset, offset + 4096));
        offset += 4096;
      },
    });
    const request = new Request(form.url, {
      method: "POST",
      body,
      duplex: "half",
      headers: {
        "content-type": form.headers.get("content-type") ?? "",
        "graphql-preflight": "1",
      },
    } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();
    await refusedThenServed(service.send(request), "REQUEST_TOO_LARGE");
  });

  it("refuses a JSON body over REQUEST_MAX_BYTES", async () => {
    const response = service.query(`{ labels } # ${"x".repeat(20_000)}`);
    await refusedThenServed(response, "REQUEST_TOO_LARGE");
  });

  it("refuses a declared Content-Length over REQUEST_MAX_BYTES without reading the body", async () => {
    let pulls = 0;
    const body = new ReadableStream({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const request = new Request("http://localhost/graphql", {
      method: "POST",
      body,
      duplex: "half",
      headers: {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": "1000000",
        "graphql-preflight": "1",
      },
    } as RequestInit);
    const response = await service.send(request);
    expectRefused(response, "REQUEST_TOO_LARGE", 413);
    expect(response.errors?.[0]?.message).toContain("1000000 bytes; the limit is 16384");
    expect(response.headers.get("connection")).toBe("close");
    // A stream hands its first chunk to its queue eagerly; nothing past it was asked for.
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it("refuses a part whose headers push its name past UPLOAD_MAX_PART_HEADER_BYTES", async () => {
    const operations = JSON.stringify({ query: CLASSIFY, variables: { image: null } });
    const parts = [
      { headers: 'Content-Disposition: form-data; name="operations"', body: operations },
      { headers: 'Content-Disposition: form-data; name="map"', body: '{"0":["variables.image"]}' },
      {
        headers: `X-Padding: ${"p".repeat(2000)}\r\nContent-Disposition: form-data; name="0"; filename="a.png"`,
        body: "not read",
      },
    ];
    const response = service.send(rawMultipart(parts));
    await refusedThenServed(response, "BAD_USER_INPUT", 400, /"0" named in map is missing/);
  });

  it("reports a body cut off mid-part as yoga does: BAD_REQUEST (400)", async () => {
    const request = rawMultipart([
      { headers: 'Content-Disposition: form-data; name="operations"', body: "{}" },
    ]);
    const text = await request.text();
    const cut = new Request(request.url, {
      method: "POST",
      body: text.slice(0, text.indexOf("{}") + 1),
      headers: request.headers,
    });
    await refusedThenServed(service.send(cut), "BAD_REQUEST", 400, /invalid multipart data/);
  });

  describe("images per request (BATCH_MAX_IMAGES)", () => {
    it("refuses a classifyBatch over the limit before reading a file", async () => {
      // Five entries pointing at one file part: within UPLOAD_MAX_FILES, over BATCH_MAX_IMAGES.
      const request = multipartRequest(CLASSIFY_BATCH, { images: [null, null, null, null, null] }, [
        part(png, "variables.images.0"),
      ]);
      const body = (await request.formData()) as FormData;
      body.set("map", JSON.stringify({ 0: [0, 1, 2, 3, 4].map((i) => `variables.images.${i}`) }));
      const response = service.send(
        new Request(request.url, {
          method: "POST",
          body,
          headers: { "graphql-preflight": "1" },
        }),
      );
      await refusedThenServed(response, "TOO_MANY_IMAGES", 400, /at most 4 images/);
    });

    it("counts every classify field of an operation, so aliases cannot multiply the work", async () => {
      const fields = [1, 2, 3, 4, 5]
        .map((k) => `a${k}: classify(image: $image, options: { topK: ${k} }) { id }`)
        .join("\n");
      const before = classified;
      const response = await service.upload(
        `mutation ($image: File!) { ${fields} }`,
        { image: null },
        [part(png)],
      );
      expect(response.errors?.[0]?.extensions?.code).toBe("TOO_MANY_IMAGES");
      expect(response.errors?.[0]?.path).toEqual(["a5"]);
      expect(response.status).toBe(400);
      // Four distinct option sets: four pipeline runs, and none for the fifth.
      expect(classified - before).toBe(4);
    });
  });
});

describe("request limits over a real HTTP connection", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let port = 0;
  beforeAll(async () => {
    server = await listen(createFakeTestApp(ENV).app);
    port = server.port;
  });
  afterAll(() => server.close());

  /** POSTs `chunks` with chunked transfer encoding (no Content-Length); resolves with the answer. */
  function postChunked(contentType: string, chunks: Buffer[]) {
    return new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: "/graphql",
          method: "POST",
          headers: { "content-type": contentType, "graphql-preflight": "1" },
        },
        (res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
          );
        },
      );
      req.on("error", reject);
      // The server may answer and close before the last chunks: that is the point.
      for (const chunk of chunks) if (!req.destroyed) req.write(chunk);
      req.end();
    });
  }

  it("stops reading a chunked body at REQUEST_MAX_BYTES and closes the connection", async () => {
    // Three file parts, each under UPLOAD_MAX_BYTES, together over REQUEST_MAX_BYTES.
    const boundary = "chunked-boundary";
    const chunks = [0, 1, 2].flatMap((i) => [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${i}"; filename="${i}.bin"\r\n\r\n`,
      ),
      Buffer.alloc(3000, 7),
      Buffer.alloc(3000, 7),
      Buffer.from("\r\n"),
    ]);
    const answer = await postChunked(`multipart/form-data; boundary=${boundary}`, chunks);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe("REQUEST_TOO_LARGE");
    expect(answer.connection).toBe("close");
  });

  it("serves a good upload on the same server afterwards", async () => {
    const request = multipartRequest(
      CLASSIFY,
      { image: null },
      [part(png)],
      `http://127.0.0.1:${port}/graphql`,
    );
    const response = await fetch(request);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { classify: ClassificationResult } };
    expect(body.data.classify.image.bytes).toBe(png.length);
  });
});
