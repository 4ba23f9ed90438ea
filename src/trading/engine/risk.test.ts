import { describe, expect, test } from "bun:test";
import { instrumentByRoot } from "../../market-data/instruments/catalogue";
import { fromExchangeTime, GLOBEX_CALENDAR } from "../../market-data/instruments/trading-hours";
import { TradingEngine } from "./engine";
import { engineSpec } from "./spec";
import {
  type Actor,
  type Command,
  type Effect,
  EngineError,
  type EngineEvent,
  type OrderRequest,
  type RiskLimits,
} from "./types";

const px = (s: string) => Math.round(Number(s) * 1e9);
const USD = 1_000_000_000n;
const trader: Actor = { kind: "user", label: "alice", userId: 1 };
/** Tuesday 2 Dec 2025, 10:00 CT: the market is open; the trading day ends at 17:00 CT. */
const T0 = fromExchangeTime(2025, 12, 2, 10);

function setup(risk: RiskLimits, commission = 0n) {
  const e = new TradingEngine(
    (s) => {
      const i = instrumentByRoot(s);
      return i ? engineSpec(i) : undefined;
    },
    { calendar: GLOBEX_CALENDAR },
  );
  e.setAccount({ id: 1, userId: 1, kind: "paper", commission, risk });
  let t = T0;
  const submitted: OrderRequest[] = [];
  const events: EngineEvent[] = [];
  const effects: Effect[] = [];
  const collect = (fx: Effect[]) => {
    for (const f of fx) {
      effects.push(f);
      if (f.type === "submit") submitted.push(f.order);
      if (f.type === "event") events.push(f.event);
    }
    return fx;
  };
  const api = {
    e,
    submitted,
    events,
    effects,
    at: (ms: number) => (t = ms),
    cmd: (command: Command, symbol: string) =>
      collect(e.step({ type: "command", accountId: 1, symbol, command, actor: trader, tsMs: t })),
    print: (price: string, symbol: string) => collect(e.onTrade(symbol, px(price), (t += 100))),
    clock: (ms: number) => collect(e.step({ type: "clock", nowMs: (t = ms) })),
    account: (action: "kill" | "resume") =>
      collect(e.step({ type: "account", accountId: 1, action, actor: trader, tsMs: t })),
    fill: (o: OrderRequest, price?: string) =>
      collect(
        e.step({
          type: "report",
          orderId: o.id,
          kind: "filled",
          qty: o.qty,
          price: price ? px(price) : (o.limitPrice ?? o.refPrice),
          tsMs: (t += 1),
        }),
      ),
    order: (side: "buy" | "sell", qty: number, symbol: string, price: string) =>
      api.cmd({ kind: "order", side, qty, refPrice: px(price) }, symbol),
    /** A market order at `price`, filled there. */
    open(side: "buy" | "sell", qty: number, symbol: string, price: string) {
      api.print(price, symbol);
      api.order(side, qty, symbol, price);
      api.fill(submitted[submitted.length - 1]!);
    },
    /** The exits the last step sent, filled at their reference price. */
    fillAll(from: number) {
      for (const o of submitted.slice(from)) if (e.order(o.id)) api.fill(o);
    },
    qty: (symbol: string) => e.position(1, symbol)?.qty ?? 0,
    day: () => e.day(1, t),
  };
  return api;
}

/** The refusal a command throws: a risk limit's, 409, with the engine's sentence. */
function refusal(run: () => unknown): EngineError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    const e = err as EngineError;
    expect(e.status).toBe(409);
    expect(e.code).toBe("risk_limit");
    return e;
  }
  throw new Error("the command was not refused");
}

