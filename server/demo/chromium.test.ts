import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeOperation } from "../../schema/client/graphql-request.ts";
import { ClassifyBatchDocument, type ClassifyOptions } from "../../schema/generated/operations.ts";
import { createApp } from "../app.ts";
import {
  ARTIFACTS_DIR,
  canRunBrowserTests,
  launchChromium,
  warnIfNoChromium,
} from "../testing/chromium.ts";
import { EMBEDDED_SAMPLES, REPO_ROOT } from "../testing/shared-data.ts";
import { createTestApp, listen, type TestApp } from "../testing/test-app.ts";

warnIfNoChromium("the demo page and GraphiQL in Chromium");

const SAMPLE_FILES = ["t10k-00000_ankle_boot.png", "t10k-00001_pullover.png"].map((name) =>
  join(EMBEDDED_SAMPLES, name),
);
const PHONE = { width: 390, height: 844 };
/**
 * The screenshots the docs show (README, docs/api.md) are taken here. A plain run writes them
 * beside the other artifacts and leaves the committed ones alone;
 * `UPDATE_SCREENSHOTS=1 npx vitest run server/demo/chromium.test.ts` refreshes docs/images.
 */
const DOCS_IMAGES = process.env.UPDATE_SCREENSHOTS
  ? join(REPO_ROOT, "docs", "images")
  : ARTIFACTS_DIR;

type Server = Awaited<ReturnType<typeof listen>>;

/** What a result card shows: the file name, each prediction's label and score as text, facts. */
interface RenderedCard {
  name: string;
  predictions: [string, string][];
  facts: Record<string, string>;
}

function readCards(page: Page): Promise<RenderedCard[]> {
  return page.locator("#results > li").evaluateAll((cards) =>
    cards.map((card) => ({
      name: card.querySelector(".file-name")?.textContent ?? "",
      predictions: Array.from(card.querySelectorAll(".prediction"), (row): [string, string] => [
        row.querySelector(".label")?.textContent ?? "",
        row.querySelector(".score")?.textContent ?? "",
      ]),
      facts: Object.fromEntries(
        Array.from(card.querySelectorAll(".fact"), (fact) => [
          fact.querySelector("dt")?.textContent ?? "",
          fact.querySelector("dd")?.textContent ?? "",
        ]),
      ),
    })),
  );
}

/** Console errors and uncaught exceptions, CSP violations included. */
function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

const percent = (score: number) => `${(score * 100).toFixed(1)}%`;

