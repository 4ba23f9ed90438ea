import { describe, expect, test } from "bun:test";
import { fromExchangeTime, sessionState } from "../market-data/instruments/trading-hours";
import { TradingEngine } from "./engine/engine";
import type { EngineEvent, FeedInput } from "./engine/types";
import { FEED_GRACE_MS, FeedWatch, SILENT_MS, unprotected } from "./feed-watch";

/** The feed watch of docs/trading-rules.md R7.1 on a fake clock and feed, over a real engine. */
const px = (s: string) => Math.round(Number(s) * 1e9);
const actor = { kind: "user" as const, label: "alice", userId: 1 };
// Tuesday 3 March 2026, 09:00 CT: the market is open.
const T0 = fromExchangeTime(2026, 3, 3, 9, 0);

function rig(startMs = T0) {
  const engine = new TradingEngine(() => ({ root: "MES", tick: px("0.25"), pointValue: 5_000_000_000n, decimals: 2 }));
  engine.setAccount({ id: 1, userId: 1, kind: "paper", commission: 0n });
  engine.setAccount({ id: 2, userId: 1, kind: "live", commission: 0n });
  const feed = { state: "live", last: new Map<string, number>() };
  let now = startMs;
  const events: EngineEvent[] = [];
  const sent: FeedInput[] = [];
  const watch = new FeedWatch({
    delivering: () => feed.state === "live",
    lastPrintMs: (s) => feed.last.get(s),
    marketOpen: (ms) => sessionState(ms) === "open",
    openSymbols: () =>
      new Set(
        engine
          .allPositions()
          .filter((p) => p.qty > 0)
          .map((p) => p.symbol),
      ),
    downSince: (s) => engine.feedDownSince(s),
  });
  const take = (fx: ReturnType<TradingEngine["step"]>) => {
    for (const f of fx) if (f.type === "event") events.push(f.event);
  };
  const r = {
    engine,
    feed,
    events,
    sent,
    get now() {
      return now;
    },
    print(price = "5000.00", symbol = "MES") {
      feed.last.set(symbol, now);
      take(engine.onTrade(symbol, px(price), now));
    },
    record(accountId = 1, symbol = "MES") {
      take(
        engine.step({
          type: "command",
          accountId,
          symbol,
          command: { kind: "record", side: "long", qty: 1, entryPrice: px("5000.00") },
          actor,
          tsMs: now,
        }),
      );
    },
    /** The clock moves a second at a time and the watch looks each second, as it does live. */
    run(ms: number, each?: (t: number) => void) {
      for (let t = 0; t < ms; t += 1000) {
        now += 1000;
        each?.(now);
        for (const input of watch.check(now)) {
          sent.push(input);
          take(engine.step(input));
        }
      }
    },
    kinds: () => events.filter((e) => e.kind.startsWith("feed.")).map((e) => e.kind),
  };
  return r;
}

