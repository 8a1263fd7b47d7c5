import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { createRuntime } from "../runtime/runtime.ts";
import {
  ARTIFACTS_DIR,
  canRunBrowserTests,
  launchChromium,
  warnIfNoChromium,
} from "../testing/chromium.ts";
import { hasSharedData, IMAGENET_SAMPLES, warnIfNoSharedData } from "../testing/shared-data.ts";
import { listen } from "../testing/test-app.ts";

warnIfNoChromium("the first impression of the default pack in Chromium");
warnIfNoSharedData("the first impression of the default pack (a real photo)");

// A photo a new user might try first; the pack's CNN and its cascade both know this breed.
const PHOTO = "n02099712_Labrador_retriever.JPEG";
const EXPECTED = "Labrador Retriever";

describe.skipIf(!canRunBrowserTests || !hasSharedData)(
  "the default pack, as a new user meets it",
  { timeout: 120_000 },
  () => {
    let server: Awaited<ReturnType<typeof listen>>;
    let browser: Browser;
    let packName = "";
    beforeAll(async () => {
      // No MODEL_PACK: exactly what `npm start` serves.
      const runtime = await createRuntime(loadConfig({ CACHE_DIR: ".cache/test" }));
      packName = runtime.models.pack.name;
      server = await listen(createApp(runtime));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it("names a real photo right on the demo page", async () => {
      expect(packName).toBe("imagenet");
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(`${server.url}/`);
      await expect.poll(() => page.locator("#service").textContent()).toContain("1000 labels");
      await page.setInputFiles("#images", join(IMAGENET_SAMPLES, PHOTO));
      const card = page.locator('#results > li[data-state="done"]').first();
      await card.waitFor();
      await page.screenshot({ path: join(ARTIFACTS_DIR, "demo-page-photo.png"), fullPage: true });
      expect(await card.locator(".file-name").textContent()).toBe(PHOTO);
      expect(await card.locator(".prediction .label").first().textContent()).toBe(EXPECTED);
      await page.close();
    });
  },
);
