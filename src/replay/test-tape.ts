import { RType, schemaCode } from "../market-data/dbn/constants";
import { encodeMetadata, type Metadata } from "../market-data/dbn/metadata";
import { encodeRecord, type DbnRecord } from "../market-data/dbn/record-codec";
import { concatBytes } from "../shared/bytes";

/** Instrument ids the test tapes use, with the symbols their headers map them to. */
export const TAPE_IDS: Record<string, number> = { ES: 101, MES: 102, NQ: 103, MNQ: 104, CL: 105, GC: 106 };

export interface TapePrint {
  symbol: string;
  tsMs: number;
  price: number;
  size?: number;
}

/** The header of a test tape: its symbols mapped (continuous c.0) to their TAPE_IDS. */
export function tapeMetadata(
  prints: readonly TapePrint[],
  opts: { version?: number; schema?: "trades" | "mbp-1" } = {},
): Metadata {
  const symbols = [...new Set(prints.map((p) => p.symbol))];
  return {
    version: opts.version ?? 3,
    dataset: "GLBX.MDP3",
    schema: schemaCode(opts.schema ?? "trades"),
    start: BigInt(prints[0]?.tsMs ?? 0) * 1_000_000n,
    end: BigInt((prints.at(-1)?.tsMs ?? 0) + 1) * 1_000_000n,
    limit: 0n,
    stype_in: 3,
    stype_out: 0,
    ts_out: false,
    symbol_cstr_len: 71,
    symbols: symbols.map((s) => `${s}.c.0`),
    partial: [],
    not_found: [],
    mappings: symbols.map((s) => ({
      raw_symbol: `${s}.c.0`,
      intervals: [{ start_date: 20200101, end_date: 20400101, symbol: String(TAPE_IDS[s]) }],
    })),
  };
}

/** The prints as DBN trade (or MBP-1) records; ts_recv 1 µs after ts_event. */
export function tapeRecords(prints: readonly TapePrint[], opts: { schema?: "trades" | "mbp-1" } = {}): DbnRecord[] {
  const mbp = opts.schema === "mbp-1";
  return prints.map((p) => {
    const price = BigInt(Math.round(p.price * 1e9));
    return {
      hd: {
        rtype: mbp ? RType.MBP_1 : RType.MBP_0,
        publisher_id: 1,
        instrument_id: TAPE_IDS[p.symbol]!,
        ts_event: BigInt(p.tsMs) * 1_000_000n,
      },
      price,
      size: p.size ?? 1,
      action: "T",
      side: "B",
      flags: 128,
      depth: 0,
      ts_recv: BigInt(p.tsMs) * 1_000_000n + 1000n,
      ts_in_delta: 1,
      sequence: 1,
      ...(mbp
        ? { levels: [{ bid_px: price - 250_000_000n, ask_px: price, bid_sz: 10, ask_sz: 12, bid_ct: 1, ask_ct: 1 }] }
        : {}),
    };
  });
}

/** A real DBN (v3) trades file, as Databento's Historical API would send it, for tests and benches. */
export function tradesDbn(
  prints: readonly TapePrint[],
  opts: { version?: number; schema?: "trades" | "mbp-1" } = {},
): Uint8Array {
  return concatBytes([
    encodeMetadata(tapeMetadata(prints, opts)),
    ...tapeRecords(prints, opts).map((r) => encodeRecord(r, opts.version ?? 3)),
  ]);
}

/** A seeded random walk on a tick grid: one print every `everyMs`, for `count` prints. */
export function walk(
  symbol: string,
  startMs: number,
  count: number,
  opts: { start: number; tick: number; everyMs?: number; seed?: number },
): TapePrint[] {
  let x = opts.seed ?? 7;
  const rnd = () => (x = (x * 1103515245 + 12345) >>> 0) / 4294967296;
  let ticks = Math.round(opts.start / opts.tick);
  const out: TapePrint[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    ticks += r < 0.35 ? -1 : r > 0.65 ? 1 : 0;
    out.push({
      symbol,
      tsMs: startMs + i * (opts.everyMs ?? 1000),
      price: Number((ticks * opts.tick).toFixed(6)),
      size: 1 + Math.floor(rnd() * 5),
    });
  }
  return out;
}
