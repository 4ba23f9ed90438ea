import { expect, test } from "bun:test";
import { parseFixed as p } from "../../shared/fixed-point";
import { roundAwayFromMarket, roundToTick, roundTowardMarket, ticksIn } from "./ticks";

const q = p("0.25");

test("round to the tick in every mode, negatives included", () => {
  expect(roundToTick(p("5012.30"), q, "down")).toBe(p("5012.25"));
  expect(roundToTick(p("5012.30"), q, "up")).toBe(p("5012.5"));
  expect(roundToTick(p("5012.30"), q, "nearest")).toBe(p("5012.25"));
  expect(roundToTick(p("5012.375"), q, "nearest")).toBe(p("5012.5"));
  expect(roundToTick(p("5012.25"), q, "up")).toBe(p("5012.25"));
  expect(roundToTick(p("-1.1"), p("0.25"), "down")).toBe(p("-1.25"));
  expect(roundToTick(p("71.374"), p("0.01"), "nearest")).toBe(p("71.37"));
  expect(() => roundToTick(1n, 0n, "up")).toThrow();
});

test("toward and away from the market", () => {
  const market = p("5000");
  // A stop below a long's market, computed 3.1 points away: away rounds further (down).
  expect(roundAwayFromMarket(p("4996.9"), q, market)).toBe(p("4996.75"));
  expect(roundTowardMarket(p("4996.9"), q, market)).toBe(p("4997"));
  // Above the market the directions swap.
  expect(roundAwayFromMarket(p("5003.1"), q, market)).toBe(p("5003.25"));
  expect(roundTowardMarket(p("5003.1"), q, market)).toBe(p("5003"));
});

test("ticks in a distance", () => {
  expect(ticksIn(p("3"), q)).toBe(12);
  expect(ticksIn(p("0.10"), p("0.01"))).toBe(10);
  expect(() => ticksIn(p("0.3"), q)).toThrow();
});
