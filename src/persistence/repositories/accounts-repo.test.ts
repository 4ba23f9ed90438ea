import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "../connect";
import { createTestDatabase, testDatabaseKind } from "../test-database";
import {
  createAccounts,
  findAccount,
  listAccounts,
  listAllAccounts,
  paperCommission,
  renameAccount,
  updateExecution,
} from "./accounts-repo";

let h: DatabaseHandle;
let userId: number;
beforeAll(async () => {
  h = await createTestDatabase();
  const user = await h.db
    .insertInto("users")
    .values({ username: "repo-user", password_hash: "x", is_admin: false })
    .returning("id")
    .executeTakeFirstOrThrow();
  userId = user.id;
});
afterAll(() => h.close());

describe(`accounts repository (${testDatabaseKind})`, () => {
  test("creates, finds, lists by kind and order, and renames", async () => {
    const [paper, live, replay] = await createAccounts(h.db, userId, [
      { name: "paper", kind: "paper", execution: "paper", commission: "0.620000000" },
      { name: "live", kind: "live", execution: "webhook" },
      { name: "replay-new", kind: "replay" },
    ]);
    await renameAccount(h.db, replay!, "replay-1");
    expect(await findAccount(h.db, userId, "live")).toMatchObject({ id: live, kind: "live", execution: "webhook" });
    expect(await findAccount(h.db, userId, "replay-new")).toBeUndefined();
    expect((await listAccounts(h.db, userId)).map((a) => a.id)).toEqual([paper!, live!, replay!]);
    expect((await listAccounts(h.db, userId, { kinds: "regular", orderBy: "name" })).map((a) => a.name)).toEqual([
      "live",
      "paper",
    ]);
    expect((await listAccounts(h.db, userId, { kinds: "replay" })).map((a) => a.name)).toEqual(["replay-1"]);
    expect((await listAllAccounts(h.db)).find((a) => a.id === paper)).toMatchObject({ userId, name: "paper" });
    expect(Number(await paperCommission(h.db, userId))).toBe(0.62);
    expect(await paperCommission(h.db, userId + 1000)).toBe("0");
  });

  test("an execution change writes only the fields given, the commission exactly", async () => {
    const live = (await findAccount(h.db, userId, "live"))!;
    await updateExecution(h.db, live.id, { commission: 1_250_000_000 });
    expect(await findAccount(h.db, userId, "live")).toMatchObject({ execution: "webhook" });
    expect(Number((await findAccount(h.db, userId, "live"))!.commission)).toBe(1.25);
    await updateExecution(h.db, live.id, { execution: "paper" });
    expect(await findAccount(h.db, userId, "live")).toMatchObject({ execution: "paper" });
    expect(Number((await findAccount(h.db, userId, "live"))!.commission)).toBe(1.25);
  });
});
