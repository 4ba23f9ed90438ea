import { sql, type Kysely } from "kysely";

/**
 * One-minute bars per product root (the front contract's bar at that minute), never deleted.
 * A bar built from trades is replaced by Databento's own ohlcv-1m bar for the same minute.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("ohlcv_1m")
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("ts", "timestamptz", (c) => c.notNull())
    .addColumn("contract", "text", (c) => c.notNull())
    .addColumn("instrument_id", "bigint", (c) => c.notNull())
    .addColumn("open", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("high", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("low", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("close", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("volume", "bigint", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull().check(sql`source in ('databento', 'trades')`))
    .addPrimaryKeyConstraint("ohlcv_1m_pk", ["symbol", "ts"])
    .addCheckConstraint(
      "ohlcv_1m_range",
      sql`low <= open and low <= close and high >= open and high >= close and volume >= 0`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("ohlcv_1m").ifExists().execute();
}
