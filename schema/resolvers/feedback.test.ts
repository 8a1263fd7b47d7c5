import { describe, expect, it } from "vitest";
import { loadEmbeddedSamples } from "../../server/testing/shared-data.ts";
import { createFakeTestApp } from "../../server/testing/test-app.ts";
import {
  ClassifyDocument,
  type ClassifyOptions,
  SubmitFeedbackDocument,
} from "../generated/operations.ts";

// Real photos, each a different image; the fake models answer the same for every one.
const images = loadEmbeddedSamples().map((sample) => sample.bytes);
const image = (i: number) => images[i] as Uint8Array;

describe("submitFeedback", () => {
  // An unsure CNN ("cat") outvoted by CLIP ("dog"): the CNN and the final answer differ, so
  // feedback can find either one right.
  const service = createFakeTestApp(
    { FEEDBACK_WINDOW: "1000" },
    { pipeline: { cnnScores: [0.5, 0.3, 0.2] } },
  );

  const classify = async (bytes: Uint8Array, options?: ClassifyOptions) => {
    const image = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/png" });
    const response = await service.execute(ClassifyDocument, { image, options });
    expect(response.errors).toBeUndefined();
    if (!response.data) throw new Error("classify returned no data");
    return response.data.classify;
  };
  const feedback = (id: string, label: string) =>
    service.execute(SubmitFeedbackDocument, { id, label });
  const metric = async (name: string) => {
    const text = await (await service.app.fetch(new Request("http://localhost/metrics"))).text();
    return text.split("\n").filter((line) => line.startsWith(name));
  };

  it("scores every answer against the true label and keeps the accuracy delta", async () => {
    // Right for the CNN ("cat") once, for the final answer ("dog") three times, for neither once.
    const truths = ["cat", "dog", "fox", "dog", "dog"];
    let cnnRight = 0;
    let finalRight = 0;
    for (const [i, truth] of truths.entries()) {
      const answer = await classify(image(i), { vlm: "FORCE" });
      expect([answer.cnn.top.label, answer.top.label]).toEqual(["cat", "dog"]);
      const { data, errors } = await feedback(answer.id, truth);
      expect(errors).toBeUndefined();
      if (!data) throw new Error("submitFeedback returned no data");
      const result = data.submitFeedback;
      expect(result.cnnCorrect).toBe(answer.cnn.top.label === truth);
      expect(result.finalCorrect).toBe(answer.top.label === truth);
      cnnRight += Number(result.cnnCorrect);
      finalRight += Number(result.finalCorrect);
      expect(result.accuracyDelta).toBeCloseTo((finalRight - cnnRight) / result.windowSize, 10);
    }
    expect([cnnRight, finalRight]).toEqual([1, 3]);
    const [gauge] = await metric("vlm_accuracy_delta ");
    expect(Number(gauge?.split(" ")[1])).toBeCloseTo((3 - 1) / truths.length, 10);
    const outcomes = (await metric("feedback_total{")).map((line) => Number(line.split(" ")[1]));
    expect(outcomes.reduce((a, b) => a + b, 0)).toBe(truths.length);
  });

  it("refuses unknown ids, labels outside the answer, and a second feedback", async () => {
    const answer = await classify(image(6));
    const unknownId = await feedback("00000000-0000-0000-0000-000000000000", "dog");
    expect(unknownId.errors?.[0]?.extensions?.code).toBe("UNKNOWN_PREDICTION");
    const unknownLabel = await feedback(answer.id, "spaceship");
    expect(unknownLabel.errors?.[0]?.extensions?.code).toBe("UNKNOWN_LABEL");
    expect((await feedback(answer.id, "dog")).errors).toBeUndefined();
    const again = await feedback(answer.id, "dog");
    expect(again.errors?.[0]?.extensions?.code).toBe("DUPLICATE_FEEDBACK");
  });

  it("accepts feedback on a caller's own labels without moving the delta", async () => {
    // One CNN-right answer first, so the delta is not zero and a move would show.
    const scored = await classify(image(7), { vlm: "FORCE" });
    await feedback(scored.id, "cat");
    const before = await metric("vlm_accuracy_delta ");
    const answer = await classify(image(8), { labels: ["boot", "shirt"] });
    expect((await feedback(answer.id, "cat")).errors?.[0]?.extensions?.code).toBe("UNKNOWN_LABEL");
    const { data } = await feedback(answer.id, "boot");
    expect(data?.submitFeedback.outcome).toBe("CUSTOM_LABELS");
    expect(await metric("vlm_accuracy_delta ")).toEqual(before);
  });
});
