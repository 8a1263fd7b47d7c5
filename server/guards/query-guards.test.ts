import { beforeAll, describe, expect, it } from "vitest";
import { ClassificationFieldsFragmentDoc } from "../../schema/generated/operations.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createFakeTestApp,
  type FakeTestApp,
  type GraphQLResponse,
} from "../testing/test-app.ts";

const samples = loadEmbeddedSamples();
const png = (samples[0] as { bytes: Uint8Array }).bytes;
const part = (path: string) => ({ path, bytes: png, type: "image/png" });

const LABELS = "{ labels }";

/** A typed refusal, and then the same service still answers a plain query. */
async function expectRefused(
  service: FakeTestApp,
  response: GraphQLResponse<unknown>,
  code: string,
  status: number,
) {
  expect(response.errors?.[0]?.extensions?.code, response.errors?.[0]?.message).toBe(code);
  expect(response.status).toBe(status);
  expect(response.data ?? null).toBeNull();
  const next = await service.query<{ labels: string[] }>(LABELS);
  expect(next.data?.labels).toContain("dog");
}

describe("GraphQL query limits with the default settings", () => {
  const service = createFakeTestApp();

  it("take the largest real operation: classifyBatch with every Classification field", async () => {
    const response = await service.upload<{ classifyBatch: ClassificationResult[] }>(
      CLASSIFY_BATCH,
      { images: [null, null] },
      [part("variables.images.0"), part("variables.images.1")],
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.classifyBatch).toHaveLength(2);
  });

  it("take GraphiQL's introspection query", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const response = await service.query(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, oneOf: true }),
    );
    expect(response.errors).toBeUndefined();
  });

  it("refuse introspection nested deep enough to explode (graphql-js's own rule)", async () => {
    const deep = `{ __schema { types { ${"fields { type { ".repeat(24)}name${" } }".repeat(24)} } } }`;
    const response = await service.query(deep);
    expect(response.errors?.[0]?.message).toBe("Maximum introspection depth exceeded");
    expect(response.data ?? null).toBeNull();
  });

  /** `{ health { ...on Health { ...on Health { … status } } } }`, `levels` deep. */
  const nested = (levels: number) =>
    `{ health { ${"... on Health { ".repeat(levels)}status${" }".repeat(levels)} } }`;

  const cases: [string, string, string, RegExp][] = [
    ["deeper than 8 levels", nested(8), "maxDepth", /Query depth limit of 8 exceeded/],
    [
      "with more than 15 aliases",
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: labels`).join(" ")} }`,
      "maxAliases",
      /Aliases limit of 15 exceeded, found 16/,
    ],
    [
      "of more than 1000 tokens",
      `{ ${"labels ".repeat(1000)}}`,
      "maxTokens",
      /Token limit of 1000 exceeded/,
    ],
    [
      "with more than 10 directives",
      `{ labels ${"@include(if: true) ".repeat(11)}}`,
      "maxDirectives",
      /Directives limit of 10 exceeded, found 11/,
    ],
    [
      "costing more than 1000",
      // One fragment, spread into 12 classify fields: few tokens, 12 full answers of cost.
      `mutation ($image: File!) { ${Array.from(
        { length: 12 },
        (_, i) =>
          `c${i}: classify(image: $image, options: { topK: ${i + 1} }) { ...ClassificationFields }`,
      ).join(" ")} }
      ${ClassificationFieldsFragmentDoc}`,
      "maxCost",
      /Query Cost limit of 1000 exceeded/,
    ],
  ];

  it.each(cases)(
    "refuse an operation %s with QUERY_TOO_COMPLEX (400), naming the limit",
    async (_, query, limit, message) => {
      const response = await service.query(query);
      expect(response.errors?.[0]?.message).toMatch(message);
      expect(response.errors?.[0]?.message).not.toMatch(/^Syntax Error/);
      expect(response.errors?.[0]?.extensions?.limit).toBe(limit);
      await expectRefused(service, response, "QUERY_TOO_COMPLEX", 400);
    },
  );

  it("refuse a complex operation before it runs: no image is classified", async () => {
    const classifier = service.runtime.classifier;
    const real = classifier.classifyImages;
    let calls = 0;
    classifier.classifyImages = (inputs, options) => {
      calls++;
      return real(inputs, options);
    };
    try {
      const [, query] = cases[4] as (typeof cases)[number];
      const response = await service.upload(query, { image: null }, [part("variables.image")]);
      expect(response.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
      expect(calls).toBe(0);
    } finally {
      classifier.classifyImages = real;
    }
  });

  describe("CSRF prevention", () => {
    const multipart = (headers: Record<string, string>) => {
      const body = new FormData();
      body.set("operations", JSON.stringify({ query: CLASSIFY, variables: { image: null } }));
      body.set("map", JSON.stringify({ 0: ["variables.image"] }));
      body.set("0", new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), "a.png");
      return new Request("http://localhost/graphql", { method: "POST", body, headers });
    };

    it("refuses a multipart request without a preflight header, as a page on another site sends it", async () => {
      const response = await service.send(multipart({}));
      expect(response.errors?.[0]?.message).toMatch(/graphql-preflight/);
      await expectRefused(service, response, "CSRF_HEADER_REQUIRED", 403);
    });

    it("refuses a form-urlencoded POST without the header", async () => {
      const request = new Request("http://localhost/graphql", {
        method: "POST",
        body: new URLSearchParams({ query: LABELS }),
      });
      await expectRefused(service, await service.send(request), "CSRF_HEADER_REQUIRED", 403);
    });

    it.each(["graphql-preflight", "apollo-require-preflight"])(
      "takes a multipart request with %s",
      async (header) => {
        const response = await service.send<{ classify: ClassificationResult }>(
          multipart({ [header]: "1" }),
        );
        expect(response.errors).toBeUndefined();
        expect(response.data?.classify.image.bytes).toBe(png.length);
      },
    );

    it("leaves JSON POSTs and GET queries alone", async () => {
      expect((await service.query(LABELS)).status).toBe(200);
      const get = await service.send<{ labels: string[] }>(
        new Request(`http://localhost/graphql?query=${encodeURIComponent(LABELS)}`, {
          headers: { accept: "application/json" },
        }),
      );
      expect(get.status).toBe(200);
      expect(get.data?.labels).toContain("dog");
    });
  });
});

