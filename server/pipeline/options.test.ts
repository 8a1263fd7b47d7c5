import { describe, expect, it } from "vitest";
import { UserError } from "../errors/user-error.ts";
import { parseClassifyOptions } from "./options.ts";

const limits = { customLabelsMax: 4 };

function badInput(input: Parameters<typeof parseClassifyOptions>[0]): UserError {
  try {
    parseClassifyOptions(input, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe("BAD_USER_INPUT");
    return error as UserError;
  }
  throw new Error(`expected BAD_USER_INPUT for ${JSON.stringify(input)}`);
}

describe("parseClassifyOptions", () => {
  describe("defaults", () => {
    it.each([undefined, null, {}, { topK: null, vlm: null, labels: null }])("fills %j", (input) => {
      expect(parseClassifyOptions(input, limits)).toEqual({ topK: 5, vlm: "AUTO", labels: null });
    });

    it("keeps what was given", () => {
      expect(parseClassifyOptions({ topK: 3, vlm: "FORCE" }, limits)).toEqual({
        topK: 3,
        vlm: "FORCE",
        labels: null,
      });
      expect(parseClassifyOptions({ vlm: "OFF" }, limits)).toEqual({
        topK: 5,
        vlm: "OFF",
        labels: null,
      });
    });
  });

  describe("topK", () => {
    it("accepts 1 through 100", () => {
      expect(parseClassifyOptions({ topK: 1 }, limits).topK).toBe(1);
      expect(parseClassifyOptions({ topK: 100 }, limits).topK).toBe(100);
    });

    it.each([0, -1, 101, 2.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects %d", (topK) => {
      expect(badInput({ topK }).message).toBe("options.topK must be between 1 and 100");
    });
  });

  describe("labels", () => {
    it("trims each label and keeps their order", () => {
      expect(parseClassifyOptions({ labels: ["  a cat ", "a dog"] }, limits)).toEqual({
        topK: 5,
        vlm: "AUTO",
        labels: ["a cat", "a dog"],
      });
    });

    it("works with vlm FORCE", () => {
      expect(parseClassifyOptions({ vlm: "FORCE", labels: ["x", "y"] }, limits).labels).toEqual([
        "x",
        "y",
      ]);
    });

    it("cannot be combined with vlm OFF", () => {
      expect(badInput({ vlm: "OFF", labels: ["a cat", "a dog"] }).message).toContain("vlm: OFF");
    });

    it("rejects fewer than 2 and more than customLabelsMax", () => {
      expect(badInput({ labels: [] }).message).toBe(
        "options.labels must have between 2 and 4 labels",
      );
      expect(badInput({ labels: ["only"] }).message).toBe(
        "options.labels must have between 2 and 4 labels",
      );
      expect(badInput({ labels: ["a", "b", "c", "d", "e"] }).message).toContain("between 2 and 4");
      expect(parseClassifyOptions({ labels: ["a", "b", "c", "d"] }, limits).labels).toHaveLength(4);
    });

    it("rejects blank labels, including whitespace only", () => {
      expect(badInput({ labels: ["a cat", ""] }).message).toBe(
        "each label in options.labels must have 1 to 100 characters",
      );
      expect(badInput({ labels: ["a cat", "   "] }).message).toContain("1 to 100 characters");
    });

    it("accepts 100 characters and rejects 101 (after trimming)", () => {
      expect(
        parseClassifyOptions({ labels: ["x".repeat(100), ` ${"y".repeat(100)} `] }, limits).labels,
      ).toEqual(["x".repeat(100), "y".repeat(100)]);
      expect(badInput({ labels: ["ok", "z".repeat(101)] }).message).toContain(
        "1 to 100 characters",
      );
    });

    it("rejects duplicates, also those that differ only by surrounding spaces", () => {
      expect(badInput({ labels: ["a cat", "a dog", "a cat"] }).message).toBe(
        "options.labels has duplicates",
      );
      expect(badInput({ labels: ["a cat", " a cat "] }).message).toBe(
        "options.labels has duplicates",
      );
    });

    it("treats labels differing in case as different", () => {
      expect(parseClassifyOptions({ labels: ["Cat", "cat"] }, limits).labels).toEqual([
        "Cat",
        "cat",
      ]);
    });
  });

  it("reports BAD_USER_INPUT with HTTP 400", () => {
    expect(badInput({ topK: 0 }).extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      http: { status: 400 },
    });
  });
});
