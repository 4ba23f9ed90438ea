import { concatBytes } from "../../shared/bytes";
import type { ArchivedBar } from "../../persistence/repositories/ohlcv-repo";
import { barToCsv, CSV_HEADER } from "../../persistence/repositories/ohlcv-repo";
import { ohlcvRecord } from "../bars/ohlcv-record";
import { schemaCode, stypeCode } from "../dbn/constants";
import { encodeMetadata } from "../dbn/metadata";
import { encodeRecord } from "../dbn/record-codec";

/** A range of archived bars as CSV (decimal prices, ISO-8601 UTC times), header first. */
export function barsToCsv(bars: readonly ArchivedBar[]): string {
  return [CSV_HEADER, ...bars.map(barToCsv)].join("\n") + "\n";
}

/**
 * The same range as a DBN v3 ohlcv-1m stream, readable by Databento's own tools: the continuous
 * symbol in the header and a mapping interval per contract the bars came from.
 */
export function barsToDbn(
  symbol: string,
  dataset: string,
  bars: readonly ArchivedBar[],
  fromMs: number,
  toMs: number,
  requested = `${symbol}.v.0`,
): Uint8Array {
  const intervals: { start_date: number; end_date: number; symbol: string }[] = [];
  const ymd = (ms: number) => Number(new Date(ms).toISOString().slice(0, 10).replaceAll("-", ""));
  for (const b of bars) {
    const last = intervals[intervals.length - 1];
    const day = ymd(b.startMs);
    if (last && last.symbol === String(b.instrumentId)) last.end_date = ymd(b.startMs + 86_400_000);
    else intervals.push({ start_date: day, end_date: ymd(b.startMs + 86_400_000), symbol: String(b.instrumentId) });
  }
  const head = encodeMetadata({
    dataset,
    schema: schemaCode("ohlcv-1m"),
    start: BigInt(fromMs) * 1_000_000n,
    end: BigInt(toMs) * 1_000_000n,
    stype_in: stypeCode("continuous"),
    stype_out: stypeCode("instrument_id"),
    symbols: [requested],
    not_found: bars.length ? [] : [requested],
    mappings: bars.length ? [{ raw_symbol: requested, intervals }] : [],
  });
  const parts: Uint8Array[] = [head];
  for (const b of bars) {
    parts.push(encodeRecord(ohlcvRecord(b.instrumentId, b), 3));
  }
  return concatBytes(parts);
}
