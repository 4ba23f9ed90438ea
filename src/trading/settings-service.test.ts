import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, type Harness } from "../web/test-harness";

/** Settings writes at the same time: each is applied whole or refused, never silently lost. */
let h: Harness;
let userId: number;
beforeAll(async () => {
  h = await createHarness();
  userId = (await addUser(h)).id;
});
afterAll(() => h.close());

const actor = { kind: "system" as const, label: "test", userId: null };
const prefs = (period: number) => ({
  atr: { method: "simple", period, lookback: 390, multiplier: 10 },
  confirm: false,
});

describe(`settings written concurrently (${testDatabaseKind})`, () => {
  test("10 first-time writes based on version 0: exactly one is stored, the other nine get 409", async () => {
    const writes = Array.from({ length: 10 }, (_, i) => h.ctx.settings.setPrefs(userId, prefs(10 + i), 0, actor));
    const results = await Promise.allSettled(writes);
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok.length).toBe(1);
    for (const r of results)
      if (r.status === "rejected") expect(String(r.reason)).toContain("changed elsewhere meanwhile");
    const stored = await h.ctx.settings.prefs(userId);
    expect(stored.version).toBe(1);
    expect(results.findIndex((r) => r.status === "fulfilled")).toBe(stored.value.atr.period - 10);
  });

  test("10 writes without a version: each one counts (version + 10)", async () => {
    const before = (await h.ctx.settings.prefs(userId)).version;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.ctx.settings.setPrefs(userId, prefs(20 + i), undefined, actor)),
    );
    expect((await h.ctx.settings.prefs(userId)).version).toBe(before + 10);
  });
});
