import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, json, tokenClient, type Client, type Harness } from "../web/test-harness";
import { wireRollNotices } from "./roll-notices";
import { expectQuietFor, until } from "../shared/testing";

/** A roll waits for open positions on the old contract, and their traders are told, in the log and live. */
let h: Harness;
let api: Client;
const messages: { userId: number; m: any }[] = [];
beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  api = await tokenClient(h, (await addUser(h)).id);
  await wireRollNotices(h.ctx);
  h.ctx.userMessages.via((userId, m) => void messages.push({ userId, m: JSON.parse(m) }));
});
afterAll(() => h.close());

const emit = (state: "held" | "rolled") =>
  (h.ctx.marketData as unknown as { emitRoll(r: unknown): void }).emitRoll({
    symbol: "MES",
    from: "MESZ6",
    to: "MESH7",
    state,
  });

describe(`roll notices (${testDatabaseKind})`, () => {
  test("an open position holds the roll and its trader is told; once it is closed the symbol rolls and the trader hears it", async () => {
    expect(await h.ctx.marketData.holdRoll!("MES")).toBe(false);
    expect(
      (
        await h.fetch(
          "/api/v1/accounts/paper/positions/MES/record",
          json(api, "POST", { side: "long", qty: 1, entryPrice: 6000 }),
        )
      ).status,
    ).toBe(200);
    await h.ctx.engine.settled();
    expect(await h.ctx.marketData.holdRoll!("MES")).toBe(true);
    emit("held");
    emit("held"); // told once
    const log = async (kind: string) =>
      h.db.db.selectFrom("events").select(["reason", "symbol"]).where("kind", "=", kind).execute();
    await until(async () => (await log("feed.roll_held")).length > 0);
    // The second is not logged: a bounded wait, then still one.
    await expectQuietFor(20, async () => expect((await log("feed.roll_held")).length).toBe(1));
    expect((await log("feed.roll_held"))[0]!.reason).toContain("stays on MESZ6");
    expect(messages.filter((x) => x.m.t === "notice").map((x) => x.m.kind)).toEqual(["roll"]);
    // Kept for a restart: the held contract streams again then.
    expect(await h.db.db.selectFrom("held_rolls").select(["symbol", "contract", "next_contract"]).execute()).toEqual([
      { symbol: "MES", contract: "MESZ6", next_contract: "MESH7" },
    ]);
    expect(
      (await h.fetch("/api/v1/accounts/paper/positions/MES", { method: "DELETE", headers: api.headers })).status,
    ).toBeLessThan(300);
    await h.ctx.engine.settled();
    expect(await h.ctx.marketData.holdRoll!("MES")).toBe(false);
    emit("rolled");
    await until(async () => (await log("feed.roll_rolled")).length > 0);
    expect((await log("feed.roll_rolled"))[0]!.reason).toBe("MES now trades MESH7 (it was MESZ6).");
    expect(await h.db.db.selectFrom("held_rolls").selectAll().execute()).toEqual([]);
  });
});
