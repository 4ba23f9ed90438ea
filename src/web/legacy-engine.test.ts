import { findAccount } from "../persistence/repositories/accounts-repo";
import { describe, expect, test } from "bun:test";
import { startEngine } from "../app/engine-startup";
import * as repo from "../persistence/repositories/orders-repo";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, engineApiSuite, printAt, clientMesLong } from "./test-harness";

/** The original client's payloads now drive the server-side engine: its exits run here. */

const s = engineApiSuite();
const call = s.call;
async function print(symbol: string, price: number) {
  await printAt(s.h, symbol, price * 1e9);
}

describe(`original API → engine (${testDatabaseKind})`, () => {
  test("a bulk sync with a stop and TP levels: the engine fills TP1 on a print, then the stop; the original tables follow", async () => {
    await print("MES", 5012.25);
    const r = await call("POST", "/api/place_order", {
      active_orders: {
        MES: clientMesLong(3),
      },
      tp_levels: {
        MES: [
          { enabled: true, quantity: 1, target: 2, price: 5014.25, hit: false },
          { enabled: true, quantity: 1, target: 6, price: 5018.25, hit: false },
        ],
      },
    });
    expect(r.status).toBe(200);
    const p = s.h.ctx.engine.engine.position(1, "MES")!;
    expect([p.side, p.qty, p.stop?.price, p.ladder.map((l) => l.price)]).toEqual([
      "long",
      3,
      5009.25e9,
      [5014.25e9, 5018.25e9],
    ]);

    await print("MES", 5014.5);
    let g = (await call("GET", "/api/get_active_orders")).body;
    expect(g.active_orders.MES.quantity).toBe(2);
    expect(g.tp_levels.MES.map((l: any) => l.hit)).toEqual([true, false]);

    await print("MES", 5009);
    g = (await call("GET", "/api/get_active_orders")).body;
    expect(g.active_orders).toEqual({});
    const journal = await s.h.db.db.selectFrom("closed_trades").select(["qty", "realized"]).execute();
    // TP1 at its level 5014.25 (printed 5014.50): +2.00 × $5 = 10; stop: 2 × (5009 − 5012.25) × $5 = −32.50 → −22.50.
    expect(journal.map((j) => [j.qty, Number(j.realized)])).toEqual([[3, -22.5]]);
  });

  test("a single buy with a trailing stop is trailed by the engine; clear_trade makes the engine forget it", async () => {
    await print("MNQ", 21000);
    await call("POST", "/api/place_order", {
      ticker: "MNQ1!",
      action: "buy",
      orderType: "market",
      quantity: 2,
      entry_price: 21000,
      stopLoss: { type: "trailing_stop", trailAmount: 10 },
    });
    await print("MNQ", 21012.5);
    expect(s.h.ctx.engine.engine.position(1, "MNQ")!.stop!.price).toBe(21002.5e9);
    expect((await call("POST", "/api/clear_trade/MNQ")).status).toBe(200);
    expect(s.h.ctx.engine.engine.position(1, "MNQ")!.qty).toBe(0);
  });

  test("one position model (R9.1): a desk trade is listed by get_active_orders; its exit is an engine exit with a fill and a journal row", async () => {
    await print("MCL", 70);
    const r = await call("POST", "/api/v1/accounts/paper/positions/MCL/orders", {
      side: "buy",
      qty: 3,
      bracket: {
        stop: { kind: "fixed", initial: { unit: "ticks", value: 20 } },
        ladder: [{ qty: 1, target: { unit: "ticks", value: 10 } }],
      },
    });
    expect(r.status).toBe(200);
    await print("MCL", 70);
    let g = (await call("GET", "/api/get_active_orders")).body;
    expect(g.active_orders.MCL).toMatchObject({
      symbol: "MCL",
      action: "buy",
      quantity: 3,
      entry_price: 70,
      stop_loss: { type: "stop", stopPrice: 69.8 },
    });
    expect(g.tp_levels.MCL).toEqual([{ enabled: true, quantity: 1, target: 0.1, price: 70.1, hit: false }]);
    // Adding through the original API adds to the desk's trade (not a new 1-lot over it); its stop and ladder stay.
    await call("POST", "/api/place_order", { ticker: "MCL", action: "buy", quantity: 1, entry_price: 70 });
    await print("MCL", 70.02);
    const p = s.h.ctx.engine.engine.position(1, "MCL")!;
    expect([p.qty, p.stop?.price, p.ladder.length]).toEqual([4, 69.8e9, 1]);
    expect((await call("POST", "/api/place_order", { ticker: "MCL", action: "exit" })).status).toBe(200);
    await print("MCL", 70.02);
    g = (await call("GET", "/api/get_active_orders")).body;
    expect(g.active_orders.MCL).toBeUndefined();
    const j = (await call("GET", "/api/v1/journal?account=paper&symbol=MCL")).body;
    // 4 MCL ($100 a point) from 70.00 out at the last print 70.02: 4 × 0.02 × $100 = $8.
    expect(j.trades.map((t: any) => [t.qty, t.exit, t.net])).toEqual([[4, 70.02, 8]]);
    expect(j.trades[0].exitReasons.some((x: string) => x.startsWith("exit all by"))).toBe(true);
  });
});

describe(`start-up reconciliation (${testDatabaseKind})`, () => {
  test("a row the original API committed but the engine never followed (killed in between) is followed at start-up, and logged", async () => {
    const h2 = await createHarness();
    try {
      const user = await addUser(h2);
      const acct = (await findAccount(h2.db.db, user.id, "paper"))!;
      // What a SIGKILL between the table's commit and the engine sync leaves: a row the engine has not seen.
      await repo.upsertOrder(h2.db.db, acct.id, "MES", {
        action: "buy",
        quantity: 2,
        entryPrice: 5010_000_000_000n,
        timestamp: 1732400000,
        stopLoss: null,
      });
      const stop2 = await startEngine(h2.ctx, 0);
      try {
        expect(h2.ctx.engine.engine.position(acct.id, "MES")).toMatchObject({
          side: "long",
          qty: 2,
          cost: 2n * 5010_000_000_000n,
        });
        expect(h2.logs.lines.filter((l) => l.event === "legacy.reconciled").length).toBe(1);
      } finally {
        await stop2();
      }
      // A second start finds nothing to do.
      const stop3 = await startEngine(h2.ctx, 0);
      await stop3();
      expect(h2.logs.lines.filter((l) => l.event === "legacy.reconciled").length).toBe(1);
    } finally {
      await h2.close();
    }
  });
});
