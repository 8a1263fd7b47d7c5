import { describe, expect, it } from "vitest";
import { createByteBudget } from "./byte-budget.ts";

describe("createByteBudget", () => {
  it("admits reservations while they fit and refuses the one that does not", () => {
    const budget = createByteBudget(100);
    const a = budget.reserve(60);
    expect(a?.held).toBe(60);
    expect(budget.reserve(41)).toBeNull();
    const b = budget.reserve(40);
    expect(b).not.toBeNull();
    expect(budget.inUse).toBe(100);
    expect(budget.reserve(1)).toBeNull();
    // A refusal takes nothing.
    expect(budget.inUse).toBe(100);
  });

  it("returns every byte on release, once, however many times it is called", () => {
    const budget = createByteBudget(100);
    const a = budget.reserve(70);
    const b = budget.reserve(30);
    a?.release();
    a?.release();
    expect(budget.inUse).toBe(30);
    expect(a?.held).toBe(0);
    b?.release();
    expect(budget.inUse).toBe(0);
    expect(budget.reserve(100)).not.toBeNull();
  });

  it("grows a reservation as bytes arrive, and refuses growth past the capacity", () => {
    const budget = createByteBudget(100);
    const streaming = budget.reserve(0);
    const other = budget.reserve(50);
    expect(streaming?.grow(30)).toBe(true);
    expect(streaming?.grow(21)).toBe(false);
    expect(streaming?.held).toBe(30);
    expect(budget.inUse).toBe(80);
    other?.release();
    expect(streaming?.grow(21)).toBe(true);
    streaming?.release();
    expect(budget.inUse).toBe(0);
  });

  it("takes nothing more for a released reservation", () => {
    const budget = createByteBudget(100);
    const done = budget.reserve(10);
    done?.release();
    expect(done?.grow(5)).toBe(false);
    expect(budget.inUse).toBe(0);
  });

  it("refuses sizes that are not byte counts", () => {
    const budget = createByteBudget(100);
    expect(budget.reserve(Number.NaN)).toBeNull();
    expect(budget.reserve(-1)).toBeNull();
    expect(() => createByteBudget(0)).toThrow(/positive integer/);
  });
});
