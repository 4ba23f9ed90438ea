import { sql, type Kysely } from "kysely";

/**
 * Price alerts per user and symbol: above or below a price, once or every time the price comes
 * back across it. `armed` false: fired once (or, repeating, waiting for the price to come back).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("price_alerts")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("direction", "text", (c) => c.notNull().check(sql`direction in ('above', 'below')`))
    .addColumn("price", sql`numeric(30, 9)`, (c) => c.notNull().check(sql`price > 0`))
    .addColumn("repeat", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("armed", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("fired_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("fired_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("price_alerts_user").on("price_alerts").column("user_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("price_alerts").execute();
}
