import { beforeEach, describe, expect, test } from "bun:test";
import { CATALOGUE } from "../market-data/instruments/catalogue";
import { testDatabaseKind } from "../persistence/test-database";
import { formatFixed } from "../shared/fixed-point";
import { engineApiSuite } from "./test-harness";

// What a request of the original API costs in database round trips (issue: reads went to SQL,
// a single order took 5 transactions, the client's bulk sync 81, a TP edit 5).

const s = engineApiSuite();
const call = s.call;

/** The client's whole state: 20 open trades × 3 levels; `bump` changes one symbol's quantity. */
function fullState(bump?: string) {
  const active_orders: Record<string, unknown> = {};
  const tp_levels: Record<string, unknown> = {};
  for (const inst of CATALOGUE) {
    const entry = inst.tickSize * 40_000n;
    active_orders[inst.root] = {
      action: "buy",
      quantity: inst.root === bump ? 4 : 3,
      entry_price: Number(formatFixed(entry)),
      timestamp: 1_732_400_000,
    };
    tp_levels[inst.root] = [1n, 2n, 3n].map((k) => ({
      enabled: true,
      quantity: 1,
      target: Number(formatFixed(inst.tickSize * 4n * k)),
      price: Number(formatFixed(entry + inst.tickSize * 4n * k)),
      hit: false,
    }));
  }
  return { active_orders, tp_levels };
}

/** Statements and transactions the requests cost, once the engine has written everything they caused. */
async function cost(fn: () => Promise<unknown>) {
  await s.h.ctx.engine.settled();
  const s0 = s.h.db.sql.statements;
  const t0 = s.h.db.sql.transactions;
  await fn();
  await s.h.ctx.engine.settled();
  return { statements: s.h.db.sql.statements - s0, transactions: s.h.db.sql.transactions - t0 };
}

beforeEach(async () => {
  expect((await call("POST", "/api/place_order", fullState())).status).toBe(200);
  await s.h.ctx.engine.settled();
});

describe(`original API round trips (${testDatabaseKind})`, () => {
  test("reads cost no query: get_active_orders, get_tp_levels and /api/v1/positions come from memory", async () => {
    const c = await cost(async () => {
      for (let i = 0; i < 5; i++) {
        expect((await call("GET", "/api/get_active_orders")).body.active_orders.MES.quantity).toBe(3);
        expect((await call("GET", "/api/get_tp_levels/MES")).body.tp_levels).toHaveLength(3);
        expect((await call("GET", "/api/v1/positions")).body.positions).toHaveLength(20);
      }
    });
    expect(c).toEqual({ statements: 0, transactions: 0 });
  });

  test("a single order is one transaction, and a read right after the answer sees it", async () => {
    const c = await cost(async () => {
      expect(
        (await call("POST", "/api/place_order", { ticker: "MES1!", action: "buy", quantity: 2, entry_price: 5012.25 }))
          .status,
      ).toBe(200);
      expect((await call("GET", "/api/get_active_orders")).body.active_orders.MES.quantity).toBe(5);
    });
    expect(c.transactions).toBe(1);
    // fence (Postgres) + engine position + the row + one insert for every event.
    expect(c.statements).toBeLessThanOrEqual(testDatabaseKind === "postgres" ? 4 : 3);
  });

  test("the client's bulk sync writes only what changed, in one transaction; sent unchanged it writes nothing", async () => {
    const same = await cost(() => call("POST", "/api/place_order", fullState()));
    expect(same).toEqual({ statements: 0, transactions: 0 });
    const one = await cost(() => call("POST", "/api/place_order", fullState("MNQ")));
    expect(one.transactions).toBe(1);
    expect(one.statements).toBeLessThanOrEqual(testDatabaseKind === "postgres" ? 4 : 3);
    const stored = await s.h.db.db
      .selectFrom("orders")
      .select(["symbol", "quantity"])
      .where("symbol", "in", ["MNQ", "MES"])
      .orderBy("symbol")
      .execute();
    expect(stored).toEqual([
      { symbol: "MES", quantity: 3 },
      { symbol: "MNQ", quantity: 4 },
    ]);
  });

  test("a TP edit is one transaction and the stored level is the one edited", async () => {
    const c = await cost(() => call("PUT", "/api/save_tp_level/MES/0", { enabled: false }));
    expect(c.transactions).toBe(1);
    const row = await s.h.db.db
      .selectFrom("take_profit_levels")
      .select(["enabled"])
      .where("symbol", "=", "MES")
      .orderBy("target")
      .executeTakeFirstOrThrow();
    expect(row.enabled).toBe(false);
    expect((await call("GET", "/api/get_tp_levels/MES")).body.tp_levels[0].enabled).toBe(false);
  });

  test("orders arriving together share a commit (group commit); every one answered is stored", async () => {
    const symbols = CATALOGUE.map((i) => i.root);
    let answered = 0;
    const c = await cost(() =>
      Promise.all(
        symbols.map(async (s, i) => {
          const inst = CATALOGUE[i]!;
          const r = await call("POST", "/api/place_order", {
            ticker: s,
            action: "buy",
            quantity: 1,
            entry_price: Number(formatFixed(inst.tickSize * 40_000n)),
          });
          if (r.status === 200) answered++;
        }),
      ),
    );
    expect(answered).toBe(20);
    expect(c.transactions).toBeLessThan(20);
    const rows = await s.h.db.db.selectFrom("orders").select(["quantity"]).execute();
    expect(rows.map((r) => r.quantity)).toEqual(Array(20).fill(4));
  });

  test("a command that changes nothing writes nothing (no empty BEGIN; COMMIT)", async () => {
    const c = await cost(async () => {
      expect((await call("POST", "/api/clear_trade/MES")).status).toBe(200);
      expect((await call("POST", "/api/clear_trade/MES")).body.message).toBe("Nothing to clear for MES");
      expect((await call("POST", "/api/place_order", { ticker: "MES", action: "exit" })).status).toBe(200);
    });
    expect(c.transactions).toBe(1);
  });

  test("a refused request changes nothing, in memory or in the tables", async () => {
    const before = JSON.stringify((await call("GET", "/api/get_active_orders")).body);
    const r = await call("POST", "/api/place_order", {
      ...fullState("ES"),
      tp_levels: {
        ...fullState().tp_levels,
        MES: [{ enabled: true, quantity: 9, target: 1, price: 6001, hit: false }],
      },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify((await call("GET", "/api/get_active_orders")).body)).toBe(before);
    expect(
      (await s.h.db.db.selectFrom("orders").select("quantity").where("symbol", "=", "ES").executeTakeFirstOrThrow())
        .quantity,
    ).toBe(3);
  });
});
