import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { createFakeTestApp } from "../testing/test-app.ts";
import { DEMO_PAGE_CSP } from "./use-demo-page.ts";

const get = (app: ReturnType<typeof createApp>, path: string, method = "GET") =>
  app.fetch(new Request(`http://localhost${path}`, { method }));

describe("the demo page", () => {
  const { runtime, app } = createFakeTestApp();

  it("is served on / with a strict Content-Security-Policy", async () => {
    const response = await get(app, "/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toBe(DEMO_PAGE_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    // Everything the page loads comes from its own origin; no inline script or style.
    expect(html).toContain('<script type="module" src="demo/page.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script>|<style|style="/);
  });

  it("serves its script as one module bundled from TypeScript, with the typed operations", async () => {
    const response = await get(app, "/demo/page.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await response.text();
    expect(script).toContain("mutation ClassifyBatch");
    expect(script).toContain("graphql-preflight");
    expect(script).not.toMatch(/^\s*import\s/m);
    // Bundled once, then kept: the same text again.
    expect(await (await get(app, "/demo/page.js")).text()).toBe(script);
  });

  it("serves its stylesheet and icon, and answers HEAD without a body", async () => {
    const css = await get(app, "/demo/page.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain("prefers-color-scheme: dark");
    expect((await get(app, "/demo/favicon.svg")).headers.get("content-type")).toBe("image/svg+xml");
    const head = await get(app, "/", "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("leaves other methods and paths to the API", async () => {
    expect((await get(app, "/", "POST")).status).toBe(404);
    expect((await get(app, "/demo/missing.js")).status).toBe(404);
  });

  it("is off with DEMO_PAGE=false", async () => {
    const http = { ...runtime.config.http, demoPage: false };
    const off = createApp({ ...runtime, config: { ...runtime.config, http } });
    expect((await get(off, "/")).status).toBe(404);
    expect((await get(off, "/demo/page.js")).status).toBe(404);
  });
});
