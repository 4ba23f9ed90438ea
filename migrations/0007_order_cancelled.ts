import { sql, type Kysely } from "kysely";

/**
 * Exit all and rule exits cancel resting exit orders (a jumped stop-limit, a resting
 * take-profit): an order row may end as `cancelled`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table engine_orders drop constraint if exists engine_orders_status_check`.execute(db);
  await sql`alter table engine_orders add constraint engine_orders_status_check check (status in ('working', 'filled', 'rejected', 'failed', 'cancelled'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update engine_orders set status = 'failed', note = coalesce(note, 'cancelled') where status = 'cancelled'`.execute(
    db,
  );
  await sql`alter table engine_orders drop constraint if exists engine_orders_status_check`.execute(db);
  await sql`alter table engine_orders add constraint engine_orders_status_check check (status in ('working', 'filled', 'rejected', 'failed'))`.execute(
    db,
  );
}
