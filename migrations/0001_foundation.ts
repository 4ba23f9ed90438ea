import { sql, type Kysely } from "kysely";

/**
 * Users, sessions, API tokens, accounts, the open trades of the original API (one per
 * account+symbol), their take-profit levels, encrypted secrets and the append-only event log.
 * Prices are numeric(30,9): the DBN scale, exact, never float.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("users_username_format", sql`username ~ '^[a-z0-9][a-z0-9._-]{0,39}$'`)
    .execute();

  await db.schema
    .createTable("accounts")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('live', 'paper', 'replay')`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("accounts_user_name", ["user_id", "name"])
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("user_agent", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("ip", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_used_at", "timestamptz")
    .addColumn("revoked_at", "timestamptz")
    .execute();
  await sql`create unique index api_tokens_active_name on api_tokens (user_id, name) where revoked_at is null`.execute(
    db,
  );

  await db.schema
    .createTable("orders")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull().check(sql`action in ('buy', 'sell')`))
    .addColumn("quantity", "integer", (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn("entry_price", sql`numeric(30, 9)`, (c) => c.notNull().check(sql`entry_price > 0`))
    .addColumn("timestamp", "bigint", (c) => c.notNull())
    .addColumn("stop_loss", "jsonb")
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("orders_one_open_trade", ["account_id", "symbol"])
    .execute();

  await db.schema
    .createTable("take_profit_levels")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("enabled", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("quantity", "integer", (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn("target", sql`numeric(30, 9)`, (c) => c.notNull().check(sql`target > 0`))
    .addColumn("price", sql`numeric(30, 9)`, (c) => c.notNull().check(sql`price > 0`))
    .addColumn("hit", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("take_profit_levels_target", ["account_id", "symbol", "target"])
    .execute();

  await db.schema
    .createTable("secrets")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("iv", "bytea", (c) => c.notNull())
    .addColumn("ciphertext", "bytea", (c) => c.notNull())
    .addColumn("hint", "text", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("secrets_pk", ["scope", "name"])
    .execute();

  await db.schema
    .createTable("events")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("actor_kind", "text", (c) =>
      c.notNull().check(sql`actor_kind in ('user', 'token', 'rule', 'system', 'cli')`),
    )
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("user_id", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("account_id", "integer", (c) => c.references("accounts.id").onDelete("set null"))
    .addColumn("symbol", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex("events_account_symbol").on("events").columns(["account_id", "symbol", "id"]).execute();
  // The audit trail is append-only: the database itself refuses edits and deletions.
  await sql`
    create function events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'events is append-only (% refused)', tg_op;
    end $$`.execute(db);
  await sql`create trigger events_no_update before update or delete on events
            for each row execute function events_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists events_no_update on events`.execute(db);
  await sql`drop function if exists events_append_only()`.execute(db);
  for (const table of [
    "events",
    "secrets",
    "take_profit_levels",
    "orders",
    "api_tokens",
    "sessions",
    "accounts",
    "users",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
