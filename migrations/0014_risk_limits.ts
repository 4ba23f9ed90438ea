import { sql, type Kysely } from "kysely";

/**
 * Risk limits per account (docs/trading-rules.md R10), each null when it does not apply, and
 * each account's trading day as the engine keeps it (realized P&L, a lock), stored with its steps.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("accounts")
    .addColumn("max_order", "integer", (c) => c.check(sql`max_order > 0`))
    .addColumn("max_position", "integer", (c) => c.check(sql`max_position > 0`))
    .addColumn("daily_loss", sql`numeric(30, 9)`, (c) => c.check(sql`daily_loss > 0`))
    .addColumn("flatten_before_close", "integer", (c) => c.check(sql`flatten_before_close between 1 and 120`))
    .addColumn("confirm_above", "integer", (c) => c.check(sql`confirm_above > 0`))
    .execute();
  await db.schema
    .createTable("engine_account_days")
    .addColumn("account_id", "integer", (c) => c.primaryKey().references("accounts.id").onDelete("cascade"))
    .addColumn("state", "jsonb", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("engine_account_days").execute();
  for (const c of ["max_order", "max_position", "daily_loss", "flatten_before_close", "confirm_above"])
    await db.schema.alterTable("accounts").dropColumn(c).execute();
}