describe("risk limits (R10)", () => {
  test("maximum order: counted in micros (ES is 10 MES); refused with nothing changed; what only reduces passes", () => {
    const r = setup({ maxOrder: 20 });
    r.print("5000", "MES");
    expect(refusal(() => r.order("buy", 21, "MES", "5000")).message).toContain("21 MES");
    expect(refusal(() => r.order("buy", 3, "ES", "5000")).message).toContain("3 ES (30 micro-equivalent)");
    expect(r.submitted).toHaveLength(0);
    expect(r.e.position(1, "ES")).toBeUndefined();
    r.open("buy", 20, "MES", "5000");
    r.open("buy", 2, "ES", "5000");
    expect([r.qty("MES"), r.qty("ES")]).toEqual([20, 2]);
    // Selling all 20 only reduces; 41 would open 21 short.
    refusal(() => r.order("sell", 41, "MES", "5000"));
    r.open("sell", 20, "MES", "5000");
    expect(r.qty("MES")).toBe(0);
  });

  test("maximum position: a mini and its micro netted, working entries counted, reducing always allowed", () => {
    const r = setup({ maxPosition: 25 });
    r.open("buy", 2, "ES", "5000"); // 20
    r.open("buy", 5, "MES", "5000"); // 25
    const e = refusal(() => r.order("buy", 1, "MES", "5000"));
    expect(e.message).toContain("ES position 26 contracts");
    // Another product has its own allowance.
    r.open("buy", 2, "NQ", "21000");
    expect(r.qty("NQ")).toBe(2);
    // Reducing passes, and frees room again.
    r.open("sell", 1, "ES", "5000");
    expect(r.qty("ES")).toBe(1);
    // A resting limit entry counts while it works: 15 + 10 = 25, then nothing more.
    r.cmd(
      { kind: "order", side: "buy", qty: 10, orderType: "limit", limitPrice: px("4990"), refPrice: px("5000") },
      "MES",
    );
    refusal(() => r.order("buy", 1, "MES", "5000"));
    // Short across the pair: from +25 a sell of 60 MES would leave −35.
    refusal(() => r.order("sell", 60, "MES", "5000"));
  });

  test("daily loss: the print that reaches the limit flattens every position and locks entries until the next session", () => {
    const r = setup({ dailyLoss: 500n * USD });
    r.open("buy", 2, "MES", "5000");
    r.print("4950.25", "MES"); // −$497.50
    expect(r.events.some((x) => x.kind === "risk.locked")).toBe(false);
    const from = r.submitted.length;
    r.print("4950", "MES"); // −$500.00
    const locked = r.events.find((x) => x.kind === "risk.locked")!;
    expect(locked.reason).toContain("daily loss limit $500.00 reached (day -$500.00");
    expect(locked.symbol).toBe("");
    const exit = r.submitted[from]!;
    expect(exit).toMatchObject({ purpose: "risk", side: "sell", qty: 2, type: "market" });
    r.fill(exit, "4949.75");
    expect(r.qty("MES")).toBe(0);
    expect(r.day().realized).toBe((-5025n * USD) / 10n); // 2 × 50.25 points × $5
    expect(r.day().lock?.kind).toBe("loss");
    // New entries are refused, in every product; the lock cannot be lifted early.
    expect(refusal(() => r.order("buy", 1, "ES", "5000")).message).toContain(
      "new entries are locked until 17:00:00 CT",
    );
    expect(refusal(() => r.account("resume")).message).toContain("cannot be lifted early");
    // The next session: a new day at zero, unlocked.
    r.clock(fromExchangeTime(2025, 12, 2, 17, 1));
    expect(r.day()).toMatchObject({ realized: 0n, lock: null });
    r.open("buy", 1, "MES", "4950");
    expect(r.qty("MES")).toBe(1);
  });

  test("daily loss counts the day's realized P&L net of commissions plus every open position", () => {
    const r = setup({ dailyLoss: 300n * USD }, 1n * USD);
    r.open("buy", 1, "ES", "5000");
    r.open("sell", 1, "ES", "4996"); // −4 points × $50 = −$200, −$2 commissions
    expect(r.day().realized).toBe(-202n * USD);
    r.open("buy", 1, "MES", "5000"); // −$1 commission: −$203
    r.open("buy", 1, "NQ", "21000");
    r.print("4992", "MES"); // −$40: −$244
    // The clock brings each position's loss price up to date with the others' last prints.
    r.clock(r.at(r.day().untilMs - 3_600_000));
    r.print("20997.5", "NQ"); // −$50: −$294
    expect(r.day().lock).toBeNull();
    r.print("20997.25", "NQ"); // −$55: −$299
    expect(r.day().lock).toBeNull();
    r.print("20997", "NQ"); // −$60: −$304, on the print
    expect(r.day().lock?.kind).toBe("loss");
    expect(
      r.submitted
        .filter((o) => o.purpose === "risk")
        .map((o) => o.symbol)
        .sort(),
    ).toEqual(["MES", "NQ"]);
  });

  test("a loss made in another symbol is caught on the clock", () => {
    const r = setup({ dailyLoss: 100n * USD });
    r.open("buy", 1, "MES", "5000");
    r.open("buy", 1, "ES", "5000");
    r.print("4999", "ES"); // −$50
    r.print("4991.25", "MES"); // −$43.75: −$93.75
    // ES's loss price (4998) was set while MES stood at 5000: this print is past the limit
    // (−$62.50 −$43.75 = −$106.25) but not past ES's own band; the next clock tick sees it.
    r.print("4998.75", "ES");
    expect(r.day().lock).toBeNull();
    r.clock(r.at(r.day().untilMs - 3_600_000));
    expect(r.day().lock?.kind).toBe("loss");
  });

  test("kill switch: flattens every position and cancels resting entries; resume lifts it", () => {
    const r = setup({});
    r.open("buy", 2, "MES", "5000");
    r.open("sell", 1, "ES", "5000");
    r.cmd(
      { kind: "order", side: "buy", qty: 1, orderType: "limit", limitPrice: px("21000"), refPrice: px("21010") },
      "NQ",
    );
    r.e.step({ type: "report", orderId: r.submitted.at(-1)!.id, kind: "working", tsMs: r.at(T0 + 10_000) });
    const from = r.submitted.length;
    r.account("kill");
    const exits = r.submitted.slice(from);
    expect(exits.map((o) => [o.symbol, o.side, o.qty, o.purpose])).toEqual([
      ["MES", "sell", 2, "risk"],
      ["ES", "buy", 1, "risk"],
    ]);
    expect(r.effects.some((f) => f.type === "cancel" && f.order.symbol === "NQ")).toBe(true);
    expect(r.events.filter((x) => x.kind === "risk.locked")).toHaveLength(1);
    r.fillAll(from);
    expect([r.qty("MES"), r.qty("ES")]).toEqual([0, 0]);
    expect(refusal(() => r.order("buy", 1, "MES", "5000")).message).toContain("kill switch by alice");
    // Exits still work while locked (nothing to exit here: a reducing order is not an entry).
    r.account("resume");
    expect(r.day().lock).toBeNull();
    expect(r.events.at(-1)?.kind).toBe("risk.resumed");
    r.open("buy", 1, "MES", "5000");
    expect(r.qty("MES")).toBe(1);
  });

  test("flatten before the daily close: positions exit N minutes before 16:00 CT and entries wait for the next session", () => {
    const r = setup({ flattenBeforeCloseMin: 5 });
    r.open("buy", 1, "MES", "5000");
    r.clock(fromExchangeTime(2025, 12, 2, 15, 54));
    expect(r.submitted.filter((o) => o.purpose === "risk")).toHaveLength(0);
    r.clock(fromExchangeTime(2025, 12, 2, 15, 55));
    const exit = r.submitted.find((o) => o.purpose === "risk")!;
    expect(exit.reason).toContain("5 min before the daily close (16:00:00 CT)");
    r.fill(exit);
    expect(refusal(() => r.order("buy", 1, "MES", "5000")).message).toContain("flattens 5 min before the daily close");
    r.clock(fromExchangeTime(2025, 12, 2, 17, 0));
    r.open("buy", 1, "MES", "5000");
    expect(r.qty("MES")).toBe(1);
  });

  test("the day and its lock survive a snapshot and restore (a restart, a failover)", () => {
    const r = setup({ dailyLoss: 50n * USD });
    r.open("buy", 1, "MES", "5000");
    r.print("4990", "MES");
    r.fillAll(0);
    const snap = r.e.snapshot();
    const again = setup({ dailyLoss: 50n * USD });
    again.at(r.day().untilMs - 60_000);
    again.e.restore(snap);
    expect(again.day()).toMatchObject({ realized: -50n * USD, lock: { kind: "loss" } });
    refusal(() => again.order("buy", 1, "MES", "4990"));
  });

  test("no limits set: nothing is refused and nothing is flattened", () => {
    const r = setup({});
    r.open("buy", 10_000, "MES", "5000");
    r.print("1000", "MES");
    r.clock(fromExchangeTime(2025, 12, 2, 15, 59));
    expect(r.submitted.filter((o) => o.purpose === "risk")).toHaveLength(0);
    expect(r.day().lock).toBeNull();
  });
});
