import { INTERVAL_MS, type Bar, type BarInterval, type Nanos } from "./bar";

/** A ts_recv of UNDEF_TIMESTAMP (u64 max), in ms: the record has no receive time. */
const UNDEF_MS = 18_446_744_073_709;

/**
 * The time a print counts in for bars: its ts_recv where the record carries one, else its
 * ts_event. Databento builds its OHLCV bars this way — a bar's ts_event is the start of its
 * interval, and trades fall into intervals by their ts_recv (docs: schemas/ohlcv) — so a print
 * stamped just before a boundary but received after it lands in the same bar on both sides.
 */
export function barTimeMs(t: { tsMs: number; recvMs?: number }): number {
  return t.recvMs !== undefined && t.recvMs < UNDEF_MS ? t.recvMs : t.tsMs;
}

/**
 * Trades into OHLCV bars per instrument and interval. A bar is emitted when a trade of a later
 * interval arrives or when `closeDue(now)` sees its interval over; intervals without trades get
 * no bar. A print stamped before the open bar's start (late) is folded into the open bar rather
 * than reopening one already emitted, and counted.
 */
export class BarAggregator {
  private readonly open = new Map<number, Bar>();
  /** The open bar of the last instrument traded (a feed sends runs of one): spares the map lookup. */
  private lastId = -1;
  private lastBar: Bar | undefined;
  private readonly ms: number;
  latePrints = 0;

  constructor(
    readonly interval: BarInterval,
    private readonly emit: (bar: Bar) => void,
  ) {
    this.ms = INTERVAL_MS[interval];
  }

  onTrade(instrumentId: number, tsMs: number, price: Nanos, size: number): void {
    const start = tsMs - (tsMs % this.ms);
    let bar = this.lastBar;
    if (instrumentId !== this.lastId) {
      bar = this.open.get(instrumentId);
      this.lastId = instrumentId;
      this.lastBar = bar;
    }
    if (bar && start > bar.startMs) {
      this.emit(bar);
      this.open.delete(instrumentId);
    } else if (bar) {
      if (start < bar.startMs) this.latePrints++;
      if (price > bar.high) bar.high = price;
      if (price < bar.low) bar.low = price;
      bar.close = price;
      bar.volume += size;
      return;
    }
    const fresh: Bar = {
      instrumentId,
      interval: this.interval,
      startMs: start,
      open: price,
      high: price,
      low: price,
      close: price,
      volume: size,
      source: "trades",
    };
    this.open.set(instrumentId, fresh);
    this.lastId = instrumentId;
    this.lastBar = fresh;
  }

  /** Emits every open bar whose interval ended at or before `nowMs`. */
  closeDue(nowMs: number): void {
    for (const [id, bar] of this.open) {
      if (bar.startMs + this.ms <= nowMs) {
        this.emit(bar);
        this.open.delete(id);
        if (id === this.lastId) this.lastBar = undefined;
      }
    }
  }

  /** The bar being built, for charts that draw the forming candle. */
  current(instrumentId: number): Readonly<Bar> | undefined {
    return this.open.get(instrumentId);
  }
}
