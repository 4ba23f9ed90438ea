import { sql, type Kysely } from "kysely";

/**
 * Server-wide settings (the Databento keys) may be changed only by an administrator. The first
 * user is one; on an existing installation that is the user with the lowest id, who set it up.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("users")
    .addColumn("is_admin", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`update users set is_admin = true where id = (select min(id) from users)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").dropColumn("is_admin").execute();
}
