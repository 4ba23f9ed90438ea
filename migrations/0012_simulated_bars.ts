import { sql, type Kysely } from "kysely";

/**
 * Bars of the simulated market say so: source 'simulated' (its live bars and its simulated
 * past), never 'databento' or 'trades', which stand for real data. Existing SIM rows are relabelled.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ohlcv_1m drop constraint if exists ohlcv_1m_source_check`.execute(db);
  await sql`update ohlcv_1m set source = 'simulated' where dataset = 'SIM'`.execute(db);
  await sql`alter table ohlcv_1m add constraint ohlcv_1m_source_check check (source in ('databento', 'trades', 'simulated'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table ohlcv_1m drop constraint if exists ohlcv_1m_source_check`.execute(db);
  await sql`update ohlcv_1m set source = 'trades' where source = 'simulated'`.execute(db);
  await sql`alter table ohlcv_1m add constraint ohlcv_1m_source_check check (source in ('databento', 'trades'))`.execute(
    db,
  );
}
