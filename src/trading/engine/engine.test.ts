import { describe, expect, test } from "bun:test";
import type { Actor } from "./types";
import { TradingEngine } from "./engine";
import type { ClosedTrade, Command, Effect, EngineEvent, InstrumentSpec, OrderRequest, StopConfig } from "./types";

/** Exact prices in 1e-9: px("5012.25") */
const px = (s: string) => {
  const [w, f = ""] = s.split(".");
  return Number(w) * 1e9 + Number(f.padEnd(9, "0"));
};
const SPECS: Record<string, InstrumentSpec & { decimals: number }> = {
  ES: { root: "ES", tick: px("0.25"), pointValue: 50_000_000_000n, decimals: 2 },
  MES: { root: "MES", tick: px("0.25"), pointValue: 5_000_000_000n, decimals: 2 },
  CL: { root: "CL", tick: px("0.01"), pointValue: 1000_000_000_000n, decimals: 2 },
};
const trader: Actor = { kind: "user", label: "alice (Chrome on Linux)", userId: 1 };
const T0 = 1_800_000_000_000;
const USD = 1_000_000_000n;

function setup(commission = 0n, opts: { deferRatchets?: boolean } = {}) {
  const e = new TradingEngine((s) => SPECS[s], opts);
  e.setAccount({ id: 1, userId: 1, kind: "paper", commission });
  let t = T0;
  const submitted: OrderRequest[] = [];
  const events: string[] = [];
  const closed: ClosedTrade[] = [];
  /** The events themselves: their numbers are in `data`. */
  const facts: EngineEvent[] = [];
  const collect = (fx: Effect[]) => {
    for (const f of fx) {
      if (f.type === "submit") submitted.push(f.order);
      if (f.type === "event") {
        events.push(f.event.reason);
        facts.push(f.event);
      }
      if (f.type === "closed") closed.push(f.trade);
    }
    return fx;
  };
  const api = {
    e,
    submitted,
    events,
    /** Trades closed so far, with their numbers (realized, commissions, averages, fills). */
    closed,
    facts,
    fact: (kind: string) => facts.findLast((x) => x.kind === kind)?.data,
    cmd: (command: Command, symbol = "ES", expectedVersion?: number) =>
      collect(e.step({ type: "command", accountId: 1, symbol, command, actor: trader, tsMs: t, expectedVersion })),
    print: (price: string, symbol = "ES") => collect(e.onTrade(symbol, px(price), (t += 100))),
    clock: (ms: number) => collect(e.step({ type: "clock", nowMs: (t = ms) })),
    fill: (o: OrderRequest, price?: string, qty = o.qty) =>
      collect(
        e.step({
          type: "report",
          orderId: o.id,
          kind: "filled",
          qty,
          price: price ? px(price) : (o.limitPrice ?? o.refPrice),
          tsMs: (t += 1),
        }),
      ),
    reject: (o: OrderRequest, reason = "broker said no") =>
      collect(e.step({ type: "report", orderId: o.id, kind: "rejected", reason, tsMs: (t += 1) })),
    last: () => submitted[submitted.length - 1]!,
    pos: (symbol = "ES") => e.position(1, symbol)!,
    now: () => t,
    /** Buy/sell at market and fill at the reference price. */
    open(
      side: "buy" | "sell",
      qty: number,
      price: string,
      symbol = "ES",
      bracket?: Extract<Command, { kind: "order" }>["bracket"],
    ) {
      api.print(price, symbol);
      api.cmd({ kind: "order", side, qty, refPrice: px(price), bracket }, symbol);
      api.fill(api.last());
    },
  };
  return api;
}

const pts = (v: string) => ({ unit: "points" as const, value: px(v) });
const fixedStop = (v: string): StopConfig => ({ kind: "fixed", initial: pts(v) });

