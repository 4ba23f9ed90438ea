import { formatFixed } from "../../shared/fixed-point";
import { UNDEF_PRICE, UNDEF_TIMESTAMP, schemaName, stypeName } from "./constants";
import type { Metadata } from "./metadata";
import type { DbnRecord } from "./record-codec";

/**
 * JSON lines in the conventions of Databento's `dbn` tool: header under "hd", spec field names,
 * 64-bit integers and raw prices as decimal strings; `pretty` shows prices as decimals and
 * timestamps as ISO-8601 UTC with nanoseconds (null for the UNDEF sentinels).
 */
const PRICE_FIELDS = new Set([
  "price",
  "open",
  "high",
  "low",
  "close",
  "bid_px",
  "ask_px",
  "min_price_increment",
  "display_factor",
  "high_limit_price",
  "low_limit_price",
  "max_price_variation",
  "trading_reference_price",
  "unit_of_measure_qty",
  "min_price_increment_amount",
  "price_ratio",
  "strike_price",
  "leg_price",
  "ref_price",
  "cont_book_clr_price",
  "auct_interest_clr_price",
  "ssr_filling_price",
  "ind_match_price",
  "upper_collar",
  "lower_collar",
]);
const TIME_FIELDS = new Set([
  "ts_event",
  "ts_recv",
  "ts_ref",
  "ts_out",
  "expiration",
  "activation",
  "start_ts",
  "end_ts",
  "auction_time",
  "start",
  "end",
]);

export function prettyPrice(v: bigint): string | null {
  if (v === UNDEF_PRICE) return null;
  // As Databento's pretty_px: always nine decimals.
  return formatFixed(v, 9);
}

export function prettyTime(ns: bigint): string | null {
  if (ns === UNDEF_TIMESTAMP) return null;
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2020-12-28T13:00:00.098Z
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;
}

function value(key: string, v: unknown, pretty: boolean): unknown {
  if (typeof v === "bigint") {
    if (pretty && PRICE_FIELDS.has(key)) return prettyPrice(v);
    if (pretty && TIME_FIELDS.has(key)) return prettyTime(v);
    return v.toString();
  }
  if (Array.isArray(v)) return v.map((x) => object(x as Record<string, unknown>, pretty));
  if (v && typeof v === "object") return object(v as Record<string, unknown>, pretty);
  return v;
}

function object(o: Record<string, unknown>, pretty: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = value(k, v, pretty);
  return out;
}

export function recordToJson(rec: DbnRecord, pretty = false): string {
  const { hd, ...rest } = rec;
  // Header field order as the dbn tool prints it.
  const header = {
    ts_event: hd.ts_event,
    rtype: hd.rtype,
    publisher_id: hd.publisher_id,
    instrument_id: hd.instrument_id,
  };
  const body = object(rest as Record<string, unknown>, pretty);
  const ordered: Record<string, unknown> = {};
  if ("ts_recv" in body) ordered.ts_recv = body.ts_recv;
  ordered.hd = object(header, pretty);
  Object.assign(ordered, body);
  return JSON.stringify(ordered);
}

export function metadataToJson(m: Metadata, pretty = false): string {
  return JSON.stringify({
    version: m.version,
    dataset: m.dataset,
    schema: schemaName(m.schema),
    start: pretty ? prettyTime(m.start) : m.start.toString(),
    end: m.end === null ? null : pretty ? prettyTime(m.end) : m.end.toString(),
    limit: m.limit.toString(),
    stype_in: stypeName(m.stype_in),
    stype_out: stypeName(m.stype_out),
    ts_out: m.ts_out,
    symbol_cstr_len: m.symbol_cstr_len,
    symbols: m.symbols,
    partial: m.partial,
    not_found: m.not_found,
    mappings: m.mappings,
  });
}
