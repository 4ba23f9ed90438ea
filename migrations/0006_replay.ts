import { sql, type Kysely } from "kysely";

/**
 * Replay: each session trades in an account of its own (kind `replay`); the session row keeps
 * its source, where it got to and its end summary. Uploaded and downloaded DBN files are kept
 * on disk for re-use; this table says what they hold.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("replay_files")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('upload', 'historical')`))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("bytes", "bigint", (c) => c.notNull())
    .addColumn("schema", "text", (c) => c.notNull())
    .addColumn("symbols", "jsonb", (c) => c.notNull())
    .addColumn("start_ms", "bigint", (c) => c.notNull())
    .addColumn("end_ms", "bigint", (c) => c.notNull())
    .addColumn("records", "bigint", (c) => c.notNull())
    .addColumn("request", "jsonb")
    .addColumn("cost", "numeric")
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("replay_files_user_sha", ["user_id", "sha256"])
    .execute();
  await db.schema
    .createTable("replay_sessions")
    .addColumn("id", "serial", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("source", "jsonb", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("replay_ms", "bigint")
    .addColumn("summary", "jsonb")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("ended_at", "timestamptz")
    .execute();
  await db.schema.createIndex("replay_sessions_user").on("replay_sessions").columns(["user_id", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("replay_sessions").ifExists().execute();
  await db.schema.dropTable("replay_files").ifExists().execute();
}
