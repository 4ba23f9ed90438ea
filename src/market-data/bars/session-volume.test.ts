import { describe, expect, test } from "bun:test";
import { fromExchangeTime } from "../instruments/trading-hours";
import { SessionVolume } from "./session-volume";

const px = (p: number) => Math.round(p * 4) * 250_000_000;

describe("session volume at price", () => {
  test("adds each print's size at its price; a new trading day (17:00 CT) starts empty", () => {
    const v = new SessionVolume();
    const t0 = fromExchangeTime(2025, 3, 4, 9, 30);
    v.add("MES", px(6000.25), 3, t0);
    v.add("MES", px(6000), 2, t0 + 1000);
    v.add("MES", px(6000.25), 4, t0 + 2000);
    v.add("ES", px(6000), 9, t0 + 3000);
    expect(v.profile("MES")).toEqual({
      sinceMs: t0,
      lastMs: t0 + 2000,
      levels: [
        [px(6000), 2],
        [px(6000.25), 7],
      ],
    });
    // A print after the 16:00 close but before the 17:00 open is still the same trading day …
    v.add("MES", px(6000), 1, fromExchangeTime(2025, 3, 4, 16, 59));
    expect(v.profile("MES").levels).toEqual([
      [px(6000), 3],
      [px(6000.25), 7],
    ]);
    // … the first print of the next session starts over.
    const open = fromExchangeTime(2025, 3, 4, 17, 0);
    v.add("MES", px(6010), 1, open + 100);
    expect(v.profile("MES")).toEqual({ sinceMs: open + 100, lastMs: open + 100, levels: [[px(6010), 1]] });
    expect(v.profile("ES").levels).toEqual([[px(6000), 9]]);
    expect(v.profile("NQ")).toEqual({ sinceMs: null, lastMs: null, levels: [] });
  });
});
