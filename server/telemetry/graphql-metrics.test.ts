import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { jsonRequest } from "../testing/multipart.ts";
import { seededRandom } from "../testing/seeded-random.ts";
import { createFakeTestApp, type FakeTestApp } from "../testing/test-app.ts";
import { errorField, OTHER_OPERATION, operationLabel } from "./graphql-metrics.ts";
import { seriesIn } from "./metrics-text.ts";

const scrape = async (service: FakeTestApp) =>
  (await service.app.fetch(new Request("http://localhost/metrics"))).text();

/** A name no one would ship: letters, digits and underscores, as GraphQL allows. */
function randomName(random: ReturnType<typeof seededRandom>) {
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  return `Op_${Array.from({ length: 12 }, () => random.pick([...chars])).join("")}`;
}

/**
 * Every way a client picks the labels: the operation's name in the document, or the request's
 * `operationName`, a query that succeeds and a mutation that fails under an alias of its own.
 */
function requests(name: string, alias: string) {
  const about = `query ${name} { health { ready } }`;
  const failing = `mutation ${name} { ${alias}: submitFeedback(id: "no-such-id", label: "x") { outcome } }`;
  const withOperationName = new Request("http://localhost/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `query ${name} { health { ready } }`, operationName: name }),
  });
  return [jsonRequest(about), jsonRequest(failing), withOperationName];
}

describe("GraphQL request metrics", () => {
  it("keep the series count unchanged through 1000 made-up operation names", async () => {
    const service = createFakeTestApp();
    const random = seededRandom(13);
    // Each name goes out in one of the ways, in turn (all three for the first).
    const send = async (name: string, kinds: readonly number[]) => {
      const all = requests(name, `a_${name}`);
      for (const kind of kinds) {
        const response = await service.app.fetch(all[kind] as Request);
        // Answered, not refused: the query succeeds, the feedback fails as not found.
        expect([200, 404], name).toContain(response.status);
      }
    };
    // Made-up names first: the pooled series exist from then on.
    await send(randomName(random), [0, 1, 2]);
    const before = seriesIn(await scrape(service));
    const names = Array.from({ length: 1000 }, () => randomName(random));
    for (const [i, name] of names.entries()) await send(name, [i % 3]);
    const after = await scrape(service);

    expect(seriesIn(after)).toEqual(before);
    expect(after).toContain(`operationName="${OTHER_OPERATION}"`);
    expect(after).toContain('path="submitFeedback"');
    expect(names.filter((name) => after.includes(name))).toEqual([]);
    // The requests were counted, under the pooled name.
    const pooled = [
      ...after.matchAll(/^graphql_envelop_request\{[^}]*operationName="other"[^}]*\} (\d+)$/gm),
    ].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(pooled).toBe(3 + 1000);
  }, 120_000);

  it("keep the names of the operations the repository ships, and configured ones", async () => {
    const service = createFakeTestApp({ METRICS_OPERATION_NAMES: "PartnerAbout" });
    for (const name of ["About", "PartnerAbout"]) {
      await service.app.fetch(jsonRequest(`query ${name} { health { ready } }`));
    }
    const text = await scrape(service);
    expect(text).toMatch(/graphql_envelop_request\{[^}]*operationName="About"[^}]*\} 1/);
    expect(text).toMatch(/graphql_envelop_request\{[^}]*operationName="PartnerAbout"[^}]*\} 1/);
  });
});

describe("operationLabel", () => {
  const known = new Set(["Classify"]);
  it("keeps a known name, names a missing one Anonymous, pools the rest", () => {
    expect(operationLabel(known, "Classify")).toBe("Classify");
    expect(operationLabel(known, undefined)).toBe("Anonymous");
    expect(operationLabel(known, "")).toBe("Anonymous");
    expect(operationLabel(known, "classify")).toBe(OTHER_OPERATION);
  });
});

describe("errorField", () => {
  const document = parse(`query Q { mine: health { ready } labels } query R { models { name } }`);
  it("resolves the alias of the path's first key to the field, in the named operation", () => {
    expect(errorField(document, "Q", ["mine", "ready"])).toBe("health");
    expect(errorField(document, "Q", ["labels", 3])).toBe("labels");
    expect(errorField(document, "R", ["models", 0])).toBe("models");
  });
  it("is empty without a path and pooled for a key it cannot resolve", () => {
    expect(errorField(document, "Q", undefined)).toBe("");
    expect(errorField(document, "Q", ["nope"])).toBe(OTHER_OPERATION);
    expect(errorField(undefined, "Q", ["mine"])).toBe(OTHER_OPERATION);
  });
});
