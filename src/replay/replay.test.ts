import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DbnDecodeError } from "../market-data/dbn/constants";
import type { Actor } from "../persistence/events";
import type { Command } from "../trading/engine/types";
import { ExecutionRouter } from "../trading/execution/router";
import { ReplayPlayer, type ReplaySink } from "./player";
import { ReplayCommandError, ReplaySession, type ReplayWrite } from "./replay-session";
import { replayEndedText } from "./replay-service";
import { BarsSource, DbnSource, ReplaySourceError, TRADE } from "./sources";
import { tradesDbn, walk } from "./test-tape";

const T0 = Date.UTC(2025, 2, 3, 15, 0, 0); // a Monday, 09:00 CT
const trader: Actor = { kind: "user", label: "alice (replay test)", userId: 1 };
const ACCOUNT = { id: 900, userId: 1, kind: "replay" as const, commission: 0n, name: "replay-1" };
/** The trader's command on the replay's account, as the replay's routes hand it over. */
const byTrader = (command: Command, symbol = "MES") =>
  ({ type: "command", accountId: ACCOUNT.id, symbol, command, actor: trader, tsMs: 0 }) as const;

function recorder(): ReplaySink & { trades: { sym: number; ts: number; price: number }[]; clocks: number[] } {
  const trades: { sym: number; ts: number; price: number }[] = [];
  const clocks: number[] = [];
  return {
    trades,
    clocks,
    trade: (sym, ts, price) => trades.push({ sym, ts, price }),
    quote: () => {},
    clock: (t) => clocks.push(t),
  };
}

describe("sources", () => {
  test("a DBN trades file (plain and zstd, v1–v3) plays its prints in order with their symbols", () => {
    const prints = [
      ...walk("MES", T0, 50, { start: 5000, tick: 0.25 }),
      ...walk("MNQ", T0 + 500, 50, { start: 21000, tick: 0.25 }),
    ].sort((a, b) => a.tsMs - b.tsMs);
    for (const version of [1, 2, 3]) {
      for (const zstd of [false, true]) {
        const bytes = tradesDbn(prints, { version });
        const src = new DbnSource(zstd ? Bun.zstdCompressSync(bytes) : bytes);
        expect(src.symbols).toEqual(["MES", "MNQ"]);
        expect(src.count).toBe(100);
        expect([src.startMs, src.endMs]).toEqual([T0, prints.at(-1)!.tsMs]);
        const got: string[] = [];
        while (src.next()) got.push(`${src.symbols[src.sym]}@${src.tsMs}:${src.price / 1e9}`);
        expect(got).toEqual(prints.map((p) => `${p.symbol}@${p.tsMs}:${p.price}`));
        src.reset();
        expect(src.next() && src.tsMs).toBe(T0);
      }
    }
  });

  test("MBP-1 gives prints for trades and the book for everything", () => {
    const src = new DbnSource(tradesDbn(walk("ES", T0, 10, { start: 6000, tick: 0.25 }), { schema: "mbp-1" }));
    expect(src.schema).toBe("mbp-1");
    expect(src.next()).toBe(true);
    expect(src.kind).toBe(TRADE);
    expect(src.ask).toBe(src.price);
    expect(src.bid).toBe(src.price - 250_000_000);
  });

  test("bars become four prints (open, nearer extreme, other extreme, close) that rebuild the bar", () => {
    const src = new BarsSource(
      new Map([
        ["ES", [{ startMs: T0, open: 6000e9, high: 6003e9, low: 5999e9, close: 6002e9, volume: 10 }]],
        ["GC", [{ startMs: T0 - 60_000, open: 2000e9, high: 2001e9, low: 1990e9, close: 1991e9, volume: 7 }]],
      ]),
    );
    const got: [string, number, number, number][] = [];
    while (src.next()) got.push([src.symbols[src.sym]!, src.tsMs - T0, src.price / 1e9, src.size]);
    expect(got).toEqual([
      ["GC", -60_000, 2000, 1],
      ["GC", -45_000, 2001, 1],
      ["GC", -30_000, 1990, 1],
      ["GC", -15_000, 1991, 4],
      ["ES", 0, 6000, 2],
      ["ES", 15_000, 5999, 2],
      ["ES", 30_000, 6003, 2],
      ["ES", 45_000, 6002, 4],
    ]);
  });

  test("corrupt or useless files are refused with the reason", () => {
    const good = tradesDbn(walk("MES", T0, 5, { start: 5000, tick: 0.25 }));
    expect(() => new DbnSource(good.slice(0, good.length - 7))).toThrow(DbnDecodeError);
    expect(() => new DbnSource(good.slice(0, good.length - 7))).toThrow(/truncated record.*at byte/);
    expect(() => new DbnSource(new TextEncoder().encode("hello, not dbn"))).toThrow(DbnDecodeError);
    const broken = good.slice();
    broken[broken.length - 48] = 0; // a record length of 0
    expect(() => new DbnSource(broken)).toThrow(/shorter than a record header/);
    const noMapping = tradesDbn(walk("MES", T0, 5, { start: 5000, tick: 0.25 }));
    // Point the header's mapping at another instrument id: the records cannot be named.
    const text = Buffer.from(noMapping);
    text.write("999", text.indexOf("102"), "latin1");
    expect(() => new DbnSource(text)).toThrow(ReplaySourceError);
    expect(() => new DbnSource(text)).toThrow(/no symbol mapping/);
  });

  const samples = join(process.env.SHARED_DIR ?? join(import.meta.dir, "../../../shared"), "dbn-samples/GLBX.MDP3");
  test.skipIf(!existsSync(samples))("Databento's own sample files play (mbp-1, bbo-1s, ohlcv-1m)", () => {
    for (const f of ["test_data.mbp-1.dbn.zst", "test_data.bbo-1s.dbn.zst", "test_data.ohlcv-1m.dbn.zst"]) {
      const src = new DbnSource(readFileSync(join(samples, f)));
      let n = 0;
      let last = 0;
      while (src.next()) {
        expect(src.tsMs).toBeGreaterThanOrEqual(last);
        last = src.tsMs;
        n++;
      }
      expect(n).toBe(src.count);
      expect(src.symbols.length).toBeGreaterThan(0);
    }
  });
  if (!existsSync(samples))
    console.warn("!!! SKIPPED: replay of Databento sample files — ../shared/dbn-samples is absent");
});

