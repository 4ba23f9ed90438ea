import { Kysely, PGliteDialect, sql } from "kysely";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { migrations } from "../../migrations";
import { connectDatabase, SqlCounter, type DatabaseHandle } from "./connect";
import type { Database } from "./database";
import { migrateUp } from "./migrator";
import { createPGlite } from "./pglite";

/**
 * initdb in WASM takes seconds; a migrated template data dir, cached per PGlite version and
 * migration list, loads in about one. The cache lives in the OS temp dir, never in the repo.
 */
async function pgliteFromTemplate(): Promise<PGlite> {
  const pkg = join(Bun.resolveSync("@electric-sql/pglite", import.meta.dir), "../../package.json");
  const { version } = (await Bun.file(pkg).json()) as { version: string };
  const key = Bun.hash(version + Object.keys(migrations).join(",")).toString(36);
  const path = join(tmpdir(), `trading-app-pglite-${key}.tar`);
  if (existsSync(path)) return createPGlite({ loadDataDir: new Blob([await Bun.file(path).arrayBuffer()]) });
  const fresh = await createPGlite();
  await migrateUp(new Kysely<Database>({ dialect: new PGliteDialect({ pglite: fresh }) }));
  const dump = await fresh.dumpDataDir("none");
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
  renameSync(partial, path);
  return fresh;
}

/**
 * A migrated database of its own for one test file: in-memory PGlite by default, or a fresh
 * schema on the Postgres server named by DATABASE_URL (dropped again on close), so test files
 * can run in parallel on both.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const counter = new SqlCounter();
    const db = new Kysely<Database>({
      dialect: counter.dialect(new PGliteDialect({ pglite: await pgliteFromTemplate() })),
      log: counter.note,
    });
    return { db, sql: counter, kind: "pglite", location: "memory", close: () => db.destroy() };
  }
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const handle = await connectDatabase({ databaseUrl: url, dataDir: "", schema, poolSize: 4 });
  await migrateUp(handle.db);
  return {
    ...handle,
    close: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}

export const testDatabaseKind = process.env.DATABASE_URL ? "postgres" : "pglite";