describe("orders and positions", () => {
  test("a market buy fills, adds average the entry, and an opposite order nets (reduce, then reverse)", () => {
    const a = setup();
    a.open("buy", 2, "5000");
    expect(a.pos()).toMatchObject({ side: "long", qty: 2, cost: BigInt(px("5000")) * 2n });
    a.open("buy", 1, "5003");
    expect(a.pos().qty).toBe(3);
    expect(Number(a.pos().cost / 3n)).toBe(px("5001"));
    a.print("5010");
    a.cmd({ kind: "order", side: "sell", qty: 5, refPrice: px("5010") });
    a.fill(a.last());
    // 3 closed at +9 avg → 27 points × $50 = $1,350; then short 2 opened at 5010.
    expect(a.pos()).toMatchObject({ side: "short", qty: 2, cost: BigInt(px("5010")) * 2n });
    expect(a.closed).toHaveLength(1);
    expect(a.closed[0]).toMatchObject({
      side: "long",
      qty: 3,
      entry: px("5001"),
      exit: px("5010"),
      realized: 1350n * USD,
      commissions: 0n,
    });
    expect(a.events.some((r) => r.includes("trade closed: long 3, P&L $1,350.00 net"))).toBe(true);
    expect(a.events.at(-1)).toContain("opened short 2 @ 5010.00");
  });

  test("record by hand and clear send no order; bad quantities and off-grid prices are refused without change", () => {
    const a = setup();
    a.cmd({ kind: "record", side: "short", qty: 3, entryPrice: px("71.37") }, "CL");
    expect(a.submitted.length).toBe(0);
    expect(a.pos("CL")).toMatchObject({ side: "short", qty: 3 });
    const v = a.pos("CL").version;
    expect(() => a.cmd({ kind: "record", side: "long", qty: 1, entryPrice: px("71.37") }, "CL")).toThrow(
      /already has an open short/,
    );
    expect(() => a.cmd({ kind: "order", side: "buy", qty: 0, refPrice: px("71.37") }, "CL")).toThrow(/quantity/);
    expect(() =>
      a.cmd(
        { kind: "order", side: "buy", qty: 1, orderType: "limit", limitPrice: px("71.375"), refPrice: px("71.37") },
        "CL",
      ),
    ).toThrow(/tick grid/);
    expect(a.pos("CL").version).toBe(v);
    a.cmd({ kind: "clear" }, "CL");
    expect(a.pos("CL").qty).toBe(0);
    expect(a.events.at(-1)).toContain("trade cleared by hand");
  });

  test("a resting entry limit can be cancelled by hand (R1.6); a TP's or a stop's order cannot, a gone one is 404", () => {
    const a = setup();
    a.print("5000");
    a.cmd({ kind: "order", side: "buy", qty: 2, orderType: "limit", limitPrice: px("4990"), refPrice: px("5000") });
    const entry = a.last();
    a.e.step({ type: "report", orderId: entry.id, kind: "working", tsMs: a.now() + 1 });
    const fx = a.cmd({ kind: "cancel-order", orderId: entry.id });
    expect(fx.some((f) => f.type === "cancel" && f.order.id === entry.id)).toBe(true);
    expect(a.events.at(-1)).toBe("entry buy 2 limit 4990.00 cancelled (cancelled by alice (Chrome on Linux))");
    expect(a.fact("order.cancelled")).toMatchObject({ orderId: entry.id, qty: 2 });
    // Gone: a print through the old limit fills nothing.
    a.print("4989");
    expect(a.pos().qty).toBe(0);
    expect(() => a.cmd({ kind: "cancel-order", orderId: entry.id })).toThrow(/no working order/);
    // An exit's order belongs to its rule.
    a.open("buy", 1, "5000", "ES", { ladder: [{ enabled: true, qty: 1, target: pts("2") }] });
    a.print("5002");
    const tp = a.last();
    expect(tp.purpose).toBe("tp");
    const v = a.pos().version;
    expect(() => a.cmd({ kind: "cancel-order", orderId: tp.id })).toThrow(/managed by its rule/);
    expect(a.pos().version).toBe(v);
  });

  test("a stale edit gets 409 with the current state", () => {
    const a = setup();
    a.open("buy", 2, "5000");
    const v = a.pos().version;
    a.cmd({ kind: "set-stop", stop: fixedStop("4") }, "ES", v);
    expect(() => a.cmd({ kind: "set-stop", stop: fixedStop("5") }, "ES", v)).toThrow(/changed meanwhile/);
  });
});

