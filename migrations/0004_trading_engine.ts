import { sql, type Kysely } from "kysely";

/**
 * The engine's durable state: one row per account+symbol holding the position's full state
 * (JSON, prices as integer strings of 1e-9), every order it ever released (deterministic ids,
 * so a restart never repeats one that was acknowledged), the journal of closed trades, and
 * each account's execution route and commission.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table accounts add column commission numeric(30, 9) not null default 0 check (commission >= 0)`.execute(
    db,
  );
  await sql`alter table accounts add column execution text not null default 'paper' check (execution in ('paper', 'webhook'))`.execute(
    db,
  );
  // A live account sends orders out; paper and replay never can (enforced again in code).
  await sql`update accounts set execution = 'webhook' where kind = 'live'`.execute(db);
  await sql`alter table accounts add constraint accounts_webhook_only_live check (execution = 'paper' or kind = 'live')`.execute(
    db,
  );

  await db.schema
    .createTable("engine_positions")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("qty", "integer", (c) => c.notNull().check(sql`qty >= 0`))
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("state", "jsonb", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("engine_positions_account").on("engine_positions").column("account_id").execute();

  await db.schema
    .createTable("engine_orders")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('working', 'filled', 'rejected', 'failed')`))
    .addColumn("qty", "integer", (c) => c.notNull().check(sql`qty > 0`))
    .addColumn("filled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("order", "jsonb", (c) => c.notNull())
    .addColumn("bracket", "jsonb")
    /** The adapter's answer: 'sent' (webhook 2xx), the broker's reason for a reject. */
    .addColumn("note", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index engine_orders_working on engine_orders (account_id) where status = 'working'`.execute(db);

  await db.schema
    .createTable("closed_trades")
    .addColumn("trade_id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("side", "text", (c) => c.notNull().check(sql`side in ('long', 'short')`))
    .addColumn("qty", "integer", (c) => c.notNull())
    .addColumn("entry", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("exit", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("opened_at", "timestamptz", (c) => c.notNull())
    .addColumn("closed_at", "timestamptz", (c) => c.notNull())
    /** Dollars, exact (1e-9). */
    .addColumn("realized", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("commissions", sql`numeric(30, 9)`, (c) => c.notNull())
    .addColumn("exit_reasons", "jsonb", (c) => c.notNull())
    .addColumn("fills", "jsonb", (c) => c.notNull())
    .addColumn("tags", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await db.schema
    .createIndex("closed_trades_account_time")
    .on("closed_trades")
    .columns(["account_id", "closed_at"])
    .execute();

  await sql`alter table events add column trade_id text`.execute(db);
  await sql`create index events_trade on events (trade_id) where trade_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists events_trade`.execute(db);
  await sql`alter table events drop column if exists trade_id`.execute(db);
  for (const t of ["closed_trades", "engine_orders", "engine_positions"])
    await db.schema.dropTable(t).ifExists().execute();
  await sql`alter table accounts drop constraint if exists accounts_webhook_only_live`.execute(db);
  await sql`alter table accounts drop column if exists execution`.execute(db);
  await sql`alter table accounts drop column if exists commission`.execute(db);
}
