import { describe, expect, test } from "bun:test";
import type { Actor } from "./types";
import { fillOnPrint, fillOnSubmit } from "../execution/fill-model";
import { TradingEngine } from "./engine";
import type { Command, Effect, EngineEvent, InstrumentSpec, OrderRequest, StopConfig } from "./types";

/**
 * The hard cases of docs/trading-rules.md, each a defect seen on the old engine: a jumped
 * stop-limit, an exit without a price, trailing that started late, take-profits filled at the
 * gap print, ladder edits after TP1, brackets dropped silently, edits fighting the trail.
 */
const px = (s: string) => Math.round(Number(s) * 1e9);
const SPECS: Record<string, InstrumentSpec & { decimals: number }> = {
  MES: { root: "MES", tick: px("0.25"), pointValue: 5_000_000_000n, decimals: 2 },
  CL: { root: "CL", tick: px("0.01"), pointValue: 1000_000_000_000n, decimals: 2 },
};
const trader: Actor = { kind: "user", label: "alice", userId: 1 };
const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);

/** An engine with paper fills by the shared fill model (as replay and the paper adapter do), or fills by hand. */
function desk(opts: { manual?: boolean } = {}) {
  const e = new TradingEngine((s) => SPECS[s]);
  e.setAccount({ id: 1, userId: 1, kind: "paper", commission: 0n });
  let t = T0;
  const submitted: OrderRequest[] = [];
  const cancelled: string[] = [];
  const events: EngineEvent[] = [];
  const resting: OrderRequest[] = [];
  const closedTrades: number[] = [];
  const run = (fx: Effect[]): Effect[] => {
    const queue = [...fx];
    for (let i = 0; i < queue.length; i++) {
      const f = queue[i]!;
      if (f.type === "event") events.push(f.event);
      if (f.type === "closed") closedTrades.push(f.trade.exit);
      if (f.type === "cancel") {
        cancelled.push(f.order.id);
        const k = resting.findIndex((o) => o.id === f.order.id);
        if (k >= 0) resting.splice(k, 1);
      }
      if (f.type !== "submit") continue;
      submitted.push(f.order);
      if (opts.manual) continue;
      const price = fillOnSubmit(f.order);
      if (price === undefined) resting.push(f.order);
      queue.push(
        ...e.step(
          price === undefined
            ? { type: "report", orderId: f.order.id, kind: "working", tsMs: t }
            : { type: "report", orderId: f.order.id, kind: "filled", qty: f.order.qty, price, tsMs: t },
        ),
      );
    }
    return fx;
  };
  const api = {
    e,
    submitted,
    cancelled,
    events,
    resting,
    closedTrades,
    cmd: (command: Command, symbol = "MES", expectedVersion?: number) =>
      run(e.step({ type: "command", accountId: 1, symbol, command, actor: trader, tsMs: t, expectedVersion })),
    print(price: string, symbol = "MES") {
      t += 1000;
      run(e.onTrade(symbol, px(price), t));
      for (const o of [...resting]) {
        const at = fillOnPrint(o, px(price));
        if (at === undefined || o.symbol !== symbol) continue;
        resting.splice(resting.indexOf(o), 1);
        run(e.step({ type: "report", orderId: o.id, kind: "filled", qty: o.qty, price: at, tsMs: t }));
      }
    },
    step: (x: Parameters<TradingEngine["step"]>[0]) => run(e.step(x)),
    report: (o: OrderRequest, price: string) =>
      run(
        e.step({
          type: "report",
          orderId: o.id,
          kind: "filled",
          qty: o.qty,
          price: px(price),
          tsMs: (t += 1),
          assumed: true,
        }),
      ),
    pos: (symbol = "MES") => e.position(1, symbol)!,
    texts: () => events.map((x) => x.reason),
    closedNet: () =>
      events
        .filter((x) => x.kind === "trade.closed")
        .map((x) => Number(BigInt(x.data.realized as string) - BigInt(x.data.commissions as string)) / 1e9),
    buy(
      qty: number,
      price: string,
      bracket?: Extract<Command, { kind: "order" }>["bracket"],
      side: "buy" | "sell" = "buy",
      symbol = "MES",
    ) {
      api.print(price, symbol);
      api.cmd({ kind: "order", side, qty, refPrice: px(price), bracket }, symbol);
    },
  };
  return api;
}

const ticks = (n: number) => ({ unit: "ticks" as const, value: n });
const stopLimit: StopConfig = { kind: "stop-limit", initial: ticks(8), limitOffsetTicks: 2 };

