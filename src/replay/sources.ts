import { DbnDecodeError, RType, schemaName } from "../market-data/dbn/constants";
import { RecordCursor } from "../market-data/dbn/cursor";
import { decompressIfNeeded } from "../market-data/dbn/decoder";
import { DbnFramer } from "../market-data/dbn/framer";
import { headerLength } from "../market-data/dbn/metadata";
import { decodeRecord } from "../market-data/dbn/record-codec";
import type { OhlcvRow } from "../market-data/bars/bar";
import { resolveSymbol } from "../market-data/instruments/symbols";

/** What a replay record is: a print the engine and the bars see, or a top-of-book change. */
export const TRADE = 0;
export const QUOTE = 1;

/**
 * A replayable market, read one record at a time into the source's own fields (no object per
 * record). `reset` goes back to the first record, so a seek backwards is a fast re-read.
 */
export interface ReplaySource {
  /** Product roots; a record's `sym` indexes this list. */
  readonly symbols: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  /** Records `next` yields from start to end (progress). */
  readonly count: number;
  /** "trades", "mbp-1", "bbo-1s", "ohlcv-1m", … */
  readonly schema: string;
  /** Prints are made from bars (open, the nearer extreme, the other, close), not real trades. */
  readonly fromBars: boolean;
  /**
   * Top of book only (BBO/CBBO): nothing in the tape says a trade happened, so nothing prints —
   * no bars form, and stops, targets and resting orders are never reached.
   */
  readonly quotesOnly: boolean;
  reset(): void;
  /** Advances to the next record; false at the end. */
  next(): boolean;
  tsMs: number;
  sym: number;
  kind: number;
  /** Trade price or, for a quote, nothing; 1e-9 units. */
  price: number;
  size: number;
  bid: number;
  ask: number;
}

export class ReplaySourceError extends Error {
  override name = "ReplaySourceError";
}

/** The current record's fields, shared by every source (see ReplaySource). */
abstract class RecordFields {
  tsMs = 0;
  sym = 0;
  kind = TRADE;
  price = 0;
  size = 0;
  bid = Number.NaN;
  ask = Number.NaN;
}

/**
 * Bars as prints: each bar becomes open, the extreme nearer the open, the other extreme, and
 * close, a quarter of the interval apart, so bars rebuilt from them equal the source bars and
 * a stop between the extremes fires in the order the bar most likely traded.
 */
export class BarsSource extends RecordFields implements ReplaySource {
  readonly symbols: string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
  readonly fromBars = true;
  readonly quotesOnly = false;
  private readonly order: Int32Array; // bar index per symbol, merged by time
  private readonly orderSym: Uint8Array;
  private bar = -1;
  private leg = 4;

  constructor(
    bySymbol: ReadonlyMap<string, readonly OhlcvRow[]>,
    readonly schema = "ohlcv-1m",
    private readonly intervalMs = 60_000,
  ) {
    super();
    this.symbols = [...bySymbol.keys()];
    const lists = this.symbols.map((s) => bySymbol.get(s)!);
    const total = lists.reduce((n, l) => n + l.length, 0);
    if (total === 0) throw new ReplaySourceError("no bars in the chosen range");
    if (this.symbols.length > 255) throw new ReplaySourceError("at most 255 symbols in one replay");
    this.order = new Int32Array(total);
    this.orderSym = new Uint8Array(total);
    // k-way merge by bar start; ties keep symbol order, so every run is the same.
    const at = lists.map(() => 0);
    for (let i = 0; i < total; i++) {
      let best = -1;
      for (let s = 0; s < lists.length; s++) {
        const b = lists[s]![at[s]!];
        if (b && (best < 0 || b.startMs < lists[best]![at[best]!]!.startMs)) best = s;
      }
      this.order[i] = at[best]!++;
      this.orderSym[i] = best;
    }
    this.lists = lists;
    this.startMs = lists[this.orderSym[0]!]![this.order[0]!]!.startMs;
    const lastSym = this.orderSym[total - 1]!;
    this.endMs = lists[lastSym]![this.order[total - 1]!]!.startMs + intervalMs - 1;
    this.count = total * 4;
  }

  private readonly lists: (readonly OhlcvRow[])[];

  reset(): void {
    this.bar = -1;
    this.leg = 4;
  }

  next(): boolean {
    if (this.leg >= 4) {
      if (this.bar + 1 >= this.order.length) return false;
      this.bar++;
      this.leg = 0;
    }
    const s = this.orderSym[this.bar]!;
    const b = this.lists[s]![this.order[this.bar]!]!;
    const up = b.close >= b.open;
    const leg = this.leg++;
    this.sym = s;
    this.tsMs = b.startMs + Math.floor((leg * this.intervalMs) / 4);
    this.price = leg === 0 ? b.open : leg === 3 ? b.close : (leg === 1) === up ? b.low : b.high;
    // Volume spread over the four prints, the remainder on the close, so bars add up exactly.
    const q = Math.floor(b.volume / 4);
    this.size = leg === 3 ? b.volume - 3 * q : q;
    return true;
  }
}