describe("internal errors", () => {
  const SECRET_DETAIL = "session exploded at /opt/private/models/cnn.onnx";
  let production: FakeTestApp;
  let debugging: FakeTestApp;
  beforeAll(() => {
    production = createFakeTestApp();
    debugging = createFakeTestApp({ ERROR_DETAILS: "true" });
    for (const service of [production, debugging]) {
      service.runtime.classifier.classifyImages = async () => {
        throw new Error(SECRET_DETAIL);
      };
    }
  });

  const classifyText = async (service: FakeTestApp) => {
    const response = await service.app.fetch(
      new Request("http://localhost/graphql", {
        method: "POST",
        headers: { "graphql-preflight": "1" },
        body: (() => {
          const body = new FormData();
          body.set("operations", JSON.stringify({ query: CLASSIFY, variables: { image: null } }));
          body.set("map", JSON.stringify({ 0: ["variables.image"] }));
          body.set("0", new Blob([png as Uint8Array<ArrayBuffer>]), "a.png");
          return body;
        })(),
      }),
    );
    return response.text();
  };

  it("are masked by default: 'Unexpected error.', no message, no stack", async () => {
    const text = await classifyText(production);
    const body = JSON.parse(text);
    expect(body.errors[0].message).toBe("Unexpected error.");
    expect(body.errors[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(text).not.toContain("exploded");
    expect(text).not.toContain("/opt/private");
    expect(text).not.toMatch(/stack|at .*\.ts:\d+/);
  });

  it("keep a user error's message and code", async () => {
    const response = await production.upload(CLASSIFY, { image: null, options: { topK: 0 } }, [
      part("variables.image"),
    ]);
    expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.message).toMatch(/topK/);
  });

  it("show their message and stack only with ERROR_DETAILS=true", async () => {
    const body = JSON.parse(await classifyText(debugging));
    expect(body.errors[0].message).toBe("Unexpected error.");
    expect(body.errors[0].extensions.originalError.message).toBe(SECRET_DETAIL);
    expect(body.errors[0].extensions.originalError.stack).toContain(SECRET_DETAIL);
  });
});

describe("production settings: INTROSPECTION=false, GRAPHIQL=false", () => {
  const service = createFakeTestApp({ INTROSPECTION: "false", GRAPHIQL: "false" });
  const open = createFakeTestApp();

  it("refuses introspection, and answers it by default", async () => {
    for (const query of ["{ __schema { types { name } } }", '{ __type(name: "Query") { name } }']) {
      const refused = await service.query(query);
      expect(refused.errors?.[0]?.message).toMatch(/introspection has been disabled/);
      expect(refused.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect((await open.query(query)).errors).toBeUndefined();
    }
    expect((await service.query(LABELS)).errors).toBeUndefined();
  });

  it("hides the schema in 'did you mean' hints", async () => {
    const typo = "{ labelz }";
    expect((await open.query(typo)).errors?.[0]?.message).toMatch(/Did you mean "labels"/);
    const hidden = (await service.query(typo)).errors?.[0]?.message;
    expect(hidden).toMatch(/Cannot query field "labelz"/);
    expect(hidden).not.toMatch(/labels/);
  });

  it("does not serve GraphiQL", async () => {
    const page = await service.app.fetch(
      new Request("http://localhost/graphql", { headers: { accept: "text/html" } }),
    );
    expect(await page.text()).not.toMatch(/graphiql/i);
  });
});