describe.skipIf(!canRunBrowserTests)("in Chromium", { timeout: 90_000 }, () => {
  let service: TestApp;
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    service = await createTestApp({ VLM_TIMEOUT_MS: "30000" });
    server = await service.listen();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The same images and options, straight from the API. */
  async function classifyDirectly(options: ClassifyOptions) {
    const images = SAMPLE_FILES.map(
      (path) => new File([readFileSync(path)], path.split("/").pop() ?? "", { type: "image/png" }),
    );
    const { data, errors } = await executeOperation(
      `${server.url}/graphql`,
      ClassifyBatchDocument,
      {
        images,
        options,
      },
    );
    expect(errors).toBeUndefined();
    return data?.classifyBatch ?? [];
  }

  describe("the demo page", () => {
    it("shows for each uploaded image what the API answers for it", async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors = collectPageErrors(page);
      await page.goto(`${server.url}/`);
      await expect.poll(() => page.locator("#service").textContent()).toContain("10 labels");
      await page.getByRole("radio", { name: "Always" }).check();
      await page.setInputFiles("#images", SAMPLE_FILES);
      await page.locator('#results > li[data-state="done"]').nth(1).waitFor();
      const cards = await readCards(page);
      await page.screenshot({ path: join(DOCS_IMAGES, "demo-page.png"), fullPage: true });

      const answers = await classifyDirectly({ vlm: "FORCE", topK: 5 });
      expect(cards.map((card) => card.name)).toEqual([
        "t10k-00000_ankle_boot.png",
        "t10k-00001_pullover.png",
      ]);
      cards.forEach((card, i) => {
        const answer = answers[i];
        if (answer?.__typename !== "Classification") throw new Error(`no answer for image ${i}`);
        expect(card.predictions).toEqual(
          answer.predictions.map((p): [string, string] => [p.label, percent(p.score)]),
        );
        expect(answer.vlmReason).toBe("FORCED");
        expect(card.facts.CLIP).toBe("consulted: you asked for it FORCED");
        // The page asked first, so CLIP computed the embedding then: a miss on the page.
        expect(card.facts["Embedding cache"]).toBe("miss");
        expect(answer.cacheHit).toBe(true);
        expect(card.facts.Time).toMatch(/^\d+\.\d ms \(decode \d+\.\d ms, CNN \d+\.\d ms, CLIP /);
      });
      expect(errors).toEqual([]);
      await page.close();
    });

    it("is keyboard operable, takes dropped files and the caller's own labels", async () => {
      const page = await browser.newPage({ viewport: PHONE, isMobile: true, deviceScaleFactor: 2 });
      const errors = collectPageErrors(page);
      await page.goto(`${server.url}/`);
      // Tab order: the GraphiQL link, then the file input inside the drop zone.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("images");
      const outline = await page
        .locator("#drop-zone")
        .evaluate((zone) => getComputedStyle(zone).outlineStyle);
      expect(outline).toBe("solid");

      await page.getByLabel("Your own labels").fill("boot, shirt, bag");
      const bytes = [...readFileSync(SAMPLE_FILES[0] as string)];
      const dataTransfer = await page.evaluateHandle((data) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(data)], "dropped.png", { type: "image/png" }));
        return transfer;
      }, bytes);
      await page.locator("#drop-zone").dispatchEvent("drop", { dataTransfer });
      await page.locator('#results > li[data-state="done"]').first().waitFor();
      const [card] = await readCards(page);
      expect(card?.name).toBe("dropped.png");
      expect(card?.predictions.map(([label]) => label).sort()).toEqual(["bag", "boot", "shirt"]);
      expect(card?.facts.CLIP).toBe("consulted: your own labels need it CUSTOM_LABELS");

      // The phone-sized view, with the two samples.
      await page.getByLabel("Your own labels").fill("");
      await page.setInputFiles("#images", SAMPLE_FILES);
      await expect.poll(() => page.locator('#results > li[data-state="done"]').count()).toBe(2);
      await page.screenshot({ path: join(ARTIFACTS_DIR, "demo-page-phone.png"), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe("GraphiQL", () => {
    it("runs the default query and shows the labels", async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/graphql`);
      await page.getByRole("button", { name: "Execute query (Ctrl-Enter)" }).click();
      const response = page.locator(".graphiql-response");
      await response.getByText('"ankle boot"').waitFor();
      // Monaco renders spaces as no-break spaces.
      const text = ((await response.textContent()) ?? "").replaceAll("\u00a0", " ");
      for (const label of service.runtime.models.pack.labels) {
        expect(text).toContain(JSON.stringify(label));
      }
      await page.screenshot({ path: join(ARTIFACTS_DIR, "graphiql.png") });
      await page.close();
    });

    it("classifies the sample image of the ClassifyBase64 tab as it is", async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors = collectPageErrors(page);
      await page.goto(`${server.url}/graphql`);
      // GraphiQL's tabs can be dragged: the drag handler captures the pointer, so a synthetic
      // mouse click lands on the tab, not its button. The click event itself selects it.
      const tab = page.getByRole("tab", { name: "ClassifyBase64" });
      await tab.getByRole("button", { name: "ClassifyBase64" }).dispatchEvent("click");
      await expect.poll(() => tab.getAttribute("aria-selected")).toBe("true");
      await page.getByRole("button", { name: "Execute query (Ctrl-Enter)" }).click();
      const response = page.locator(".graphiql-response");
      await response.getByText('"classify"').waitFor();
      // Monaco renders only the lines in view: the answer's head (id, model, top) is enough.
      const text = ((await response.textContent()) ?? "").replaceAll("\u00a0", " ");
      // The answer the API gives for the same image, uploaded (the first sample file).
      const [answer] = await classifyDirectly({ topK: 3 });
      if (answer?.__typename !== "Classification") throw new Error("no answer for the sample");
      expect(answer.top.label).toBe("ankle boot");
      expect(text).toContain(`"model": ${JSON.stringify(answer.model)}`);
      expect(text).toMatch(/"top": \{\s*"label": "ankle boot"/);
      expect(text).not.toContain('"errors"');
      await page.screenshot({ path: join(DOCS_IMAGES, "graphiql-classify.png") });
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe("CORS, as a browser enforces it", () => {
    let webApp: Server;
    let api: Server;
    beforeAll(async () => {
      // A web app on its own origin, and the API allowing exactly that origin.
      webApp = await listen((_, response) => {
        response
          .writeHead(200, { "content-type": "text/html" })
          .end("<!doctype html><title>app</title>");
      });
      const { runtime } = service;
      const http = { ...runtime.config.http, corsOrigins: [webApp.url] };
      api = await listen(createApp({ ...runtime, config: { ...runtime.config, http } }));
    });
    afterAll(async () => {
      await api?.close();
      await webApp?.close();
    });

    /** A multipart classify from a page on `origin`, as a web app sends it. */
    async function uploadFrom(origin: string) {
      const page = await browser.newPage();
      await page.goto(origin);
      const bytes = [...readFileSync(SAMPLE_FILES[0] as string)];
      const outcome = await page.evaluate(
        async ({ endpoint, data }) => {
          const body = new FormData();
          const query = "mutation ($image: File!) { classify(image: $image) { top { label } } }";
          body.set("operations", JSON.stringify({ query, variables: { image: null } }));
          body.set("map", JSON.stringify({ 0: ["variables.image"] }));
          body.set("0", new File([new Uint8Array(data)], "boot.png", { type: "image/png" }));
          try {
            const init = { method: "POST", body, headers: { "graphql-preflight": "1" } };
            const response = await fetch(endpoint, init);
            return { label: (await response.json()).data.classify.top.label as string };
          } catch (error) {
            return { error: String(error) };
          }
        },
        { endpoint: `${api.url}/graphql`, data: bytes },
      );
      await page.close();
      return outcome;
    }

    it("lets the allowed origin upload and read the answer", async () => {
      expect(await uploadFrom(webApp.url)).toEqual({ label: "ankle boot" });
    });

    it("blocks another origin", async () => {
      // Same server, other host name: another origin to the browser.
      const other = webApp.url.replace("127.0.0.1", "localhost");
      expect(await uploadFrom(other)).toEqual({ error: "TypeError: Failed to fetch" });
    });
  });
});
