/** DBN constants (docs/databento.md §1, §4, §7). */

export const UNDEF_PRICE = 0x7fff_ffff_ffff_ffffn;
export const UNDEF_TIMESTAMP = 0xffff_ffff_ffff_ffffn;
export const UNDEF_ORDER_SIZE = 0xffff_ffff;
export const MAX_RECORD_SIZE = 255 * 4;
export const HEADER_SIZE = 16;

export const RType = {
  MBP_0: 0x00,
  MBP_1: 0x01,
  MBP_10: 0x0a,
  OHLCV_DEPRECATED: 0x11,
  STATUS: 0x12,
  INSTRUMENT_DEF: 0x13,
  IMBALANCE: 0x14,
  ERROR: 0x15,
  SYMBOL_MAPPING: 0x16,
  SYSTEM: 0x17,
  STATISTICS: 0x18,
  OHLCV_1S: 0x20,
  OHLCV_1M: 0x21,
  OHLCV_1H: 0x22,
  OHLCV_1D: 0x23,
  OHLCV_EOD: 0x24,
  MBO: 0xa0,
  CMBP_1: 0xb1,
  CBBO_1S: 0xc0,
  CBBO_1M: 0xc1,
  TCBBO: 0xc2,
  BBO_1S: 0xc3,
  BBO_1M: 0xc4,
} as const;

export const SCHEMAS = [
  "mbo",
  "mbp-1",
  "mbp-10",
  "tbbo",
  "trades",
  "ohlcv-1s",
  "ohlcv-1m",
  "ohlcv-1h",
  "ohlcv-1d",
  "definition",
  "statistics",
  "status",
  "imbalance",
  "ohlcv-eod",
  "cmbp-1",
  "cbbo-1s",
  "cbbo-1m",
  "tcbbo",
  "bbo-1s",
  "bbo-1m",
] as const;
export type SchemaName = (typeof SCHEMAS)[number];

export const STYPES = [
  "instrument_id",
  "raw_symbol",
  "smart",
  "continuous",
  "parent",
  "nasdaq_symbol",
  "cms_symbol",
  "isin",
  "us_code",
  "bbg_comp_id",
  "bbg_comp_ticker",
  "figi",
  "figi_ticker",
] as const;

export function schemaName(code: number | null): string | null {
  return code === null ? null : (SCHEMAS[code] ?? `schema#${code}`);
}

export function schemaCode(name: string): number {
  const i = (SCHEMAS as readonly string[]).indexOf(name);
  if (i < 0) throw new RangeError(`unknown schema "${name}"`);
  return i;
}

export function stypeName(code: number | null): string | null {
  return code === null ? null : (STYPES[code] ?? `stype#${code}`);
}

export function stypeCode(name: string): number {
  const i = (STYPES as readonly string[]).indexOf(name);
  if (i < 0) throw new RangeError(`unknown stype "${name}"`);
  return i;
}

/** The record types a schema's stream is made of (for filtering a mixed file). */
export const SCHEMA_RTYPES: Record<string, readonly number[]> = {
  mbo: [RType.MBO],
  "mbp-1": [RType.MBP_1],
  tbbo: [RType.MBP_1],
  "mbp-10": [RType.MBP_10],
  trades: [RType.MBP_0],
  "ohlcv-1s": [RType.OHLCV_1S],
  "ohlcv-1m": [RType.OHLCV_1M],
  "ohlcv-1h": [RType.OHLCV_1H],
  "ohlcv-1d": [RType.OHLCV_1D, RType.OHLCV_DEPRECATED],
  "ohlcv-eod": [RType.OHLCV_EOD],
  definition: [RType.INSTRUMENT_DEF],
  statistics: [RType.STATISTICS],
  status: [RType.STATUS],
  imbalance: [RType.IMBALANCE],
  "cmbp-1": [RType.CMBP_1],
  tcbbo: [RType.TCBBO],
  "cbbo-1s": [RType.CBBO_1S],
  "cbbo-1m": [RType.CBBO_1M],
  "bbo-1s": [RType.BBO_1S],
  "bbo-1m": [RType.BBO_1M],
};

export const ZSTD_MAGIC = 0xfd2fb528;
export const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

export class DbnDecodeError extends Error {
  override name = "DbnDecodeError";
  constructor(
    message: string,
    /** Byte offset in the (decompressed) stream where the problem is. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}
