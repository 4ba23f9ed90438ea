import { sql, type Kysely, type Selectable } from "kysely";
import { decimalToNanos, nanosToDecimal } from "../../shared/price-format";
import type { Database, Ohlcv1mTable } from "../database";

/** A stored one-minute bar; prices in 1e-9 units as exact JS numbers (see bars/bar.ts). */
export interface ArchivedBar {
  /** GLBX.MDP3, or SIM for the simulated market. */
  dataset: string;
  symbol: string;
  startMs: number;
  contract: string;
  instrumentId: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** See Bar.source; every bar of dataset SIM is "simulated" (migrations/0012). */
  source: "databento" | "trades" | "simulated";
}

/**
 * Idempotent bulk upsert: each chunk is one statement with the columns sent as arrays and
 * unnested server-side (prices as integer nanos, times as epoch ms: short to send, exact to
 * convert), and a few chunks run at once on separate connections. A Databento bar replaces a
 * trades-built one; never the reverse. Chunks are disjoint, so concurrent ones never contend.
 */
export async function upsertBars(
  db: Kysely<Database>,
  bars: readonly ArchivedBar[],
  chunk = 10_000,
  concurrency = 3,
): Promise<number> {
  let written = 0;
  let next = 0;
  const worker = async () => {
    while (next < bars.length) {
      const part = bars.slice(next, next + chunk);
      next += chunk;
      const res = await sql`
        insert into ohlcv_1m (dataset, symbol, ts, contract, instrument_id, open, high, low, close, volume, source)
        select d, s, timestamptz 'epoch' + t * interval '1 millisecond', c, i,
               o::numeric / 1000000000, h::numeric / 1000000000, l::numeric / 1000000000, cl::numeric / 1000000000, v, src
        from unnest(
          ${part.map((b) => b.dataset)}::text[], ${part.map((b) => b.symbol)}::text[], ${part.map((b) => b.startMs)}::int8[], ${part.map((b) => b.contract)}::text[],
          ${part.map((b) => b.instrumentId)}::int8[], ${part.map((b) => b.open)}::int8[], ${part.map((b) => b.high)}::int8[],
          ${part.map((b) => b.low)}::int8[], ${part.map((b) => b.close)}::int8[], ${part.map((b) => b.volume)}::int8[],
          ${part.map((b) => b.source)}::text[]) as u(d, s, t, c, i, o, h, l, cl, v, src)
        on conflict (dataset, symbol, ts) do update set
          contract = excluded.contract, instrument_id = excluded.instrument_id, open = excluded.open, high = excluded.high,
          low = excluded.low, close = excluded.close, volume = excluded.volume, source = excluded.source
        where ohlcv_1m.source = 'trades' or excluded.source = 'databento'`.execute(db);
      written += Number(res.numAffectedRows ?? 0n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(bars.length / chunk)) }, worker));
  return written;
}

export async function lastBarTime(db: Kysely<Database>, dataset: string, symbol: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("ohlcv_1m")
    .select((eb) => eb.fn.max("ts").as("ts"))
    .where("dataset", "=", dataset)
    .where("symbol", "=", symbol)
    .executeTakeFirst();
  return row?.ts ? new Date(row.ts).getTime() : undefined;
}

/** One symbol's archived bars in a dataset, to be narrowed and ordered. */
const barsOf = (db: Kysely<Database>, dataset: string, symbol: string) =>
  db.selectFrom("ohlcv_1m").selectAll().where("dataset", "=", dataset).where("symbol", "=", symbol);

/** Bars with startMs in [fromMs, toMs), oldest first. */
export async function barsBetween(
  db: Kysely<Database>,
  dataset: string,
  symbol: string,
  fromMs: number,
  toMs: number,
  limit = 100_000,
): Promise<ArchivedBar[]> {
  const rows = await barsOf(db, dataset, symbol)
    .where("ts", ">=", new Date(fromMs))
    .where("ts", "<", new Date(toMs))
    .orderBy("ts")
    .limit(limit)
    .execute();
  return rows.map(fromRow);
}

function fromRow(r: Selectable<Ohlcv1mTable>): ArchivedBar {
  return {
    dataset: r.dataset,
    symbol: r.symbol,
    startMs: new Date(r.ts).getTime(),
    contract: r.contract,
    instrumentId: Number(r.instrument_id),
    open: decimalToNanos(String(r.open)),
    high: decimalToNanos(String(r.high)),
    low: decimalToNanos(String(r.low)),
    close: decimalToNanos(String(r.close)),
    volume: Number(r.volume),
    source: r.source,
  };
}

/** The newest `count` bars, oldest first (what ATR reads). */
export async function latestBars(
  db: Kysely<Database>,
  dataset: string,
  symbol: string,
  count: number,
): Promise<ArchivedBar[]> {
  const rows = await barsOf(db, dataset, symbol).orderBy("ts", "desc").limit(count).execute();
  return rows.reverse().map(fromRow);
}

export const CSV_HEADER = "ts_event,symbol,contract,instrument_id,open,high,low,close,volume,source";

export function barToCsv(b: ArchivedBar): string {
  return [
    new Date(b.startMs).toISOString(),
    b.symbol,
    b.contract,
    b.instrumentId,
    nanosToDecimal(b.open),
    nanosToDecimal(b.high),
    nanosToDecimal(b.low),
    nanosToDecimal(b.close),
    b.volume,
    b.source,
  ].join(",");
}

// Their home is shared/price-format.ts; re-exported for the callers that know them from here.
export { decimalToNanos, nanosToDecimal };