describe("player", () => {
  const sixty = () => new DbnSource(tradesDbn(walk("MES", T0, 61, { start: 5000, tick: 0.25 }))); // T0 … T0+60 s

  test("1× plays a 60 s slice in 60 s of (controlled) wall time, within 2 %", () => {
    const sink = recorder();
    const p = new ReplayPlayer(sixty(), sink);
    let wall = 1_000_000;
    p.play(wall);
    let doneAt = -1;
    while (p.state !== "ended" && wall < 1_000_000 + 120_000) {
      wall += 16; // a 60 Hz timer
      p.advance(wall);
      if ((p.state as string) === "ended") doneAt = wall;
    }
    expect(sink.trades.length).toBe(61);
    expect(Math.abs(doneAt - 1_000_000 - 60_000)).toBeLessThanOrEqual(1_200);
    // …and never early: each print arrives no sooner than its time.
    expect(p.nowMs).toBe(T0 + 60_000);
  });

  test("every speed scales the wall time; max plays it at once", () => {
    for (const speed of [2, 5, 10, 60, 600] as const) {
      const p = new ReplayPlayer(sixty(), recorder());
      let wall = 0;
      p.setSpeed(speed, wall);
      p.play(wall);
      while (p.state !== "ended") p.advance((wall += 5));
      expect(Math.abs(wall - 60_000 / speed)).toBeLessThanOrEqual(Math.max(10, (60_000 / speed) * 0.02));
    }
    const p = new ReplayPlayer(sixty(), recorder());
    p.setSpeed("max", 0);
    p.play(0);
    p.advance(1);
    expect(p.state).toBe("ended");
  });

  test("pause holds, step moves one record or to the end of the minute, the clock ticks in replay time", () => {
    const sink = recorder();
    const p = new ReplayPlayer(
      new DbnSource(tradesDbn(walk("MES", T0 + 30_000, 100, { start: 5000, tick: 0.25 }))),
      sink,
    );
    p.play(0);
    p.advance(5_000);
    const n = sink.trades.length;
    expect(n).toBe(6);
    p.pause(5_000);
    p.advance(50_000);
    expect(sink.trades.length).toBe(n);
    p.step("record", 60_000);
    expect(sink.trades.length).toBe(n + 1);
    p.step("bar", 60_000);
    expect(sink.trades.at(-1)!.ts).toBe(T0 + 59_000);
    expect(p.nowMs).toBe(T0 + 59_999);
    expect(sink.clocks.every((c, i) => i === 0 || c >= sink.clocks[i - 1]!)).toBe(true);
  });

  test("a closed market is crossed at once, not waited out", () => {
    const prints = [
      ...walk("MES", T0, 3, { start: 5000, tick: 0.25 }),
      ...walk("MES", T0 + 3_600_000, 3, { start: 5000, tick: 0.25 }),
    ];
    const sink = recorder();
    const p = new ReplayPlayer(new DbnSource(tradesDbn(prints)), sink);
    p.play(0);
    for (let wall = 0; wall < 10_000 && p.state !== "ended"; wall += 16) p.advance(wall);
    expect(p.state).toBe("ended");
  });
});

