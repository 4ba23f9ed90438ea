import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { migrations } from "../../migrations";
import type { DatabaseHandle } from "./connect";
import { migrateDown, migrateUp, migrationStatus } from "./migrator";
import { createTestDatabase, testDatabaseKind } from "./test-database";

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(() => h.close());

describe(`migrations (${testDatabaseKind})`, () => {
  test("all applied, and a second run does nothing", async () => {
    const status = await migrationStatus(h.db);
    expect(status.every((m) => m.executedAt)).toBe(true);
    expect(status.map((m) => m.name)).toEqual(Object.keys(migrations));
    expect(await migrateUp(h.db)).toEqual([]);
  });

  test("down then up round-trips", async () => {
    const names = Object.keys(migrations);
    expect(await migrateDown(h.db)).toEqual([`reverted ${names.at(-1)}`]);
    expect(await migrateUp(h.db)).toEqual([`applied ${names.at(-1)}`]);
  });

  test("concurrent start-ups migrate once", async () => {
    const results = await Promise.all([migrateUp(h.db), migrateUp(h.db), migrateUp(h.db)]);
    expect(results.flat()).toEqual([]);
  });

  test("prices are numeric, never float", async () => {
    const rows = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = current_schema() and data_type in ('real', 'double precision')`.execute(h.db);
    expect(rows.rows).toEqual([]);
  });

  test("the event log refuses updates and deletes", async () => {
    await h.db
      .insertInto("events")
      .values({ actor_kind: "system", actor: "test", kind: "test", reason: "append-only check", data: "{}" })
      .execute();
    expect(sql`update events set reason = 'changed'`.execute(h.db)).rejects.toThrow(/append-only/);
    expect(sql`delete from events`.execute(h.db)).rejects.toThrow(/append-only/);
  });
});