describe("a jumped stop-limit (R3.2, R4.1)", () => {
  test("rests as 'limit passed'; Exit all cancels it and exits at market at the next print", () => {
    const a = desk();
    a.buy(1, "5000.00", { stop: stopLimit });
    expect(a.pos().stop!.price).toBe(px("4998.00"));
    a.print("4997.00"); // through the stop and its limit (4997.50): the limit rests
    const stopOrder = a.submitted.at(-1)!;
    expect(stopOrder).toMatchObject({ purpose: "stop", type: "limit", limitPrice: px("4997.50") });
    expect(a.e.order(stopOrder.id)!.status).toBe("resting");
    expect(a.pos().qty).toBe(1);
    a.cmd({ kind: "exit" });
    expect(a.cancelled).toEqual([stopOrder.id]);
    expect(a.submitted.at(-1)).toMatchObject({ purpose: "exit", type: "market", qty: 1, refPrice: px("4997.00") });
    expect(a.pos().qty).toBe(0);
    expect(a.closedNet()).toEqual([-15]); // 5000 → 4997 = 3 points × $5
    expect(a.texts().some((r) => r.startsWith("stop-limit sell 1 limit 4997.50 cancelled"))).toBe(true);
    expect(a.events.find((x) => x.kind === "order.cancelled")!.data).toEqual({ orderId: stopOrder.id, qty: 1 });
    expect(a.events.find((x) => x.kind === "exit.filled")!.data).toMatchObject({
      qty: 1,
      price: px("4997.00"),
      pnl: String(-15n * 1_000_000_000n),
    });
  });

  test("convert to market: the same exit as a market order; a second Exit all is refused while it works", () => {
    const a = desk({ manual: true });
    a.buy(1, "5000.00", { stop: stopLimit });
    a.report(a.submitted.at(-1)!, "5000.00");
    a.print("4997.00");
    const stopOrder = a.submitted.at(-1)!;
    a.step({ type: "report", orderId: stopOrder.id, kind: "working", tsMs: T0 });
    a.cmd({ kind: "convert-to-market" });
    expect(a.submitted.at(-1)).toMatchObject({ purpose: "stop", type: "market", qty: 1 });
    expect(() => a.cmd({ kind: "exit" })).toThrow(/a market exit of MES is already working/);
    expect(() => a.cmd({ kind: "convert-to-market" })).toThrow(/no resting stop-limit/);
  });

  test("clear cancels the resting order, so it can never fill into a new position", () => {
    const a = desk();
    a.buy(1, "5000.00", { stop: stopLimit });
    a.print("4997.00");
    a.cmd({ kind: "clear" });
    expect(a.cancelled.length).toBe(1);
    a.print("4997.75");
    expect(a.pos().qty).toBe(0);
    expect(a.resting.length).toBe(0);
  });
});

describe("an exit without a price (R1.2)", () => {
  test("paper: Exit all is sent with no price, works until the next print and fills there", () => {
    const a = desk();
    a.cmd({ kind: "record", side: "long", qty: 2, entryPrice: px("5000.00") });
    expect(a.e.lastPrice("MES")).toBeUndefined();
    a.cmd({ kind: "exit" });
    expect(a.submitted.at(-1)).toMatchObject({ type: "market", qty: 2, refPrice: 0 });
    expect(a.pos().qty).toBe(2);
    expect(a.pos().closing).not.toBeNull();
    a.print("5001.00");
    expect(a.pos().qty).toBe(0);
    expect(a.closedNet()).toEqual([10]);
  });

  test("webhook: a 2xx with no price known is filled at the next print, marked assumed", () => {
    const a = desk({ manual: true });
    a.cmd({ kind: "record", side: "short", qty: 1, entryPrice: px("5000.00") });
    a.cmd({ kind: "exit" });
    const o = a.submitted.at(-1)!;
    a.step({ type: "report", orderId: o.id, kind: "filled", qty: 1, price: 0, tsMs: T0, assumed: true });
    expect(a.pos().qty).toBe(1);
    a.print("4999.00");
    expect(a.pos().qty).toBe(0);
    expect(a.closedNet()).toEqual([5]);
    expect(a.texts().some((r) => r.includes("sent (fill assumed) 1 @ 4999.00"))).toBe(true);
    expect(a.events.find((x) => x.kind === "exit.filled")!.data).toEqual({
      qty: 1,
      price: px("4999.00"),
      pnl: String(5n * 1_000_000_000n),
      assumed: true,
    });
  });
});

