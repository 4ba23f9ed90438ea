import { sql, type Kysely } from "kysely";

/**
 * Who runs the trading engine on this database: the process holding the engine's advisory
 * lock writes its host, pid and start time here, so a second server can name it when refused.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("engine_owner")
    .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("engine_owner").execute();
}
