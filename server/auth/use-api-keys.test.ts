import { describe, expect, it } from "vitest";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  type ClassificationResult,
  createFakeTestApp,
  type GraphQLResponse,
} from "../testing/test-app.ts";
import { mintApiKey } from "./api-keys.ts";
import { describeAccessControl } from "./use-api-keys.ts";

const samples = loadEmbeddedSamples();
const png = (samples[0] as { bytes: Uint8Array }).bytes;

const FEEDBACK = `mutation ($id: ID!, $label: String!) { submitFeedback(id: $id, label: $label) { outcome } }`;

// One key per kind of caller; "limited" has a rate of 1 request/s with bursts of 2.
const KEYS = {
  full: mintApiKey("full", ["classify", "classify:force-vlm", "feedback"]),
  classifier: mintApiKey("classifier", ["classify"]),
  feedback: mintApiKey("feedback-only", ["feedback"]),
  limited: mintApiKey("limited", ["classify"], "1/2"),
};
// Changes the last character to another one (appending a fixed letter would leave a key that
// already ends in that letter unchanged).
const oneCharacterOff = (secret: string) =>
  `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
const bearer = (key: { secret: string }) => ({ authorization: `Bearer ${key.secret}` });

function expectRefused(response: GraphQLResponse<unknown>, code: string, status: number) {
  expect(response.errors?.[0]?.extensions?.code, response.errors?.[0]?.message).toBe(code);
  expect(response.status).toBe(status);
  expect(response.data ?? null).toBeNull();
}

describe("API keys, through the HTTP handler", () => {
  let clockMs = 0;
  const service = createFakeTestApp(
    {
      API_KEYS: Object.values(KEYS)
        .map((key) => key.entry)
        .join(","),
    },
    { app: { now: () => clockMs } },
  );

  const classify = (headers: Record<string, string>, options?: Record<string, unknown>) =>
    service.upload<{ classify: ClassificationResult }>(
      CLASSIFY,
      { image: null, options },
      [{ path: "variables.image", bytes: png, type: "image/png" }],
      headers,
    );
  const metric = async (line: string) => {
    const text = await (await service.app.fetch(new Request("http://localhost/metrics"))).text();
    return Number(
      text
        .split("\n")
        .find((l) => l.startsWith(line))
        ?.split(" ")[1] ?? 0,
    );
  };

  describe("authentication", () => {
    it("refuses a request without a key: 401 UNAUTHENTICATED with a Bearer challenge", async () => {
      for (const response of [await service.query("{ labels }"), await classify({})]) {
        expectRefused(response, "UNAUTHENTICATED", 401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
      }
    });

    it.each([
      ["a made-up key", { authorization: "Bearer vck_not-a-key" }],
      ["a key one character off", { authorization: `Bearer ${oneCharacterOff(KEYS.full.secret)}` }],
      ["the configured hash itself", { "x-api-key": KEYS.full.entry.split(":")[1] ?? "" }],
      ["a different scheme", { authorization: `Basic ${KEYS.full.secret}` }],
    ])("refuses %s", async (_, headers) => {
      const response = await service.query("{ labels }", {}, headers);
      expectRefused(response, "UNAUTHENTICATED", 401);
      expect(response.errors?.[0]?.message).not.toContain(KEYS.full.secret.slice(4));
    });

    it("takes a key as Authorization: Bearer or as x-api-key", async () => {
      for (const headers of [bearer(KEYS.full), { "x-api-key": KEYS.full.secret }]) {
        const response = await service.query<{ labels: string[] }>("{ labels }", {}, headers);
        expect(response.errors).toBeUndefined();
        expect(response.data?.labels).toContain("dog");
      }
    });

    it("refuses before reading the body, and counts the refusal", async () => {
      const before = await metric('requests_rejected_total{reason="unauthenticated"}');
      let pulls = 0;
      const endless = new ReadableStream({
        pull(controller) {
          pulls++;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      });
      const response = await service.send(
        new Request("http://localhost/graphql", {
          method: "POST",
          body: endless,
          duplex: "half",
          headers: { "content-type": "multipart/form-data; boundary=x", "graphql-preflight": "1" },
        } as RequestInit),
      );
      expectRefused(response, "UNAUTHENTICATED", 401);
      // A stream queues its first chunk eagerly; nothing past it was asked for.
      expect(pulls).toBeLessThanOrEqual(1);
      expect(await metric('requests_rejected_total{reason="unauthenticated"}')).toBe(before + 1);
    });
  });

  describe("scopes", () => {
    it("lets a classify key classify, and refuses it vlm FORCE and custom labels (403)", async () => {
      const plain = await classify(bearer(KEYS.classifier));
      expect(plain.errors).toBeUndefined();
      expect(plain.data?.classify.top.label).toBeTypeOf("string");
      for (const options of [{ vlm: "FORCE" }, { labels: ["boot", "shirt"] }]) {
        const response = await classify(bearer(KEYS.classifier), options);
        expectRefused(response, "FORBIDDEN", 403);
        expect(response.errors?.[0]?.message).toBe(
          'the API key "classifier" does not have the scope "classify:force-vlm"',
        );
        expect(response.errors?.[0]?.extensions?.scope).toBe("classify:force-vlm");
      }
    });

    it("lets a key with classify:force-vlm force CLIP", async () => {
      const response = await classify(bearer(KEYS.full), { vlm: "FORCE" });
      expect(response.errors).toBeUndefined();
      expect(response.data?.classify).toMatchObject({ vlmUsed: true, vlmReason: "FORCED" });
    });

    it("refuses classify to a feedback key, and feedback to a classify key", async () => {
      const refused = await classify(bearer(KEYS.feedback));
      expectRefused(refused, "FORBIDDEN", 403);
      expect(refused.errors?.[0]?.message).toMatch(/scope "classify"$/);

      const answer = (await classify(bearer(KEYS.classifier))).data?.classify;
      const variables = { id: answer?.id, label: answer?.top.label };
      const noScope = await service.query(FEEDBACK, variables, bearer(KEYS.classifier));
      expectRefused(noScope, "FORBIDDEN", 403);
      expect(noScope.errors?.[0]?.message).toMatch(/scope "feedback"$/);

      const accepted = await service.query<{ submitFeedback: { outcome: string } }>(
        FEEDBACK,
        variables,
        bearer(KEYS.feedback),
      );
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data?.submitFeedback.outcome).toBeTypeOf("string");
    });
  });

  describe("rate limits", () => {
    it("gives each key its own token bucket: 429 RATE_LIMITED with Retry-After", async () => {
      const limited = bearer(KEYS.limited);
      expect((await classify(limited)).errors).toBeUndefined();
      expect((await classify(limited)).errors).toBeUndefined();
      const over = await classify(limited);
      expectRefused(over, "RATE_LIMITED", 429);
      expect(over.headers.get("retry-after")).toBe("1");
      expect(over.errors?.[0]?.message).toMatch(/"limited" is over its rate of 1 requests\/s/);

      // Other keys are not slowed by it.
      expect((await classify(bearer(KEYS.classifier))).errors).toBeUndefined();

      clockMs += 999;
      expectRefused(await classify(limited), "RATE_LIMITED", 429);
      clockMs += 1;
      expect((await classify(limited)).errors).toBeUndefined();
    });
  });

  describe("metrics", () => {
    it("count requests by key name, never by key, and refusals by reason", async () => {
      const before = await metric('api_key_requests_total{key="full"}');
      await service.query("{ labels }", {}, bearer(KEYS.full));
      expect(await metric('api_key_requests_total{key="full"}')).toBe(before + 1);
      const text = await (await service.app.fetch(new Request("http://localhost/metrics"))).text();
      expect(text).not.toContain(KEYS.full.secret);
      for (const reason of ["unauthenticated", "forbidden", "rate_limited"]) {
        expect(await metric(`requests_rejected_total{reason="${reason}"}`), reason).toBeGreaterThan(
          0,
        );
      }
    });
  });
});

describe("without API keys", () => {
  it("serves everyone with every scope, as before keys existed", async () => {
    const service = createFakeTestApp();
    const response = await service.upload<{ classify: ClassificationResult }>(
      CLASSIFY,
      { image: null, options: { vlm: "FORCE" } },
      [{ path: "variables.image", bytes: png, type: "image/png" }],
      { authorization: "Bearer anything" },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.classify.vlmReason).toBe("FORCED");
  });

  it("says so in the start-up log", () => {
    expect(describeAccessControl([])).toMatch(/none configured, so the GraphQL API is open/);
    const keys = [KEYS.full, KEYS.limited].map((key, i) => ({
      name: ["full", "limited"][i] as string,
      sha256: key.entry.split(":")[1] as string,
      scopes: [],
      rate: null,
    }));
    expect(describeAccessControl(keys)).toBe(
      "API keys: 2 configured (full, limited); GraphQL requests without a valid key are refused",
    );
  });
});
