import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { eventually } from "../shared/testing";
import { addTrader, type Client, createHarness, type Harness, request } from "./test-harness";

/** Price alerts through the API: created in words, fired once on the print that reaches them, logged. */
let h: Harness;
let api: Client;
let other: Client;
const messages: { userId: number; m: any }[] = [];
const P = (s: string) => Math.round(Number(s) * 1e9);
const call = (method: string, path: string, body?: unknown, c = api) => request(h, c, method, path, body);

beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  ({ api } = await addTrader(h, "alerted"));
  ({ api: other } = await addTrader(h, "bystander"));
  h.ctx.userMessages.via((userId, m) => messages.push({ userId, m: JSON.parse(m) }));
});
afterAll(() => h.close());

describe(`price alerts (${testDatabaseKind})`, () => {
  test("refused in the trader's words, nothing stored", async () => {
    for (const [body, status, words] of [
      [{ symbol: "MES", direction: "above", price: "abc" }, 400, "body.price: a decimal number"],
      [{ symbol: "MES", direction: "sideways", price: "6010" }, 400, "body.direction: above or below"],
      [{ symbol: "MES", direction: "above", price: "-1" }, 400, "body.price: must be positive"],
      [{ symbol: "XYZ", direction: "above", price: "6010" }, 404, "XYZ"],
    ] as const) {
      const r = await call("POST", "/api/v1/alerts", body);
      expect(r.status).toBe(status);
      expect(r.body.message).toContain(words);
    }
    expect((await call("GET", "/api/v1/alerts")).body.alerts).toEqual([]);
  });

  test("an alert fires once on the print that reaches it: a message, an event, the alert marked fired", async () => {
    const made = await call("POST", "/api/v1/alerts", { symbol: "MES1!", direction: "above", price: "6010" });
    expect(made.status).toBe(200);
    expect(made.body.alert).toMatchObject({ symbol: "MES", direction: "above", price: "6010.00", armed: true });
    h.ctx.alerts.onTrade("MES", P("6009.75"), Date.now());
    expect(messages).toEqual([]);
    h.ctx.alerts.onTrade("MES", P("6010.25"), Date.now());
    h.ctx.alerts.onTrade("MES", P("6011"), Date.now());
    expect(messages.map((x) => x.m.message)).toEqual(["MES at or above 6010.00 (print 6010.25)"]);
    expect(messages[0]!.m.t).toBe("alert");
    await eventually(async () => {
      const got = (await call("GET", "/api/v1/alerts")).body;
      return (
        got.alerts[0]?.armed === false &&
        got.alerts[0]?.firedCount === 1 &&
        got.log.some((e: { kind: string }) => e.kind === "alert.price")
      );
    });
    // Not the other user's to see or remove.
    expect((await call("GET", "/api/v1/alerts", undefined, other)).body.alerts).toEqual([]);
    expect((await call("DELETE", `/api/v1/alerts/${made.body.alert.id}`, undefined, other)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/alerts/${made.body.alert.id}`)).status).toBe(200);
    expect((await call("GET", "/api/v1/alerts")).body.alerts).toEqual([]);
  });

  test("a repeating alert fires once per crossing and survives a restart of the service", async () => {
    messages.length = 0;
    await call("POST", "/api/v1/alerts", { symbol: "MNQ", direction: "below", price: "21000", repeat: true });
    for (const p of ["21000.25", "21000", "20999", "21000", "21001", "20999.75"])
      h.ctx.alerts.onTrade("MNQ", P(p), Date.now());
    expect(messages).toHaveLength(2);
    await eventually(async () => {
      const a = (await call("GET", "/api/v1/alerts")).body.alerts[0];
      return a?.firedCount === 2 && a?.armed === false;
    });
    // Read again from the database (a restart): it waits for the price to come back before firing.
    h.ctx.alerts.stop();
    await h.ctx.alerts.start();
    h.ctx.alerts.onTrade("MNQ", P("20990"), Date.now());
    expect(messages).toHaveLength(2);
    h.ctx.alerts.onTrade("MNQ", P("21002"), Date.now());
    h.ctx.alerts.onTrade("MNQ", P("20995"), Date.now());
    expect(messages).toHaveLength(3);
  });
});
