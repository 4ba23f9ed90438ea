import { sql, type Kysely } from "kysely";

/**
 * Leases for what one instance of a cluster does for all: the Databento session (Databento
 * limits sessions per dataset), whose holder publishes every record to the others. Same shape
 * as the shard leases: an owner, an epoch raised at every change of holder, an expiry.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("cluster_leases")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("owner", "text")
    .addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("expires_at", "timestamptz")
    .execute();
  await sql`insert into cluster_leases (name) values ('feed')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("cluster_leases").execute();
}