describe("take-profit ladder", () => {
  test("levels in points, ticks and price land on the grid on the profit side; a print through fires each once; fills are recorded", () => {
    const a = setup();
    a.open("buy", 4, "5000");
    a.cmd({
      kind: "set-ladder",
      levels: [
        { enabled: true, qty: 1, target: pts("2.1") },
        { enabled: true, qty: 1, target: { unit: "ticks", value: 12 } },
        { enabled: true, qty: 2, target: { unit: "price", value: px("5010") } },
      ],
    });
    // 2.1 points is not on the 0.25 grid: rounded away from the entry (at least what was asked).
    expect(a.pos().ladder.map((l) => l.price)).toEqual([px("5002.25"), px("5003"), px("5010")]);
    a.print("5002");
    expect(a.submitted.length).toBe(1);
    a.print("5003.5"); // through TP1 and TP2 at once
    const [tp1, tp2] = a.submitted.slice(1);
    expect([tp1!.qty, tp1!.side, tp1!.purpose, tp2!.qty]).toEqual([1, "sell", "tp", 1]);
    expect(a.pos().ladder.map((l) => l.status)).toEqual(["pending", "pending", "armed"]);
    a.print("5004"); // pending levels never fire twice
    expect(a.submitted.length).toBe(3);
    a.fill(tp1!, "5003.5");
    a.fill(tp2!, "5003.5");
    a.fill(tp2!, "5003.5"); // a duplicate report changes nothing
    expect(a.pos().qty).toBe(2);
    expect(a.pos().ladder.map((l) => l.status)).toEqual(["filled", "filled", "armed"]);
    expect(a.events.some((r) => r === "TP1 filled 1 @ 5003.50 (P&L $175.00)")).toBe(true);
    // 3.5 points × $50 for each of TP1 and TP2.
    expect(
      a
        .pos()
        .fills.filter((f) => f.purpose === "tp")
        .map((f) => [f.qty, f.price, f.pnl]),
    ).toEqual([
      [1, px("5003.5"), 175n * USD],
      [1, px("5003.5"), 175n * USD],
    ]);
    expect(a.pos().realized).toBe(350n * USD);
    a.print("5010");
    a.fill(a.last());
    expect(a.pos().qty).toBe(0);
    // 175 + 175 + 2 × 10 points × $50.
    expect(a.closed[0]).toMatchObject({ qty: 4, entry: px("5000"), realized: 1350n * USD, commissions: 0n });
    expect(a.closed[0]!.fills.at(-1)).toMatchObject({ qty: 2, price: px("5010"), pnl: 1000n * USD });
    expect(a.events.some((r) => r.startsWith("trade closed: long 4, P&L $1,350.00 net"))).toBe(true);
  });

  test("levels keep their numbers through edits and re-sorting; a new level takes the next (R2.5)", () => {
    const a = setup();
    const tp = (points: string, n?: number) => ({ enabled: true, qty: 1, target: pts(points), ...(n ? { n } : {}) });
    a.open("buy", 3, "5000", "ES", { ladder: [tp("6"), tp("2"), tp("4")] });
    const nums = () => a.pos().ladder.map((l) => `TP${l.n}@${l.price / 1e9}`);
    // A new trade's levels are numbered nearest first.
    expect(nums()).toEqual(["TP1@5002", "TP2@5004", "TP3@5006"]);
    // TP1 removed, TP3 moved nearer than TP2: TP2 and TP3 keep their numbers, in price order.
    a.cmd({ kind: "set-ladder", levels: [tp("4", 2), tp("3", 3)] });
    expect(nums()).toEqual(["TP3@5003", "TP2@5004"]);
    expect(a.events.at(-1)).toBe("take-profit ladder: TP3 1@5003.00, TP2 1@5004.00");
    // A level added takes the next number; its fill is announced by its own number.
    a.cmd({ kind: "set-ladder", levels: [tp("4", 2), tp("3", 3), tp("8")] });
    expect(nums()).toEqual(["TP3@5003", "TP2@5004", "TP4@5008"]);
    a.print("5003");
    a.fill(a.last());
    expect(a.events.some((r) => r.startsWith("TP3 filled 1 @ 5003.00"))).toBe(true);
    // One level patched by its place: the numbers stay.
    a.cmd({ kind: "update-level", index: 2, patch: { target: pts("5") } });
    expect(nums()).toEqual(["TP3@5003", "TP2@5004", "TP4@5005"]);
    // A number asked for twice: the second gets a new one.
    a.cmd({ kind: "set-ladder", levels: [tp("4", 2), tp("5", 2)] });
    expect(nums()).toEqual(["TP3@5003", "TP2@5004", "TP4@5005"]);
  });

  test("a short mirrors the ladder below the entry; wrong side, off grid and too many contracts are refused", () => {
    const a = setup();
    a.open("sell", 2, "5000");
    a.cmd({
      kind: "set-ladder",
      levels: [
        { enabled: true, qty: 1, target: pts("4") },
        { enabled: false, qty: 5, target: pts("8") },
      ],
    });
    expect(a.pos().ladder.map((l) => l.price)).toEqual([px("4996"), px("4992")]);
    expect(() => a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 3, target: pts("4") }] })).toThrow(
      /exceed the position \(2\)/,
    );
    expect(() =>
      a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: { unit: "price", value: px("5001") } }] }),
    ).toThrow(/profit side/);
    expect(() =>
      a.cmd({
        kind: "set-ladder",
        levels: [{ enabled: true, qty: 1, target: { unit: "price", value: px("4990.1") } }],
      }),
    ).toThrow(/tick grid/);
    a.print("4996");
    expect(a.last()).toMatchObject({ side: "buy", qty: 1, purpose: "tp" });
  });

  test("a rejected exit is armed again and retried; after three failures it is surfaced, never marked filled", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: pts("2") }] });
    for (let i = 1; i <= 3; i++) {
      a.print("5002");
      expect(a.submitted.length).toBe(1 + i);
      // Each attempt is an order of its own id (a retried key is never reused).
      expect(a.last().id).toBe(`1:ES:t1:tp1:o${1 + i}`);
      a.reject(a.last());
    }
    expect(a.pos().ladder[0]!.status).toBe("failed");
    expect(a.events.at(-1)).toContain("TP1 exit rejected 3×: broker said no — position still open");
    expect(a.pos().ladder[0]).toMatchObject({ attempts: 3, filledQty: 0, lastError: "broker said no" });
    a.print("5003");
    expect(a.submitted.length).toBe(4);
    expect(a.pos().qty).toBe(1);
  });
});