describe("trailing starts where it starts (R3.3, R3.4)", () => {
  test("trail after TP1: the stop moves at once from the print that filled TP1", () => {
    const a = desk();
    a.buy(2, "5000.00", {
      stop: { kind: "fixed", initial: { unit: "points", value: px("3") }, trailBy: ticks(8), trailAfterTp1: true },
      ladder: [{ enabled: true, qty: 1, target: ticks(6) }],
    });
    a.print("5001.50");
    expect(a.pos().qty).toBe(1);
    expect(a.pos().stop!.price).toBe(px("4999.50"));
    a.print("4999.00");
    expect(a.pos().qty).toBe(0);
    // TP1 +1.50 × $5 = $7.50; the rest exits at the print that hit 4999.50: −1 × $5.
    expect(a.closedNet()).toEqual([2.5]);
  });

  test("a trailing stop set with the trade trails from the last print at once", () => {
    const a = desk();
    a.buy(1, "5000.00");
    a.print("5002.00");
    a.cmd({
      kind: "set-stop",
      stop: {
        kind: "trailing",
        initial: { unit: "points", value: px("4") },
        trailBy: { unit: "points", value: px("1") },
      },
    });
    expect(a.pos().stop!.price).toBe(px("5001.00"));
  });
});

describe("take-profits fill at their level (R2.2)", () => {
  test("a CL gap through two levels fills each at its own price", () => {
    const a = desk();
    a.buy(
      2,
      "75.00",
      {
        ladder: [
          { enabled: true, qty: 1, target: { unit: "price", value: px("75.10") } },
          { enabled: true, qty: 1, target: { unit: "price", value: px("75.20") } },
        ],
      },
      "buy",
      "CL",
    );
    a.print("75.08", "CL");
    a.print("75.24", "CL");
    const exits = a.submitted.filter((o) => o.purpose === "tp");
    expect(exits.map((o) => [o.type, o.limitPrice])).toEqual([
      ["limit", px("75.10")],
      ["limit", px("75.20")],
    ]);
    expect(a.closedNet()).toEqual([300]); // 0.10 × $1000 + 0.20 × $1000 (not 2 × 0.24 × $1000 = $480)
  });
});

describe("ladder edits after TP1 (R2.1)", () => {
  test("a level is edited after TP1 of 3 filled: the filled level counts for nothing", () => {
    const a = desk();
    a.buy(3, "5000.00", { ladder: [1, 2, 3].map((n) => ({ enabled: true, qty: 1, target: ticks(4 * n) })) });
    a.print("5001.00");
    expect(a.pos().qty).toBe(2);
    a.cmd({ kind: "update-level", index: 1, patch: { target: ticks(10) } });
    expect(a.pos().ladder.map((l) => [l.status, l.price])).toEqual([
      ["filled", px("5001")],
      ["armed", px("5002.50")],
      ["armed", px("5003")],
    ]);
    expect(() => a.cmd({ kind: "update-level", index: 2, patch: { qty: 2 } })).toThrow(/exceed the position \(2\)/);
  });
});

describe("a bracket is all or nothing (R6.1, R5.4)", () => {
  test("buy 2 with a ladder of 3 × 1 is refused and nothing is sent", () => {
    const a = desk();
    a.print("5000.00");
    expect(() =>
      a.cmd({
        kind: "order",
        side: "buy",
        qty: 2,
        refPrice: px("5000"),
        bracket: { ladder: [1, 2, 3].map((n) => ({ enabled: true, qty: 1, target: ticks(4 * n) })) },
      }),
    ).toThrow(/take-profit quantities \(3\) exceed the 2 contracts/);
    expect(a.submitted.length).toBe(0);
    expect(a.e.position(1, "MES")?.qty ?? 0).toBe(0);
  });

  test("a timer reverse after TP1 carries its ladder, fitted to the quantity it reverses", () => {
    const a = desk();
    a.buy(3, "5000.00", {
      ladder: [1, 2, 3].map((n) => ({ enabled: true, qty: 1, target: ticks(4 * n) })),
      timer: { durationMs: 60_000, action: "reverse", mode: "regardless" },
    });
    a.print("5001.00"); // TP1
    a.step({ type: "clock", nowMs: T0 + 120_000 });
    a.print("5000.50"); // nothing pending: the clock already acted, this print is just a print
    expect(a.pos()).toMatchObject({ side: "short", qty: 2 });
    expect(a.pos().ladder.map((l) => l.qty)).toEqual([1, 1]);
  });
});

