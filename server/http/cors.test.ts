import { describe, expect, it } from "vitest";
import { graphqlRequestInit } from "../../schema/client/graphql-request.ts";
import { AboutDocument, ClassifyDocument } from "../../schema/generated/operations.ts";
import { createApp } from "../app.ts";
import type { ServiceRuntime } from "../runtime/service-runtime.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { createFakeTestApp } from "../testing/test-app.ts";

const ALLOWED = "https://app.example.com";
const ALSO_ALLOWED = "http://127.0.0.1:5173";
const DISALLOWED = "https://evil.example.net";
const GRAPHQL = "http://api.example.com/graphql";

const sample = loadEmbeddedSamples()[0] as { bytes: Buffer };

/** The real handler on one shared runtime, with CORS_ORIGINS as given. */
function appWithOrigins(runtime: ServiceRuntime, corsOrigins: string[]) {
  const http = { ...runtime.config.http, corsOrigins };
  return createApp({ ...runtime, config: { ...runtime.config, http } });
}

/** What a browser sends before a cross-origin multipart upload with the preflight header. */
const preflight = (origin: string) =>
  new Request(GRAPHQL, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "graphql-preflight, x-api-key",
    },
  });

const aboutFrom = (origin: string) => {
  const init = graphqlRequestInit(AboutDocument, {});
  return new Request(GRAPHQL, { ...init, headers: { ...init.headers, origin } });
};

const classifyFrom = (origin: string) => {
  const image = new Blob([new Uint8Array(sample.bytes)], { type: "image/png" });
  const init = graphqlRequestInit(ClassifyDocument, { image, options: { vlm: "OFF" } });
  return new Request(GRAPHQL, { ...init, headers: { ...init.headers, origin } });
};

describe("CORS", () => {
  const { runtime } = createFakeTestApp();

  describe("by default (CORS_ORIGINS unset)", () => {
    it("answers no origin's preflight with CORS headers", async () => {
      const app = appWithOrigins(runtime, []);
      for (const origin of [ALLOWED, DISALLOWED]) {
        const response = await app.fetch(preflight(origin));
        expect(response.headers.get("access-control-allow-origin")).toBeNull();
        expect(response.headers.get("access-control-allow-headers")).toBeNull();
      }
    });

    it("still serves same-origin pages, which need no CORS", async () => {
      const app = appWithOrigins(runtime, []);
      const response = await app.fetch(aboutFrom("http://api.example.com"));
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect((await response.json()).data.labels).toEqual(runtime.models.pack.labels);
    });
  });

  describe("with CORS_ORIGINS listing origins", () => {
    const origins = [ALLOWED, ALSO_ALLOWED];

    it("allows an allowed origin's preflight, with the headers the API needs", async () => {
      for (const origin of origins) {
        const response = await appWithOrigins(runtime, origins).fetch(preflight(origin));
        expect(response.status).toBe(204);
        expect(response.headers.get("access-control-allow-origin")).toBe(origin);
        expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
        const allowed = response.headers.get("access-control-allow-headers")?.split(", ");
        expect(allowed).toEqual([
          "content-type",
          "graphql-preflight",
          "authorization",
          "x-api-key",
        ]);
        expect(response.headers.get("access-control-allow-credentials")).toBeNull();
        expect(response.headers.get("access-control-max-age")).toBe("600");
        expect(response.headers.get("vary")).toContain("Origin");
      }
    });

    it("gives a disallowed origin's preflight no CORS headers, so its browser stops", async () => {
      const response = await appWithOrigins(runtime, origins).fetch(preflight(DISALLOWED));
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-methods")).toBeNull();
      expect(response.headers.get("access-control-allow-headers")).toBeNull();
      expect(response.headers.get("vary")).toContain("Origin");
    });

    it("lets an allowed origin read a query's answer; a disallowed one gets no grant", async () => {
      const app = appWithOrigins(runtime, origins);
      const allowed = await app.fetch(aboutFrom(ALLOWED));
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect((await allowed.json()).data.labels).toEqual(runtime.models.pack.labels);
      // CORS is enforced by browsers: the server answers, but without a grant the browser
      // hands the page nothing.
      const disallowed = await app.fetch(aboutFrom(DISALLOWED));
      expect(disallowed.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("accepts a multipart upload with the preflight header from an allowed origin", async () => {
      const response = await appWithOrigins(runtime, origins).fetch(classifyFrom(ALLOWED));
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      const { data, errors } = await response.json();
      expect(errors).toBeUndefined();
      expect(data.classify.top.label).toBe("cat");
    });
  });

  describe("with CORS_ORIGINS=*", () => {
    it("allows any origin, still without credentials", async () => {
      const app = appWithOrigins(runtime, ["*"]);
      const response = await app.fetch(preflight(DISALLOWED));
      expect(response.headers.get("access-control-allow-origin")).toBe(DISALLOWED);
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      const upload = await app.fetch(classifyFrom(DISALLOWED));
      expect(upload.headers.get("access-control-allow-origin")).toBe(DISALLOWED);
      expect((await upload.json()).data.classify.top.label).toBe("cat");
    });
  });
});
