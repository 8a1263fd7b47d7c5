import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { createFakeTestApp } from "../testing/test-app.ts";
import { graphiqlOptions } from "./graphiql.ts";

const openGraphiQL = (app: ReturnType<typeof createApp>) =>
  app.fetch(new Request("http://localhost/graphql", { headers: { accept: "text/html" } }));

describe("GraphiQL on /graphql", () => {
  const { runtime, app } = createFakeTestApp();

  it("is self-contained: its assets are inlined, nothing comes from a CDN", async () => {
    const html = await (await openGraphiQL(app)).text();
    expect(html).toContain("YogaGraphiQL.renderYogaGraphiQL");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="?https?:/);
  });

  it("opens on the operation documents, one tab each, About first", async () => {
    const { defaultQuery, defaultTabs: tabs } = graphiqlOptions(runtime.models.pack.labels);
    expect(tabs.map((tab) => tab.query.match(/^(query|mutation) (\w+)/m)?.[2])).toEqual([
      "About",
      "ClassifyBase64",
      "Classify",
      "ClassifyBatch",
      "SubmitFeedback",
    ]);
    expect(defaultQuery).toBe(tabs[0]?.query);
    expect(tabs[0]?.query).toMatch(/^\s+labels$/m);
    expect(tabs[0]?.query).toMatch(/^\s+models \{$/m);
    // The fragment they spread comes along; uploads get a note on sending files.
    expect(tabs[2]?.query).toContain("fragment ClassificationFields on Classification");
    expect(tabs[2]?.query).toContain("GraphiQL cannot attach files");
    expect(tabs[0]?.query).not.toContain("GraphiQL cannot attach files");
    expect(JSON.parse(tabs[4]?.variables ?? "{}").label).toBe(runtime.models.pack.labels[0]);
    // The page GraphiQL renders carries them.
    const html = await (await openGraphiQL(app)).text();
    for (const tab of tabs) expect(html).toContain(JSON.stringify(tab.query));
  });

  it("has a ClassifyBase64 tab that runs as it is: a real sample image in its variables", async () => {
    const tab = graphiqlOptions(runtime.models.pack.labels).defaultTabs[1];
    expect(tab?.query).toContain("fragment ClassificationFields on Classification");
    expect(tab?.query).not.toContain("GraphiQL cannot attach files");
    const variables = JSON.parse(tab?.variables ?? "{}");
    expect(variables.image).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    const answer = await createFakeTestApp().query<{ classify: { image: { format: string } } }>(
      tab?.query ?? "",
      variables,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.classify.image.format).toBe("png");
  });

  it("is off with GRAPHIQL=false", async () => {
    const http = { ...runtime.config.http, graphiql: false };
    const off = createApp({ ...runtime, config: { ...runtime.config, http } });
    const response = await openGraphiQL(off);
    expect(await response.text()).not.toContain("renderYogaGraphiQL");
  });
});
