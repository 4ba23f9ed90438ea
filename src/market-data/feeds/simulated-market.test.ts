import { describe, expect, test } from "bun:test";
import { CATALOGUE, instrumentByRoot } from "../instruments/catalogue";
import { SimulatedMarket } from "./simulated-market";

const T0 = Date.parse("2025-11-24T15:00:00Z");

function run(seed: number, seconds: number, stepMs = 100) {
  const m = new SimulatedMarket(seed, T0);
  const events = [];
  for (let t = T0 + stepMs; t <= T0 + seconds * 1000; t += stepMs) events.push(...m.advance(t));
  return events;
}

describe("simulated market", () => {
  const events = run(7, 600);

  test("every price is on its instrument's tick grid, bid < ask, trades at the touch", () => {
    for (const e of events) {
      const tick = Number(instrumentByRoot(e.root)!.tickSize);
      expect(e.bid % tick).toBe(0);
      expect(e.ask % tick).toBe(0);
      expect(e.ask).toBeGreaterThan(e.bid);
      if (e.kind === "trade") {
        expect(e.price === e.bid || e.price === e.ask).toBe(true);
        expect(e.size).toBeGreaterThan(0);
      }
    }
  });

  test("all catalogue symbols trade, and events come in time order", () => {
    const traded = new Set(events.filter((e) => e.kind === "trade").map((e) => e.root));
    expect([...traded].sort()).toEqual(CATALOGUE.map((i) => i.root).sort());
    for (let i = 1; i < events.length; i++) expect(events[i]!.tsMs).toBeGreaterThanOrEqual(events[i - 1]!.tsMs - 100);
  });

  test("mini and micro follow one price path", () => {
    const last = (root: string) => events.filter((e) => e.root === root && e.kind === "quote").at(-1)!;
    expect(Math.abs(last("ES").bid - last("MES").bid)).toBeLessThanOrEqual(
      2 * Number(instrumentByRoot("ES")!.tickSize),
    );
  });

  test("prices move, but not absurdly, over ten minutes", () => {
    const es = events.filter((e) => e.root === "ES" && e.kind === "trade").map((e) => e.price / 1e9);
    const range = Math.max(...es) - Math.min(...es);
    expect(range).toBeGreaterThan(0.25);
    expect(range).toBeLessThan(300);
  });

  test("deterministic for a seed, different across seeds", () => {
    expect(JSON.stringify(run(7, 30))).toBe(JSON.stringify(run(7, 30)));
    expect(JSON.stringify(run(8, 30))).not.toBe(JSON.stringify(run(7, 30)));
  });
});
