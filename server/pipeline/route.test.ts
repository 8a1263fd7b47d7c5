import { describe, expect, it } from "vitest";
import { decideRoute, type RoutingRules } from "./route.ts";
import type { ClassifyOptions } from "./types.ts";

/** Routing below a threshold, as the legacy and calibrated rules both do. */
const routeBelow = (high: number, priority: string[] = []): RoutingRules => ({
  routes: (confidence) => confidence < high,
  priorityClasses: new Set(priority),
});
// The DESIGN's legacy default: high 0.85.
const rules = routeBelow(0.85, ["tench", "shark"]);
const auto: Pick<ClassifyOptions, "vlm" | "labels"> = { vlm: "AUTO", labels: null };
const customLabels = ["a cat", "a dog"];

describe("decideRoute", () => {
  describe("vlm: AUTO", () => {
    it("answers with the CNN alone at or above high", () => {
      expect(decideRoute({ label: "goldfish", score: 0.99 }, auto, rules)).toBeNull();
      expect(decideRoute({ label: "goldfish", score: 1 }, auto, rules)).toBeNull();
    });

    it("treats a score exactly at high as confident", () => {
      expect(decideRoute({ label: "goldfish", score: 0.85 }, auto, rules)).toBeNull();
      expect(decideRoute({ label: "tench", score: 0.85 }, auto, rules)).toBe("PRIORITY_CLASS");
    });

    it("asks CLIP just below high", () => {
      const below = 0.85 - Number.EPSILON;
      expect(decideRoute({ label: "goldfish", score: below }, auto, rules)).toBe("LOW_CONFIDENCE");
    });

    it("asks CLIP for low confidence, down to zero", () => {
      for (const score of [0.7, 0.65, 0.3, 0]) {
        expect(decideRoute({ label: "goldfish", score }, auto, rules)).toBe("LOW_CONFIDENCE");
      }
    });

    it("asks CLIP for a confident priority class", () => {
      expect(decideRoute({ label: "tench", score: 0.99 }, auto, rules)).toBe("PRIORITY_CLASS");
      expect(decideRoute({ label: "shark", score: 1 }, auto, rules)).toBe("PRIORITY_CLASS");
    });

    it("gives LOW_CONFIDENCE, not PRIORITY_CLASS, for an unsure priority class", () => {
      expect(decideRoute({ label: "tench", score: 0.5 }, auto, rules)).toBe("LOW_CONFIDENCE");
    });

    it("matches priority classes by exact label", () => {
      expect(decideRoute({ label: "Tench", score: 0.99 }, auto, rules)).toBeNull();
      expect(decideRoute({ label: "tench ", score: 0.99 }, auto, rules)).toBeNull();
    });

    it("follows the thresholds it is given", () => {
      const strict = routeBelow(0.99);
      expect(decideRoute({ label: "goldfish", score: 0.95 }, auto, strict)).toBe("LOW_CONFIDENCE");
      const never = routeBelow(0);
      expect(decideRoute({ label: "goldfish", score: 0 }, auto, never)).toBeNull();
    });
  });

  describe("vlm: FORCE", () => {
    it("always asks CLIP, with reason FORCED, even when confident or a priority class", () => {
      const force = { vlm: "FORCE", labels: null } as const;
      expect(decideRoute({ label: "goldfish", score: 1 }, force, rules)).toBe("FORCED");
      expect(decideRoute({ label: "goldfish", score: 0.1 }, force, rules)).toBe("FORCED");
      expect(decideRoute({ label: "tench", score: 0.99 }, force, rules)).toBe("FORCED");
    });
  });

  describe("vlm: OFF", () => {
    it("never asks CLIP, even when unsure or a priority class", () => {
      const off = { vlm: "OFF", labels: null } as const;
      expect(decideRoute({ label: "goldfish", score: 0.01 }, off, rules)).toBeNull();
      expect(decideRoute({ label: "tench", score: 0.99 }, off, rules)).toBeNull();
      expect(decideRoute({ label: "tench", score: 0.2 }, off, rules)).toBeNull();
    });
  });

  describe("custom labels", () => {
    it("always need CLIP, whatever the mode or confidence", () => {
      for (const vlm of ["AUTO", "FORCE", "OFF"] as const) {
        for (const score of [0, 0.5, 0.85, 1]) {
          expect(decideRoute({ label: "tench", score }, { vlm, labels: customLabels }, rules)).toBe(
            "CUSTOM_LABELS",
          );
        }
      }
    });
  });
});