const INTERVALS: Record<number, number> = {
  [RType.OHLCV_1S]: 1_000,
  [RType.OHLCV_1M]: 60_000,
  [RType.OHLCV_1H]: 3_600_000,
  [RType.OHLCV_1D]: 86_400_000,
};

/** Subsampled top of book: BBO (bbo-1s/1m) and consolidated CBBO (cbbo-1s/1m). */
const isTopOfBook = (rtype: number) =>
  rtype === RType.BBO_1S || rtype === RType.BBO_1M || rtype === RType.CBBO_1S || rtype === RType.CBBO_1M;
/** Records a replay plays: trades, book-with-trade (MBP-1/TBBO, CMBP-1/TCBBO), top of book, bars. */
const isPlayable = (rtype: number) =>
  rtype === RType.MBP_0 ||
  rtype === RType.MBP_1 ||
  rtype === RType.CMBP_1 ||
  rtype === RType.TCBBO ||
  isTopOfBook(rtype) ||
  INTERVALS[rtype] !== undefined;
/** The action byte (trades, MBP-1, CMBP-1/TCBBO): 'T' is a trade. */
const ACTION_AT = 28;
const ACTION_TRADE = 84;

/**
 * A DBN file (plain or zstd, v1–v3) of trades, MBP-1/TBBO, CMBP-1/TCBBO, BBO/CBBO-1s/1m or OHLCV,
 * read with the zero-allocation cursor. The whole file is checked when it is opened (framing,
 * lengths, instruments it can name), so a corrupt upload is refused before anything plays.
 *
 * What prints: a trade record; an MBP-1/CMBP-1 record whose action is 'T' (every TBBO/TCBBO
 * record is one); a bar, as four prints. A BBO/CBBO record is the book at the end of its
 * interval: its price and size are the session's last trade carried forward, not a trade in
 * that interval, so it is played as a quote and never as a print (docs/databento-behaviour.md).
 */
export class DbnSource extends RecordFields implements ReplaySource {
  readonly symbols: string[] = [];
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
  readonly schema: string;
  readonly fromBars: boolean;
  readonly quotesOnly: boolean;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly first: number;
  private readonly cursor = new RecordCursor();
  private readonly symOf = new Map<number, number>();
  /** The previous record's instrument: files are long runs of one, so the map is rarely asked. */
  private lastId = -1;
  private lastSym = 0;
  private offset: number;
  private leg = 4;
  private barMs = 60_000;
  /**
   * Where playable records are, so the hot loop skips the rest without looking twice; null when
   * every record is playable (the usual file), which spares the hot loop a second memory stream.
   */
  private readonly playable: Uint8Array | null;

