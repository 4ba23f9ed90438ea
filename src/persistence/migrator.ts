import { sql, type Kysely } from "kysely";
import { Migrator, type MigrationInfo, type MigrationResultSet } from "kysely/migration";
import { migrations } from "../../migrations";

/**
 * Kysely looks for its bookkeeping tables in every schema unless told which one; with several
 * schemas in one database (tests, or apps sharing a server) it would find another schema's
 * and skip creating its own. So the connection's current schema is named explicitly.
 */
async function migrator(db: Kysely<any>): Promise<Migrator> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: rows[0]?.schema ?? "public",
  });
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

function check(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed ?? "(unknown)"} failed: ${reason}`);
  }
  return (result.results ?? []).map((r) => `${r.direction === "Up" ? "applied" : "reverted"} ${r.migrationName}`);
}

/** Applies every pending migration; Postgres serialises concurrent callers with an advisory lock. */
export async function migrateUp(db: Kysely<any>): Promise<string[]> {
  return check(await (await migrator(db)).migrateToLatest());
}

export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  return check(await (await migrator(db)).migrateDown());
}

export async function migrationStatus(db: Kysely<any>): Promise<readonly MigrationInfo[]> {
  return (await migrator(db)).getMigrations();
}
