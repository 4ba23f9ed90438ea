import { sql, type Kysely } from "kysely";

/**
 * Bars are kept per dataset: the simulated market's history ('SIM') must never fill, or hide a
 * gap in, the real GLBX.MDP3 archive when a key is configured later.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ohlcv_1m add column dataset text not null default 'GLBX.MDP3'`.execute(db);
  await sql`alter table ohlcv_1m drop constraint ohlcv_1m_pk`.execute(db);
  await sql`alter table ohlcv_1m add constraint ohlcv_1m_pk primary key (dataset, symbol, ts)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from ohlcv_1m where dataset <> 'GLBX.MDP3'`.execute(db);
  await sql`alter table ohlcv_1m drop constraint ohlcv_1m_pk`.execute(db);
  await sql`alter table ohlcv_1m add constraint ohlcv_1m_pk primary key (symbol, ts)`.execute(db);
  await sql`alter table ohlcv_1m drop column dataset`.execute(db);
}