describe("stops", () => {
  test("a fixed stop exits what no TP is already exiting, cancels the rest of the ladder, and the P&L is exact", () => {
    const a = setup(1_250_000_000n); // $1.25 per contract per side
    a.open("buy", 3, "5000");
    a.cmd({ kind: "set-stop", stop: fixedStop("4") });
    a.cmd({
      kind: "set-ladder",
      levels: [
        { enabled: true, qty: 1, target: pts("1") },
        { enabled: true, qty: 1, target: pts("3") },
      ],
    });
    a.print("5001");
    const tp1 = a.last();
    a.print("4996");
    const stop = a.last();
    expect(stop).toMatchObject({ purpose: "stop", qty: 2, side: "sell" });
    expect(a.pos().ladder.map((l) => l.status)).toEqual(["pending", "cancelled"]);
    a.print("4990"); // no second exit while one is under way
    expect(a.submitted.at(-1)).toBe(stop);
    a.fill(tp1, "5001");
    a.fill(stop, "4995.75");
    // +1 × 50 − 2 × 4.25 × 50 = 50 − 425 = −375; commission 6 × 1.25 = 7.50.
    expect(a.closed[0]).toMatchObject({
      qty: 3,
      entry: px("5000"),
      exit: px("4997.5"), // (5001 + 2 × 4995.75) / 3
      realized: -375n * USD,
      commissions: 7_500_000_000n,
    });
    expect(a.closed[0]!.fills.filter((f) => f.closes).map((f) => [f.purpose, f.qty, f.price, f.pnl])).toEqual([
      ["tp", 1, px("5001"), 50n * USD],
      ["stop", 2, px("4995.75"), -425n * USD],
    ]);
    expect(a.events.find((r) => r.startsWith("trade closed"))).toBe(
      "trade closed: long 3, P&L -$382.50 net (-$375.00 gross, $7.50 commission)",
    );
  });

  test("trailing ratchets only in the trade's favour, on prints", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    a.cmd({ kind: "set-stop", stop: { kind: "trailing", initial: pts("5"), trailBy: pts("5") } });
    expect(a.pos().stop!.price).toBe(px("4995"));
    a.print("5003");
    expect(a.pos().stop!.price).toBe(px("4998"));
    a.print("5001");
    expect(a.pos().stop!.price).toBe(px("4998"));
    a.print("5010.25");
    expect(a.pos().stop!.price).toBe(px("5005.25"));
    a.print("5005.25");
    expect(a.last()).toMatchObject({ purpose: "stop", qty: 1 });
  });

  test("a replay engine (deferRatchets) moves the stop on the print and announces it once, when asked", () => {
    const a = setup(0n, { deferRatchets: true });
    a.open("buy", 1, "5000");
    a.open("sell", 1, "5000", "MES");
    a.cmd({ kind: "set-stop", stop: { kind: "trailing", initial: pts("5"), trailBy: pts("5") } });
    a.cmd({ kind: "set-stop", stop: { kind: "trailing", initial: pts("5"), trailBy: pts("5") } }, "MES");
    const v = a.pos().version;
    expect(a.print("5003")).toEqual([]);
    expect(a.print("5004")).toEqual([]);
    expect(a.pos().stop!.price).toBe(px("4999"));
    expect(a.pos().version).toBe(v);
    const changed = a.e.announceRatchets().filter((f) => f.type === "changed");
    expect(changed.map((f) => f.type === "changed" && f.key)).toEqual(["1:ES"]);
    expect(a.pos().version).toBe(v + 1);
    expect(a.e.announceRatchets()).toEqual([]);
    // A ratchet followed by another change of the same position is announced by that change, not twice.
    a.print("4990", "MES");
    a.print("5006");
    a.cmd({ kind: "move-stop", price: px("5000") });
    expect(a.e.announceRatchets().map((f) => f.type === "changed" && f.key)).toEqual(["1:MES"]);
    // The stop still fires on the print that reaches it.
    a.print("5000");
    expect(a.last()).toMatchObject({ purpose: "stop", qty: 1, side: "sell" });
  });

  test("breakeven after TP1 (entry + 1 tick) then trail; the short side mirrors", () => {
    const a = setup();
    a.open("sell", 2, "5000");
    a.cmd({
      kind: "set-stop",
      stop: {
        kind: "fixed",
        initial: pts("4"),
        trailBy: pts("2"),
        breakevenAfterTp1: { offsetTicks: 1, thenTrail: true },
      },
    });
    a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: pts("3") }] });
    a.print("4997");
    a.fill(a.last(), "4997");
    // Breakeven first, then trailing starts at once from the print that filled TP1: 4997 + 2 (R3.4, R3.5).
    expect(a.events.some((r) => r === "TP1 filled → stop to breakeven: 5004.00 → 4999.75")).toBe(true);
    expect(a.fact("stop.breakeven")).toEqual({ from: px("5004"), to: px("4999.75") });
    expect(a.fact("tp.filled")).toMatchObject({ level: 1, qty: 1, price: px("4997"), pnl: String(150n * USD) });
    expect(a.events.at(-1)).toBe("trailing 2 pts from 4997.00: stop 4999.75 → 4999.00");
    expect(a.pos().stop!.price).toBe(px("4999"));
    a.print("4995");
    expect(a.pos().stop!.price).toBe(px("4997"));
    a.print("4996");
    expect(a.pos().stop!.price).toBe(px("4997"));
  });

  test("an ATR stop is rounded to the tick, and refused with the reason when ATR is unavailable", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    expect(() =>
      a.cmd({
        kind: "set-stop",
        stop: { kind: "fixed", initial: { unit: "atr", multiplier: 2 } },
        atr: { unavailable: "ATR(14) needs 15 one-minute bars, 3 available" },
      }),
    ).toThrow(/ATR is unavailable \(ATR\(14\) needs 15/);
    expect(a.pos().stop).toBeNull();
    a.cmd({
      kind: "set-stop",
      stop: { kind: "fixed", initial: { unit: "atr", multiplier: 1.5 } },
      atr: { value: px("1.37") },
    });
    // 1.5 × 1.37 = 2.055 → 2.25 (whole ticks, at least the distance asked).
    expect(a.pos().stop!.price).toBe(px("4997.75"));
  });

  test("a stop-limit exits with a limit order offset by ticks", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    a.cmd({ kind: "set-stop", stop: { kind: "stop-limit", initial: pts("2"), limitOffsetTicks: 2 } });
    a.print("4998");
    expect(a.last()).toMatchObject({ type: "limit", limitPrice: px("4997.5"), purpose: "stop" });
  });
});

