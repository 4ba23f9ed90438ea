import { sql, type Kysely } from "kysely";

/** Per-user preferences and per-symbol trade defaults (quantity, stop, ladder, timer), as JSON. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("user_settings")
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("user_settings_pk", ["user_id", "key"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_settings").ifExists().execute();
}