describe("feed watch (R7.1)", () => {
  test("prints flowing: nothing to say", () => {
    const r = rig();
    r.print();
    r.record();
    r.run(10 * 60_000, () => r.print());
    expect(r.sent).toEqual([]);
  });

  test("60 s without a print while the market is open: one alarm per outage, since the last print; the first print ends it", () => {
    const r = rig();
    r.print();
    r.record();
    const lastPrint = r.now;
    r.run(SILENT_MS - 1000);
    expect(r.sent).toEqual([]);
    r.run(1000);
    expect(r.sent).toEqual([
      { type: "feed", symbol: "MES", up: false, sinceMs: lastPrint, tsMs: lastPrint + SILENT_MS },
    ]);
    expect(r.engine.feedDownSince("MES")).toBe(lastPrint);
    // Ten more minutes of silence: no more inputs, no more events.
    r.run(10 * 60_000);
    expect(r.sent.length).toBe(1);
    expect(r.kinds()).toEqual(["feed.unprotected"]);
    // The first print brings it back by itself (the watch has nothing to add), and prints flow on.
    r.print("4999.00");
    r.run(5 * 60_000, () => r.print());
    expect(r.kinds()).toEqual(["feed.unprotected", "feed.protected"]);
    expect(r.sent.length).toBe(1);
    // A second outage is a second alarm.
    r.run(SILENT_MS + 5000);
    expect(r.kinds()).toEqual(["feed.unprotected", "feed.protected", "feed.unprotected"]);
  });

  test("a closed market is silent by nature: no alarm over a weekend, nor at the open if prints come", () => {
    // Friday 15:59 CT, the last print before the weekend.
    const r = rig(fromExchangeTime(2026, 3, 6, 15, 59));
    r.print();
    r.record();
    // Until Sunday 17:00 and a minute past it, prints arriving 20 s after the open.
    const open = fromExchangeTime(2026, 3, 8, 17, 0);
    r.run(open - r.now + 60_000, (t) => {
      if (t >= open + 20_000) r.print();
    });
    expect(r.sent).toEqual([]);
    expect(r.kinds()).toEqual([]);
  });

  test("the open with no prints for 60 s is an outage, counted from the open", () => {
    const r = rig(fromExchangeTime(2026, 3, 4, 15, 59));
    r.print();
    const lastPrint = r.now;
    r.record();
    // The daily break (16:00–17:00) says nothing; the first minute after 17:00 neither.
    const open = fromExchangeTime(2026, 3, 4, 17, 0);
    r.run(open - r.now + SILENT_MS - 1000);
    expect(r.sent).toEqual([]);
    r.run(2000);
    expect(r.sent.map((i) => [i.up, i.sinceMs])).toEqual([[false, lastPrint]]);
  });

  test("a feed that is not delivering: down after a short grace, since the last print; up again when it delivers", () => {
    const r = rig();
    r.print();
    r.record();
    r.record(2);
    const lastPrint = r.now;
    r.run(3000, () => r.print());
    const lastBefore = r.now;
    r.feed.state = "reconnecting";
    // A reconnect that works at once raises nothing.
    r.run(FEED_GRACE_MS - 1000);
    expect(r.sent).toEqual([]);
    r.run(2000);
    expect(r.sent.map((i) => [i.symbol, i.up, i.sinceMs])).toEqual([["MES", false, lastBefore]]);
    expect(lastBefore).toBeGreaterThan(lastPrint);
    // Both positions of the symbol are unprotected, with one event each.
    expect(r.kinds()).toEqual(["feed.unprotected", "feed.unprotected"]);
    expect(unprotected(r.engine)).toEqual({
      positions: 2,
      keys: [
        { accountId: 1, symbol: "MES" },
        { accountId: 2, symbol: "MES" },
      ],
      symbols: ["MES"],
      sinceMs: lastBefore,
    });
    r.run(60_000);
    expect(r.sent.length).toBe(1);
    r.feed.state = "live";
    r.print();
    r.run(3000, () => r.print());
    expect(r.engine.feedDownSince("MES")).toBeUndefined();
    expect(r.kinds()).toEqual(["feed.unprotected", "feed.unprotected", "feed.protected", "feed.protected"]);
    expect(unprotected(r.engine).positions).toBe(0);
  });

  test("prints the engine did not see: the watch says up once the feed is live and prints flow", () => {
    const r = rig();
    r.print();
    r.record();
    r.feed.state = "stopped";
    r.run(FEED_GRACE_MS + 1000);
    expect(r.engine.feedDownSince("MES")).toBeDefined();
    r.feed.state = "live";
    // The feed's clock moves on (a print on the bus) without the engine seeing it.
    r.run(2000, (t) => r.feed.last.set("MES", t));
    expect(r.sent.map((i) => i.up)).toEqual([false, true]);
    expect(r.engine.feedDownSince("MES")).toBeUndefined();
  });

  test("FEED=off, never a print: down since the feed went out; a fresh start is not an outage by silence", () => {
    const r = rig();
    r.feed.state = "stopped";
    const out = r.now + 1000;
    r.run(30_000);
    expect(r.sent).toEqual([]); // no open position, nothing to say
    r.record();
    r.run(1000);
    expect(r.sent.map((i) => [i.up, i.sinceMs])).toEqual([[false, out]]);

    // Live feed, a symbol that has not printed since start-up: 60 s of looking first.
    const s = rig();
    s.record();
    s.run(SILENT_MS);
    expect(s.sent).toEqual([]);
    s.run(1000);
    expect(s.sent.length).toBe(1);
  });

  test("symbols without open positions are not watched", () => {
    const r = rig();
    r.print();
    r.run(10 * 60_000);
    expect(r.sent).toEqual([]);
    expect(unprotected(r.engine)).toEqual({ positions: 0, keys: [], symbols: [], sinceMs: null });
  });
});
