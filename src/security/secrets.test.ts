import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import type { DatabaseHandle } from "../persistence/connect";
import { systemActor } from "../persistence/events";
import { createTestDatabase, testDatabaseKind } from "../persistence/test-database";
import { loadSecretKey, SecretsStore } from "./secrets";

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(() => h.close());

describe(`secrets store (${testDatabaseKind})`, () => {
  test("a key file is created once with mode 0600 and reused", () => {
    const dir = mkdtempSync(join(tmpdir(), "secrets-"));
    const file = join(dir, "secret.key");
    const k1 = loadSecretKey(undefined, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(undefined, file)).toEqual(k1);
    chmodSync(file, 0o644);
    expect(() => loadSecretKey(undefined, file)).toThrow(/readable by others/);
  });

  test("SECRET_KEY in hex or base64, 32 bytes only", () => {
    expect(loadSecretKey("ab".repeat(32), "/nonexistent").length).toBe(32);
    expect(loadSecretKey(Buffer.alloc(32, 7).toString("base64"), "/nonexistent")[0]).toBe(7);
    expect(() => loadSecretKey("short", "/nonexistent")).toThrow(/32 bytes/);
  });

  test("values are encrypted at rest, listed masked, revealed exactly", async () => {
    const store = new SecretsStore(h.db, crypto.getRandomValues(new Uint8Array(32)));
    const value = "db-unittestapikey1234567890FFFFF";
    await store.set("global", "databento.api_key", value, systemActor);
    const row = await h.db.selectFrom("secrets").selectAll().executeTakeFirstOrThrow();
    expect(Buffer.from(row.ciphertext).toString("latin1")).not.toContain("unittest");
    expect(JSON.stringify(await store.list("global"))).not.toContain("unittest");
    expect((await store.list("global"))[0]!.masked).toBe("••••FFFF");
    expect(await store.reveal("global", "databento.api_key")).toBe(value);
    const events = await h.db
      .selectFrom("events")
      .select(["kind", "reason"])
      .where("kind", "like", "secret.%")
      .execute();
    expect(JSON.stringify(events)).not.toContain("unittest");
  });

  test("a wrong key or a moved ciphertext fails loudly", async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const store = new SecretsStore(h.db, key);
    await store.set("u1", "webhook", "https://hooks.example/abc", systemActor);
    await store.set("u1", "other", "something-else-entirely", systemActor);
    expect(new SecretsStore(h.db, crypto.getRandomValues(new Uint8Array(32))).reveal("u1", "webhook")).rejects.toThrow(
      /cannot be decrypted/,
    );
    await sql`update secrets set ciphertext = (select ciphertext from secrets where scope = 'u1' and name = 'other'),
              iv = (select iv from secrets where scope = 'u1' and name = 'other') where scope = 'u1' and name = 'webhook'`.execute(
      h.db,
    );
    expect(store.reveal("u1", "webhook")).rejects.toThrow(/cannot be decrypted/);
    expect(await store.delete("u1", "webhook", systemActor)).toBe(true);
    expect(await store.reveal("u1", "webhook")).toBeUndefined();
  });
});