function order(
  side: "buy" | "sell",
  qty: number,
  ref: number,
  bracket?: Extract<Command, { kind: "order" }>["bracket"],
): Command {
  return { kind: "order", side, qty, refPrice: Math.round(ref * 1e9), bracket };
}

function newSession(bytes: Uint8Array, writes: ReplayWrite[] = []) {
  return new ReplaySession(1, ACCOUNT, new DbnSource(bytes), async (w) => {
    writes.push(w);
  });
}

describe("replay session", () => {
  // Flat for a minute, up 5 ticks (TP1 at +4 from the 5000.25 entry), back down through the trailing stop, then a walk.
  const path = [
    ...Array.from({ length: 120 }, (_, i) => (i % 2 === 1 && i < 119 ? 5000.25 : 5000)),
    ...[5000.25, 5000.5, 5000.75, 5001, 5001.25, 5001.5, 5001.25, 5001, 5000.5, 5000, 4999.75, 4999.5, 4999.25],
  ];
  const crafted = path.map((price, i) => ({ symbol: "MES", tsMs: T0 + i * 500, price, size: 1 }));
  const tape = tradesDbn([
    ...crafted,
    ...walk("MES", T0 + path.length * 500, 3_000, { start: 4999, tick: 0.25, everyMs: 500, seed: 11 }),
  ]);

  async function scripted(writes: ReplayWrite[]) {
    const s = newSession(tape, writes);
    const cmd = (command: Command) => s.command(byTrader(command));
    s.setSpeed(60, 0);
    s.play(0);
    s.advance(1_000); // 60 s in
    await s.pause(1_000);
    await cmd(
      order("buy", 3, s.engine.lastPrice("MES")! / 1e9, {
        ladder: [
          { enabled: true, qty: 1, target: { unit: "ticks", value: 4 } },
          { enabled: true, qty: 1, target: { unit: "ticks", value: 8 } },
        ],
        stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } },
        timer: { durationMs: 120_000, action: "exit", mode: "regardless" },
      }),
    );
    await s.step("bar", 1_000);
    await s.seek(T0 + 300_000, 1_000);
    s.play(1_000);
    for (let wall = 1_000; s.player.state === "playing"; wall += 50) s.advance(wall);
    await s.flush();
    return s;
  }

  test("TP ladder, trailing stop and timer fire on replayed prints, in replay time, once each", async () => {
    const writes: ReplayWrite[] = [];
    const s = await scripted(writes);
    const events = writes.flatMap((w) => w.events);
    if (process.env.DEBUG_REPLAY) console.log(events.map((e) => `${(e.tsMs - T0) / 1000}s ${e.reason}`).join("\n"));
    expect(events.filter((e) => /^TP1 filled 1 @ 5001.25/.test(e.reason)).length).toBe(1);
    expect(events.filter((e) => /^stop 4999.50 hit/.test(e.reason)).length).toBe(1);
    // Every event is stamped in replay time, inside the tape.
    for (const e of events) expect(e.tsMs).toBeGreaterThanOrEqual(T0);
    for (const e of events) expect(e.tsMs).toBeLessThanOrEqual(T0 + 600_000);
    const closed = writes.flatMap((w) => w.closed);
    expect(closed.length).toBe(1);
    expect(closed[0]!.qty).toBe(3);
    // Long 3 @ 5000.25: 1 × +4 ticks, 2 × −3 ticks on MES ($1.25 a tick).
    expect(Number(closed[0]!.realized) / 1e9).toBe(1 * 4 * 1.25 - 2 * 3 * 1.25);
    const sum = s.summary();
    expect(sum.trades).toBe(1);
    expect(sum.exitReasons["take profit"]).toBeGreaterThanOrEqual(1);
    expect(sum.net).toBe(Number(closed[0]!.realized) / 1e9);
    expect(s.engine.position(ACCOUNT.id, "MES")?.qty ?? 0).toBe(0);
  });

  test("a stop that only trails is announced while the tape plays, not only with the next event", async () => {
    const s = newSession(tape);
    const stops: number[] = [];
    s.onChange((c) => {
      if (c.position.stop) stops.push(c.position.stop.price / 1e9);
    });
    s.setSpeed(60, 0);
    s.play(0);
    s.advance(1_000); // 60 s in, last print 5000
    await s.pause(1_000);
    const last = s.engine.lastPrice("MES")! / 1e9;
    await s.command(
      byTrader(
        order("buy", 1, last, {
          stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } },
        }),
      ),
    );
    // Trailing starts at once from the last print (R3.3).
    expect(stops.at(-1)).toBe(last - 2);
    s.play(1_000);
    // 26 ms of wall time at 60× reach 61.56 s: prints 5000.25 … 5001 ratchet the stop, nothing else happens.
    s.advance(1_026);
    expect(stops.at(-1)).toBe(4999);
  });

  test("two runs of the same session with the same commands give identical event logs", async () => {
    const a: ReplayWrite[] = [];
    const b: ReplayWrite[] = [];
    await scripted(a);
    await scripted(b);
    const log = (w: ReplayWrite[]) => w.flatMap((x) => x.events).map((e) => `${e.tsMs} ${e.kind} ${e.reason}`);
    expect(log(a).length).toBeGreaterThan(5);
    expect(log(a)).toEqual(log(b));
  });

  test("bars and ATR are built from the replayed prints; seeking back rebuilds them, only when flat", async () => {
    const s = newSession(tape);
    await s.seek(T0 + 20 * 60_000, 0);
    expect(s.minutes[0]!.length).toBe(20); // the print at 20:00 opened the 21st
    expect((await s.atr("MES", { method: "simple", period: 14, lookback: 390 })).available).toBe(true);
    await s.command(byTrader(order("sell", 1, s.engine.lastPrice("MES")! / 1e9)));
    await expect(s.seek(T0 + 5 * 60_000, 0)).rejects.toThrow(ReplayCommandError);
    await s.command(byTrader({ kind: "exit" }));
    await s.seek(T0 + 5 * 60_000, 0);
    expect(s.minutes[0]!.length).toBe(5);
    expect(s.player.nowMs).toBe(T0 + 5 * 60_000);
    expect((await s.atr("MES", { method: "simple", period: 14, lookback: 390 })).available).toBe(false);
  });

  test("a symbol the replay does not play is refused", async () => {
    const s = newSession(tape);
    await expect(s.command(byTrader(order("buy", 1, 6000), "ES"))).rejects.toThrow(/not in this replay/);
  });

  test("isolation: a replay has no way to the webhook, and the router keeps replay orders on paper", async () => {
    const webhook = {
      name: "webhook" as const,
      sent: 0,
      submit() {
        this.sent++;
      },
    };
    const paper = {
      name: "paper" as const,
      sent: 0,
      submit() {
        this.sent++;
      },
    };
    const router = new ExecutionRouter(paper, webhook);
    router.setRoute(ACCOUNT.id, "webhook");
    const writes: ReplayWrite[] = [];
    await scripted(writes);
    // The session filled its own orders: nothing went through any adapter.
    expect(webhook.sent + paper.sent).toBe(0);
    const replayOrder = {
      id: "x",
      accountId: ACCOUNT.id,
      accountKind: "replay" as const,
      symbol: "MES",
      side: "buy" as const,
      qty: 1,
      type: "market" as const,
      refPrice: 1,
      purpose: "entry" as const,
      reason: "",
      tsMs: 0,
    };
    expect(router.adapterFor(replayOrder).name).toBe("paper");
    router.submit(replayOrder);
    expect(webhook.sent).toBe(0);
  });
});

describe("replay end message", () => {
  test("money is written as everywhere else (was 'net $-20.00')", () => {
    expect(replayEndedText(3, { trades: 1, net: -20 })).toBe("replay 3 ended: 1 trade, net -$20.00");
    expect(replayEndedText(4, { trades: 2, net: 1234.5 })).toBe("replay 4 ended: 2 trades, net $1,234.50");
  });
});
