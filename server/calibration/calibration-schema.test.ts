import { describe, expect, it } from "vitest";
import { parseCalibration } from "./calibration-schema.ts";

function valid(): Record<string, unknown> {
  const accuracies = { cnn: 0.824, clip: 0.79, auto: 0.87, force: 0.88 };
  return {
    version: 1,
    temperatures: { cnn: 1.2, clip: 0.9 },
    ensemble: { rule: "log-linear", cnnWeight: 0.6 },
    routing: { threshold: 0.71, share: 0.28, choice: "best-within-max-share" },
    fitted: accuracies,
    curve: [
      { share: 0, accuracy: 0.824 },
      { share: 0.28, accuracy: 0.87 },
    ],
    data: { name: "imagenet-samples", count: 250, sha256: "ab".repeat(32) },
    heldOut: {
      method: "5-fold",
      count: 250,
      share: 0.27,
      curve: [{ share: 0, accuracy: 0.8 }],
      ...accuracies,
    },
    fittedAt: "2025-01-02T03:04:05.000Z",
  };
}

function problems(value: unknown): string {
  try {
    parseCalibration(value);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the calibration to be rejected");
}

describe("parseCalibration", () => {
  it("returns a valid calibration typed and unchanged", () => {
    expect(parseCalibration(valid())).toEqual(valid());
  });

  it("accepts confidence bands and no held-out section", () => {
    const value = valid();
    delete value.heldOut;
    value.ensemble = {
      rule: "confidence-bands",
      bands: [
        { from: 0, cnnWeight: 0.3 },
        { from: 0.5, cnnWeight: 0.7 },
      ],
    };
    expect(parseCalibration(value).ensemble.rule).toBe("confidence-bands");
  });

  it("names a negative temperature", () => {
    const value = valid();
    value.temperatures = { cnn: -1, clip: 0.9 };
    expect(problems(value)).toContain("calibration.temperatures.cnn: must be > 0");
  });

  it("names a threshold above 1 and a missing field, all at once", () => {
    const value = valid();
    value.routing = { threshold: 1.5, choice: "fixed-share" };
    const message = problems(value);
    expect(message).toContain("calibration.routing.threshold: must be ≤ 1");
    expect(message).toContain("calibration.routing.share: is required");
  });

  it("names missing sections and unknown fields", () => {
    const value = valid();
    delete value.temperatures;
    value.temperatues = { cnn: 1, clip: 1 };
    const message = problems(value);
    expect(message).toContain("calibration.temperatures: is required");
    expect(message).toContain("unknown field(s) temperatues");
  });

  it("names bad bands, curves and data", () => {
    const value = valid();
    value.ensemble = {
      rule: "confidence-bands",
      bands: [
        { from: 0.1, cnnWeight: 0.3 },
        { from: 0.1, cnnWeight: 1.2 },
      ],
    };
    value.curve = [
      { share: 0.5, accuracy: 0.8 },
      { share: 0.2, accuracy: 0.8 },
    ];
    value.data = { name: "x", count: 2.5, sha256: "nope" };
    const message = problems(value);
    expect(message).toContain("calibration.ensemble.bands[0].from: must be 0");
    expect(message).toContain("calibration.ensemble.bands[1].from: must be greater");
    expect(message).toContain("calibration.ensemble.bands[1].cnnWeight: must be ≤ 1");
    expect(message).toContain("calibration.curve[1].share: must be greater");
    expect(message).toContain("calibration.data.count: must be an integer");
    expect(message).toContain("calibration.data.sha256: must be 64 lowercase hex digits");
  });

  it("rejects an unknown version, rule and date", () => {
    const value: Record<string, unknown> = { ...valid(), version: 2, fittedAt: "yesterday" };
    value.ensemble = { rule: "average", cnnWeight: 0.5 };
    const message = problems(value);
    expect(message).toMatch(/calibration\.version: /);
    expect(message).toMatch(/calibration\.ensemble\.rule: /);
    expect(message).toContain("calibration.fittedAt: must be an ISO 8601 date-time");
  });
});
