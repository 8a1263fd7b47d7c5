import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
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

/** The page's TypeScript (and the typed operations it imports) as one browser module. */
async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("page.ts", BROWSER_DIR))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no output for the demo page");
  return output.text;
}

/**
 * Serves the demo page on / (HTML, CSS, and its script bundled by esbuild on first request and
 * kept in memory). The page uses only the public GraphQL API, as any web app would.
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
        script ??= bundlePageScript();
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