describe("version conflicts per intent (R8.1, R3.7)", () => {
  test("ratchets do not invalidate a ladder or timer edit; a stop edit keeps the ratchet; a real conflict is still refused", () => {
    const a = desk();
    a.buy(2, "5000.00", {
      stop: {
        kind: "trailing",
        initial: { unit: "points", value: px("2") },
        trailBy: { unit: "points", value: px("2") },
      },
    });
    const seen = a.pos().version;
    for (const p of ["5001.00", "5002.00", "5003.00"]) a.print(p);
    expect(a.pos().stop!.price).toBe(px("5001.00"));
    a.cmd({ kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: ticks(40) }] }, "MES", seen);
    a.cmd({ kind: "set-timer", timer: { durationMs: 600_000, action: "exit", mode: "regardless" } }, "MES", seen);
    // The stop form again (a breakeven switch turned on): the stop stays where it trailed to.
    a.cmd(
      {
        kind: "set-stop",
        stop: {
          kind: "trailing",
          initial: { unit: "points", value: px("2") },
          trailBy: { unit: "points", value: px("2") },
          breakevenAfterTp1: { offsetTicks: 1, thenTrail: false },
        },
      },
      "MES",
      seen,
    );
    expect(a.pos().stop!.price).toBe(px("5001.00"));
    // A ladder edit based on the version before the ladder changed is refused: it touches the same thing.
    expect(() => a.cmd({ kind: "set-ladder", levels: [] }, "MES", seen)).toThrow(
      /changed meanwhile \(the take-profits/,
    );
    // A new trail distance re-trails from the best print: 5003 − 1.
    a.cmd({
      kind: "set-stop",
      stop: {
        kind: "trailing",
        initial: { unit: "points", value: px("2") },
        trailBy: { unit: "points", value: px("1") },
      },
    });
    expect(a.pos().stop!.price).toBe(px("5002.00"));
  });
});

describe("feed outages (R7.1)", () => {
  test("down: each open position is unprotected, with an event; the first print brings it back and acts", () => {
    const a = desk();
    a.buy(1, "5000.00", { stop: { kind: "fixed", initial: ticks(8) } });
    a.step({ type: "feed", symbol: "MES", up: false, sinceMs: T0 + 5_000, tsMs: T0 + 65_000 });
    expect(a.e.feedDownSince("MES")).toBe(T0 + 5_000);
    expect(a.texts().at(-1)).toBe(
      "unprotected: no prices for MES since 09:00:05 CT — stops and take-profits cannot fire until prices return; exits are still sent",
    );
    a.step({ type: "feed", symbol: "MES", up: false, sinceMs: T0 + 9_000, tsMs: T0 + 70_000 });
    expect(a.events.filter((x) => x.kind === "feed.unprotected").length).toBe(1);
    a.print("4997.00");
    expect(a.e.feedDownSince("MES")).toBeUndefined();
    expect(a.events.some((x) => x.kind === "feed.protected")).toBe(true);
    // The stop acts on that first print.
    expect(a.pos().qty).toBe(0);
  });
});

describe("journal averages (issue: truncated average exit)", () => {
  test("the average exit is rounded to the nearest 1e-9, not truncated", () => {
    const a = desk();
    a.buy(3, "5000.00");
    for (const p of ["5002.25", "5002.00", "5002.25"]) {
      a.print(p);
      a.cmd({ kind: "exit", qty: a.pos().qty === 1 ? undefined : 1 });
    }
    // (5002.25 + 5002.00 + 5002.25) / 3 = 5002.1666…: 5002.166666667, not 5002.166666666.
    expect(a.closedTrades).toEqual([5002166666667]);
  });
});

describe("idempotency keys (a day, not a count)", () => {
  test("a retry after 40 newer keyed commands is still applied once; after a day the key is free again", () => {
    const a = desk();
    a.print("5000.00");
    const keyed = (key: string, tsMs: number) =>
      a.step({
        type: "command",
        accountId: 1,
        symbol: "MES",
        command: { kind: "order", side: "buy", qty: 1, refPrice: px("5000") },
        actor: trader,
        tsMs,
        idempotencyKey: key,
      });
    keyed("first", T0);
    for (let i = 0; i < 40; i++) keyed(`k${i}`, T0 + i);
    expect(a.pos().qty).toBe(41);
    keyed("first", T0 + 3_600_000);
    expect(a.pos().qty).toBe(41);
    keyed("first", T0 + 25 * 3_600_000);
    expect(a.pos().qty).toBe(42);
  });
});
