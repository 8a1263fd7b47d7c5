import { existsSync, readFileSync } from "node:fs";
import type { Plugin } from "graphql-yoga";

const BROWSER_DIR = new URL("./browser/", import.meta.url);

/**
 * The page talks to its own origin's /graphql and nothing else; thumbnails are blob: URLs of
 * the files the user picked. No inline script or style anywhere, so nothing injected can run.
 */
export const DEMO_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": DEMO_PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Small files that change with the deployment: revalidate instead of serving stale ones.
  "cache-control": "no-cache",
};

/**
 * The page's script: the bundle the build wrote beside index.html (dist/), or, running from the
 * source, page.ts bundled now (esbuild is loaded only then).
 */
async function loadPageScript(): Promise<string> {
  const built = new URL("page.js", BROWSER_DIR);
  if (existsSync(built)) return readFileSync(built, "utf8");
  const { bundlePageScript } = await import("./bundle-page.js");
  return bundlePageScript(BROWSER_DIR);
}

/**
 * Serves the demo page on / (HTML, CSS, and its script, read or bundled on first request and kept
 * in memory). The page uses only the public GraphQL API, as any web app would.
 */
export function useDemoPage(): Plugin {
  const html = readFileSync(new URL("index.html", BROWSER_DIR), "utf8");
  const css = readFileSync(new URL("page.css", BROWSER_DIR), "utf8");
  const icon = readFileSync(new URL("favicon.svg", BROWSER_DIR), "utf8");
  let script: Promise<string> | undefined;
  const files: Record<string, { type: string; body: () => string | Promise<string> }> = {
    "/": { type: "text/html; charset=utf-8", body: () => html },
    "/demo/page.css": { type: "text/css; charset=utf-8", body: () => css },
    "/demo/favicon.svg": { type: "image/svg+xml", body: () => icon },
    "/demo/page.js": {
      type: "text/javascript; charset=utf-8",
      body: () => {
        script ??= loadPageScript();
        return script;
      },
    },
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const file = files[url.pathname];
      if (!file || (request.method !== "GET" && request.method !== "HEAD")) return;
      let body: string;
      try {
        body = await file.body();
      } catch (error) {
        // A hook that throws takes the HTTP server down; a broken page must not.
        console.error("demo page unavailable:", error);
        endResponse(new fetchAPI.Response("demo page unavailable", { status: 500 }));
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === "HEAD" ? null : body, {
          headers: { "content-type": file.type, ...SECURITY_HEADERS },
        }),
      );
    },
  };
}
