import { describe, expect, test } from "bun:test";
import type { Effect, EngineEvent, OrderRequest } from "../engine/types";
import { RestingOrders } from "./fill-model";
import { accountOfEffect, interpret } from "./step-interpreter";

const order = (id: string, o: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  accountId: 1,
  accountKind: "replay",
  symbol: "MES",
  side: "buy",
  qty: 1,
  type: "limit",
  limitPrice: 5000e9,
  refPrice: 5001e9,
  purpose: "entry",
  reason: "",
  tsMs: 0,
  ...o,
});
const event = (reason: string): EngineEvent => ({
  kind: "k",
  accountId: 1,
  symbol: "MES",
  tradeId: null,
  actor: { kind: "system", label: "rule", userId: null },
  reason,
  data: {},
  tsMs: 0,
});

describe("step interpreter", () => {
  test("effects in the engine's order; what a fill made at once caused comes after them (breadth first)", () => {
    const seen: string[] = [];
    const changes = new Map<string, EngineEvent[]>();
    const fx: Effect[] = [
      { type: "submit", order: order("1:MES:o1") },
      { type: "event", event: event("a"), key: "1:MES" },
      { type: "changed", key: "1:MES", accountId: 1, symbol: "MES" },
    ];
    interpret(fx, changes, {
      route: (f) => {
        seen.push(`route ${f.order.id}`);
        return f.order.id === "1:MES:o1" ? [{ type: "event", event: event("filled"), key: "1:MES" }] : undefined;
      },
      persist: (f) => void seen.push(`persist ${f.type === "event" ? f.event.reason : f.type}`),
      changed: (f) => void seen.push(`changed ${f.key}`),
    });
    expect(seen).toEqual(["route 1:MES:o1", "persist a", "changed 1:MES", "persist filled"]);
    expect(changes.get("1:MES")!.map((e) => e.reason)).toEqual(["a", "filled"]);
    expect(accountOfEffect({ type: "filled", orderId: "12:MES:t1:o3", filled: 1, done: true, note: "" })).toBe(12);
  });

  test("resting orders: newest first, answered one by one, forgotten ones dropped; oldest first otherwise", () => {
    const working = new Set(["a", "b", "c"]);
    const replay = new RestingOrders({ newestFirst: true, working: (id) => working.has(id) });
    const paper = new RestingOrders();
    for (const book of [replay, paper])
      for (const id of ["a", "b", "c"]) expect(book.accept(order(id))).toBeUndefined();
    working.delete("b");
    const filled: string[] = [];
    replay.reach("MES", 4999e9, (o, qty, at) => {
      filled.push(`${o.id} ${qty} ${at / 1e9}`);
      // The answer to a fill may cancel another resting order: it is not filled after.
      if (o.id === "c") replay.cancel("a");
    });
    expect(filled).toEqual(["c 1 5000"]);
    expect(replay.size).toBe(0);
    const inOrder: string[] = [];
    paper.reach("MES", 4999e9, (o) => void inOrder.push(o.id));
    expect(inOrder).toEqual(["a", "b", "c"]);
    expect(paper.size).toBe(0);
  });
});