describe("trade timer", () => {
  test("expiry not in profit exits; the deadline is the entry time + duration", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    a.cmd({ kind: "set-timer", timer: { durationMs: 300_000, action: "exit", mode: "unless-profit" } });
    a.print("4999.75");
    a.clock(a.pos().openedAtMs + 299_999);
    expect(a.submitted.length).toBe(1);
    a.clock(a.pos().openedAtMs + 300_000);
    expect(a.last()).toMatchObject({ purpose: "timer", qty: 1 });
    expect(a.events.some((r) => r.startsWith("timer 5:00 expired, not in profit → exit"))).toBe(true);
    expect(a.fact("timer.triggered")).toMatchObject({ qty: 1, print: px("4999.75") });
  });

  test("in profit at expiry it waits, then acts when price falls back to the entry", () => {
    const a = setup();
    a.open("buy", 1, "5000");
    a.cmd({ kind: "set-timer", timer: { durationMs: 60_000, action: "exit", mode: "unless-profit" } });
    a.print("5002");
    a.clock(a.pos().openedAtMs + 60_000);
    expect(a.submitted.length).toBe(1);
    a.print("5000.25");
    expect(a.submitted.length).toBe(1);
    a.print("5000");
    expect(a.last()).toMatchObject({ purpose: "timer" });
  });

  test("reverse: exit, then the opposite side with the same bracket, mirrored", () => {
    const a = setup();
    a.open("buy", 2, "5000", "ES", {
      stop: fixedStop("4"),
      ladder: [{ enabled: true, qty: 1, target: pts("2") }],
      timer: { durationMs: 60_000, action: "reverse", mode: "regardless" },
    });
    expect(a.pos().stop!.price).toBe(px("4996"));
    a.print("5001");
    a.clock(a.pos().openedAtMs + 60_000);
    const exit = a.last();
    expect(exit).toMatchObject({ purpose: "timer", side: "sell", qty: 2 });
    a.fill(exit, "5001");
    const rev = a.last();
    expect(rev).toMatchObject({ purpose: "reverse", side: "sell", qty: 2 });
    a.fill(rev, "5001");
    expect(a.pos()).toMatchObject({ side: "short", qty: 2 });
    expect(a.pos().stop!.price).toBe(px("5005"));
    expect(a.pos().ladder[0]!.price).toBe(px("4999"));
    expect(a.pos().timer).toMatchObject({ phase: "running", action: "reverse" });
  });
});

describe("determinism", () => {
  test("a snapshot restored into a new engine continues exactly as the original", () => {
    const a = setup();
    a.open("buy", 2, "5000");
    a.cmd({ kind: "set-stop", stop: { kind: "trailing", initial: pts("3"), trailBy: pts("3") } });
    a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: pts("5") }] });
    a.print("5002");
    const b = new TradingEngine((s) => SPECS[s]);
    b.setAccount({ id: 1, userId: 1, kind: "paper", commission: 0n });
    b.restore(a.e.snapshot());
    b.onTrade("ES", px("5002"), a.now());
    for (const p of ["5004", "5005", "5001", "5002.75"]) {
      const x = a.print(p);
      const y = b.onTrade("ES", px(p), a.now());
      expect(JSON.stringify(y, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).toBe(
        JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
    }
  });
});
