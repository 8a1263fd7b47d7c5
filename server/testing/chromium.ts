import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { REPO_ROOT } from "./shared-data.ts";

/** Debian's Chromium (package `chromium`, installed by scripts/install-system-tools.sh). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Screenshots and other browser-test artifacts; git-ignored. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-results", "browser");

// CI must run the browser tests: there a missing Chromium is a failure, not a skip. Tests may
// read the environment; the service itself only reads it through server/config.ts.
const inCi = process.env.CI === "true";

/** False only off CI without Chromium: the browser suites skip then, and say so. */
export const canRunBrowserTests = existsSync(CHROMIUM_PATH) || inCi;

/** Call at module level of a browser suite: prints why it is skipped. */
export function warnIfNoChromium(suite: string): void {
  if (!canRunBrowserTests) {
    console.warn(
      `skipping ${suite}: ${CHROMIUM_PATH} not found (apt-get install chromium, or run scripts/install-system-tools.sh)`,
    );
  }
}

/**
 * Headless Chromium with everything that would reach the network on its own switched off:
 * tests talk to loopback servers only.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: browser tests need Debian's chromium package`);
  }
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-sync",
      "--disable-extensions",
      "--disable-domain-reliability",
      "--disable-client-side-phishing-detection",
      "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions",
      "--metrics-recording-only",
      "--no-first-run",
      "--no-default-browser-check",
      "--no-pings",
    ],
  });
}
