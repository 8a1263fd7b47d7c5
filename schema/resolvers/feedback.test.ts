import { beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedSamples } from "../../server/testing/shared-data.ts";
import { createTestApp, type TestApp } from "../../server/testing/test-app.ts";
import {
  ClassifyDocument,
  type ClassifyOptions,
  SubmitFeedbackDocument,
} from "../generated/operations.ts";

const samples = loadEmbeddedSamples();

describe("submitFeedback", () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await createTestApp({ VLM_TIMEOUT_MS: "30000", FEEDBACK_WINDOW: "1000" });
  });

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
    let cnnRight = 0;
    let finalRight = 0;
    for (const sample of samples) {
      const answer = await classify(sample.bytes, { vlm: "FORCE" });
      const { data, errors } = await feedback(answer.id, sample.label);
      expect(errors).toBeUndefined();
      if (!data) throw new Error("submitFeedback returned no data");
      const result = data.submitFeedback;
      expect(result.cnnCorrect).toBe(answer.cnn.top.label === sample.label);
      expect(result.finalCorrect).toBe(answer.top.label === sample.label);
      cnnRight += Number(result.cnnCorrect);
      finalRight += Number(result.finalCorrect);
      expect(result.accuracyDelta).toBeCloseTo((finalRight - cnnRight) / result.windowSize, 10);
    }
    const expected = (finalRight - cnnRight) / samples.length;
    const [gauge] = await metric("vlm_accuracy_delta ");
    expect(Number(gauge?.split(" ")[1])).toBeCloseTo(expected, 10);
    const outcomes = (await metric("feedback_total{")).map((line) => Number(line.split(" ")[1]));
    expect(outcomes.reduce((a, b) => a + b, 0)).toBe(samples.length);
  });

  it("refuses unknown ids, labels outside the answer, and a second feedback", async () => {
    const answer = await classify((samples[0] as { bytes: Uint8Array }).bytes);
    const unknownId = await feedback("00000000-0000-0000-0000-000000000000", "bag");
    expect(unknownId.errors?.[0]?.extensions?.code).toBe("UNKNOWN_PREDICTION");
    const unknownLabel = await feedback(answer.id, "spaceship");
    expect(unknownLabel.errors?.[0]?.extensions?.code).toBe("UNKNOWN_LABEL");
    expect((await feedback(answer.id, "bag")).errors).toBeUndefined();
    const again = await feedback(answer.id, "bag");
    expect(again.errors?.[0]?.extensions?.code).toBe("DUPLICATE_FEEDBACK");
  });

  it("accepts feedback on a caller's own labels without moving the delta", async () => {
    const before = await metric("vlm_accuracy_delta ");
    const answer = await classify((samples[0] as { bytes: Uint8Array }).bytes, {
      labels: ["boot", "shirt"],
    });
    expect((await feedback(answer.id, "bag")).errors?.[0]?.extensions?.code).toBe("UNKNOWN_LABEL");
    const { data } = await feedback(answer.id, "boot");
    expect(data?.submitFeedback.outcome).toBe("CUSTOM_LABELS");
    expect(await metric("vlm_accuracy_delta ")).toEqual(before);
  });
});
