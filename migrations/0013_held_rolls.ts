import type { Kysely } from "kysely";

/**
 * Rolls that wait for open positions: the contract a symbol is held on. Kept across restarts so
 * a restarted server streams the positions' contract again instead of the new front month.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("held_rolls")
    .addColumn("symbol", "text", (c) => c.primaryKey())
    .addColumn("contract", "text", (c) => c.notNull())
    .addColumn("next_contract", "text", (c) => c.notNull())
    .addColumn("since", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("held_rolls").execute();
}