  constructor(input: Uint8Array) {
    super();
    const bytes = decompressIfNeeded(input);
    const len = headerLength(bytes);
    if (len === undefined) throw new DbnDecodeError("not a DBN file: the header is missing or cut short", 0);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.first = len;
    this.offset = len;
    const roots = new Map<string, number>();
    const rootIndex = (root: string) => {
      let i = roots.get(root);
      if (i === undefined) {
        i = this.symbols.length;
        roots.set(root, i);
        this.symbols.push(root);
      }
      return i;
    };
    const resolve = (raw: string): number | undefined => {
      const r = resolveSymbol(raw);
      return r.ok ? rootIndex(r.value.instrument.root) : undefined;
    };
    const rtypes = new Set<number>();
    let count = 0;
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    const playable = new Uint8Array(bytes.length >>> 2);
    let played = 0;
    let trades = 0;
    const unnamed = new Set<number>();
    // The DBN framer walks the file (header, then records, lengths checked); each record is looked at once here.
    const framer = new DbnFramer({
      // Requested symbol → instrument ids (stype_out instrument_id), from the header.
      metadata: (meta) => {
        for (const m of meta.mappings) {
          const idx = resolve(m.raw_symbol);
          if (idx === undefined) continue;
          for (const iv of m.intervals) if (/^\d+$/.test(iv.symbol)) this.symOf.set(Number(iv.symbol), idx);
        }
      },
      record: (view, _bytes, off, size) => {
        const rtype = view.getUint8(off + 1);
        const id = view.getUint32(off + 4, true);
        if (rtype === RType.SYMBOL_MAPPING) {
          const rec = decodeRecord(view, bytes, off, framer.tsOut);
          const name = String(rec?.stype_in_symbol ?? rec?.stype_out_symbol ?? "");
          const idx = resolve(name) ?? resolve(String(rec?.stype_out_symbol ?? ""));
          if (idx !== undefined) this.symOf.set(id, idx);
        } else if (isPlayable(rtype)) {
          if (size < (rtype === RType.MBP_0 ? 48 : INTERVALS[rtype] !== undefined ? 56 : 80))
            throw new DbnDecodeError(`record of type 0x${rtype.toString(16)} is ${size} bytes, too short`, off);
          if (!this.symOf.has(id)) {
            unnamed.add(id);
          } else {
            playable[off >>> 2] = 1;
            played++;
            rtypes.add(rtype);
            if (
              !isTopOfBook(rtype) &&
              (rtype === RType.MBP_0 ||
                rtype === RType.TCBBO ||
                INTERVALS[rtype] !== undefined ||
                view.getUint8(off + ACTION_AT) === ACTION_TRADE)
            )
              trades++;
            const ts = this.cursor.at(view, off).tsEventMs;
            if (ts < start) start = ts;
            if (ts > end) end = ts;
            count += INTERVALS[rtype] !== undefined ? 4 : 1;
            if (INTERVALS[rtype] !== undefined) this.barMs = INTERVALS[rtype]!;
          }
        }
      },
    });
    framer.push(bytes);
    framer.finish();
    const meta = framer.metadata!;
    const records = framer.records;
    if (rtypes.size > 1 && [...rtypes].some((r) => INTERVALS[r] !== undefined))
      throw new ReplaySourceError("the file mixes bars with other records; replay one schema at a time");
    if (count === 0) {
      const why = unnamed.size
        ? `its instruments (${[...unnamed].slice(0, 5).join(", ")}) have no symbol mapping to a supported contract`
        : `it has no trades, MBP-1/TBBO, CMBP-1/TCBBO, BBO/CBBO or OHLCV records${meta.schema !== null ? ` (schema ${schemaName(meta.schema)})` : ""}`;
      throw new ReplaySourceError(`nothing to replay in this file: ${why}`);
    }
    this.playable = played < records ? playable : null;
    this.cursor.at(this.view, this.first);
    this.count = count;
    this.startMs = start;
    this.endMs = end;
    const only = [...rtypes][0]!;
    this.fromBars = INTERVALS[only] !== undefined;
    this.quotesOnly = trades === 0;
    this.schema = meta.schema !== null ? (schemaName(meta.schema) ?? "mixed") : "mixed";
  }

  reset(): void {
    this.offset = this.first;
    this.leg = 4;
  }

  next(): boolean {
    const c = this.cursor;
    if (this.leg < 4) return this.barLeg(c);
    const view = this.view;
    const n = this.bytes.length;
    let off = this.offset;
    const playable = this.playable;
    while (off < n) {
      const size = view.getUint8(off) * 4;
      if (playable === null || playable[off >>> 2] === 1) {
        this.offset = off + size;
        c.offset = off; // the cursor reads this.view since the constructor
        const id = c.instrumentId;
        if (id !== this.lastId) {
          this.lastId = id;
          this.lastSym = this.symOf.get(id)!;
        }
        this.sym = this.lastSym;
        this.tsMs = c.tsEventMs;
        const rtype = c.rtype;
        if (rtype === RType.MBP_0) {
          this.kind = TRADE;
          this.price = c.price;
          this.size = c.size32;
          return true;
        }
        if (rtype === RType.MBP_1 || rtype === RType.CMBP_1 || rtype === RType.TCBBO) {
          // A trade (action 'T'; every TBBO/TCBBO record) is a print; any other action moves the book.
          this.bid = c.bidPx;
          this.ask = c.askPx;
          if (rtype === RType.TCBBO || view.getUint8(off + ACTION_AT) === ACTION_TRADE) {
            this.kind = TRADE;
            this.price = c.price;
            this.size = c.size32;
          } else this.kind = QUOTE;
          return true;
        }
        if (isTopOfBook(rtype)) {
          // The book at the interval's end. Its price/size are the session's last trade, carried
          // forward (UNDEF before the first): not a trade in this interval, so never a print.
          this.kind = QUOTE;
          this.bid = c.bidPx;
          this.ask = c.askPx;
          this.price = Number.NaN;
          this.size = 0;
          return true;
        }
        this.leg = 0;
        return this.barLeg(c);
      }
      off += size;
    }
    this.offset = n;
    return false;
  }

  private barLeg(c: RecordCursor): boolean {
    const open = c.open;
    const close = c.close;
    const leg = this.leg++;
    const up = close >= open;
    this.kind = TRADE;
    this.tsMs = c.tsEventMs + Math.floor((leg * this.barMs) / 4);
    this.price = leg === 0 ? open : leg === 3 ? close : (leg === 1) === up ? c.low : c.high;
    const v = c.volume;
    const q = Math.floor(v / 4);
    this.size = leg === 3 ? v - 3 * q : q;
    return true;
  }
}
