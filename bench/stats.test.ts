import { describe, expect, test } from "bun:test";
import { quantile, summarize } from "./stats.ts";

describe("quantile", () => {
  test("interpolates between the two nearest ranks", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
  });

  test("the ends are the minimum and the maximum", () => {
    expect(quantile([5, 9, 1], 0)).toBe(1);
    expect(quantile([5, 9, 1], 1)).toBe(9);
  });

  test("refuses no samples and quantiles outside 0…1", () => {
    expect(() => quantile([], 0.5)).toThrow("quantile of no samples: measure at least once");
    expect(() => quantile([1], 1.5)).toThrow("Expected the quantile to be between 0 and 1, got 1.5");
  });
});

describe("summarize", () => {
  test("gives median, p90, min, max and the number of runs", () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, p90: 28, min: 10, max: 30, runs: 3 });
  });

  test("one sample is every statistic", () => {
    expect(summarize([7])).toEqual({ median: 7, p90: 7, min: 7, max: 7, runs: 1 });
  });
});
