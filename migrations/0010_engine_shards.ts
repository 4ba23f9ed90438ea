import { sql, type Kysely } from "kysely";
import { up as createEngineOwner } from "./0008_engine_owner";

/**
 * Who runs the engine for which accounts. Accounts are split into shards by their user (all of a
 * user's accounts in one shard, so one instance holds a user's whole state); each shard has a lease
 * with an owner, an epoch that grows with every change of owner, and an expiry the owner renews.
 * Every engine write checks the epoch inside its transaction (fencing): an instance that paused past
 * its lease cannot write, even for a moment. Instances note themselves for the fair share and health.
 * Replaces the one-engine-per-database table of 0008.
 */
export const SHARDS = 64;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("engine_shards")
    .addColumn("shard", "integer", (c) => c.primaryKey())
    .addColumn("owner", "text")
    .addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("expires_at", "timestamptz")
    .execute();
  await sql`insert into engine_shards (shard) select generate_series(0, ${sql.lit(SHARDS - 1)})`.execute(db);
  await db.schema
    .createTable("engine_instances")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addColumn("seen_at", "timestamptz", (c) => c.notNull())
    .addColumn("url", "text")
    .execute();
  await db.schema.dropTable("engine_owner").ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("engine_instances").execute();
  await db.schema.dropTable("engine_shards").execute();
  // Back to 0008's table, exactly as it made it.
  await createEngineOwner(db);
}
