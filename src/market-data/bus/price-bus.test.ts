import { describe, expect, test } from "bun:test";
import type { Bar } from "../bars/bar";
import { PriceBus, type Batch, type TradeTick } from "./price-bus";
import { expectQuietFor, until } from "../../shared/testing";

const trade = (instrumentId: number, price: number, tsMs = 0): TradeTick => ({
  instrumentId,
  tsMs,
  price,
  size: 1,
  side: "B",
});
const bar = (startMs: number): Bar => ({
  instrumentId: 1,
  interval: "1m",
  startMs,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
  source: "trades",
});

describe("price bus", () => {
  test("sync subscribers see every trade in order; the last value is cached", () => {
    const bus = new PriceBus();
    const seen: number[] = [];
    bus.subscribe({ trade: (t) => seen.push(t.price) });
    for (let i = 0; i < 5; i++) bus.publishTrade(trade(1, i));
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(bus.last(1).trade?.price).toBe(4);
    expect(bus.last(2).trade).toBeUndefined();
  });

  test("a throwing subscriber is counted and does not stop the others", () => {
    const errors: unknown[] = [];
    const bus = new PriceBus((e) => errors.push(e));
    const seen: number[] = [];
    bus.subscribe({
      trade: () => {
        throw new Error("boom");
      },
    });
    bus.subscribe({ trade: (t) => seen.push(t.price) });
    bus.publishTrade(trade(1, 7));
    expect(seen).toEqual([7]);
    expect(bus.errors).toBe(1);
  });

  test("a slow coalesced consumer gets the latest per instrument and every bar; the feed never waits", async () => {
    const bus = new PriceBus();
    const batches: Batch[] = [];
    let release!: () => void;
    let calls = 0;
    bus.subscribeCoalesced(async (b) => {
      batches.push(b);
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
    });
    bus.publishTrade(trade(1, 1));
    await until(() => batches.length === 1); // first batch delivered, handler now stuck
    // Publishing is synchronous: this loop completes while the consumer is still stuck.
    for (let i = 0; i < 100_000; i++) bus.publishTrade(trade(1 + (i % 3), i));
    bus.publishBar(bar(0));
    bus.publishBar(bar(60_000));
    expect(batches.length).toBe(1);
    release();
    await until(() => batches.length >= 2);
    expect(batches.length).toBe(2);
    const second = batches[1]!;
    expect([...second.trades.values()].map((t) => t.price).sort((a, b) => a - b)).toEqual([99_997, 99_998, 99_999]);
    expect(second.coalesced).toBe(100_000 - 3);
    expect(second.bars.map((b) => b.startMs)).toEqual([0, 60_000]);
  });

  test("unsubscribe stops delivery", async () => {
    const bus = new PriceBus();
    const got: Batch[] = [];
    const off = bus.subscribeCoalesced((b) => void got.push(b));
    off();
    bus.publishTrade(trade(1, 1));
    await expectQuietFor(1, () => expect(got).toEqual([]));
  });
});
