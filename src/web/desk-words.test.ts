import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { addTrader, type Client, createHarness, type Harness, printAt } from "./test-harness";

/**
 * The desk's refusals in the trader's words (issue: "stop.initial.value: a decimal number",
 * "TP1.target.value: Invalid input: expected number, received NaN", "timer.seconds: Too small"
 * on a Minutes field, "body.entryPrice: must be positive", "1e2" read as 100): each now names the
 * field as the page labels it, in its own unit, and the refused form keeps what was typed.
 */
let h: Harness;
let web: Client;
const post = async (path: string, fields: Record<string, string>) => {
  const res = await h.fetch(path, {
    method: "POST",
    headers: { ...web.headers, "x-csrf-token": web.csrf!, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ account: "paper", symbol: "MES", ...fields }).toString(),
  });
  return { status: res.status, html: await res.text() };
};
const alert = (html: string) => html.match(/role="alert">([^<]*)</)?.[1]?.replaceAll("&#39;", "'") ?? "";

beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  ({ web } = await addTrader(h, "wordy"));
  await printAt(h, "MES", 5000e9);
});
afterAll(() => h.close());

describe(`the desk's refusals in the trader's words (${testDatabaseKind})`, () => {
  test("ticket: a quantity typed as 1e2 is refused, not read as 100", async () => {
    const r = await post("/desk/order", { side: "buy", qty: "1e2" });
    expect(r.status).toBe(400);
    expect(alert(r.html)).toBe("Quantity: a whole number of contracts");
    expect(h.ctx.engine.engine.position(await h.ctx.trading.accountId(web.userId, "paper"), "MES")).toBeUndefined();
  });

  test("stop: the Amount field by its label, and the form keeps what was typed", async () => {
    const r = await post("/desk/stop", { kind: "trailing", mode: "manual", amount: "abc", unit: "points" });
    expect(r.status).toBe(400);
    expect(alert(r.html)).toBe("Amount: a number such as 3 or 2.5");
    expect(r.html).toContain('name="amount" inputmode="decimal" value="abc"');
    expect(r.html).toMatch(/<option value="trailing" selected>/);
  });

  test("take-profit levels: TP1 target and quantity by their labels, typed values kept", async () => {
    const r = await post("/desk/ladder", {
      count: "1",
      enabled_0: "1",
      qty_0: "1",
      value_0: "x",
      unit_0: "ticks",
      add: "1",
    });
    expect(r.status).toBe(400);
    expect(alert(r.html)).toBe("TP1 target: a whole number of ticks");
    const q = await post("/desk/ladder", { count: "1", enabled_0: "1", qty_0: "2.5", value_0: "8", unit_0: "ticks" });
    expect(alert(q.html)).toBe("TP1 quantity: a whole number of contracts");
  });

  test("timer: Minutes in minutes, not seconds", async () => {
    for (const [minutes, words] of [
      ["0", "Minutes: at least 0.02 (one second)"],
      ["abc", "Minutes: a number such as 5 or 0.5"],
      ["20000", "Minutes: at most 10080 (7 days)"],
    ]) {
      const r = await post("/desk/timer", { minutes: minutes!, action: "exit", mode: "regardless" });
      expect(r.status).toBe(400);
      expect(alert(r.html)).toBe(words!);
      expect(r.html).toContain(`name="minutes" inputmode="decimal" value="${minutes}"`);
    }
  });

  test("record by hand: the entry price by its label", async () => {
    const r = await post("/desk/record", { side: "long", qty: "1", entryPrice: "-5" });
    expect(r.status).toBe(400);
    expect(alert(r.html)).toBe("Entry price: must be above zero");
  });

  test("stop preview: an impossible stop is refused, never previewed as a negative price", async () => {
    const r = await post("/desk/stop/preview", { kind: "fixed", mode: "manual", amount: "99999", unit: "points" });
    expect(r.html).toContain("Amount: too far — the stop would be at or below zero");
    expect(r.html).not.toMatch(/Stop -\d/);
  });
});
