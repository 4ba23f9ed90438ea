import type { ArchivedBar } from "../../persistence/repositories/ohlcv-repo";
import { atr, type AtrResult, type AtrSettings } from "../bars/atr";
import type { Bar } from "../bars/bar";
import type { PriceBus } from "../bus/price-bus";
import type { ArchiveService } from "./archive-service";

const KEEP = 2_000;

/**
 * Recent one-minute bars per symbol for ATR and charts: the archive (stored plus not yet
 * written) for archived symbols, a bounded in-memory window of live bars for the others.
 */
export class BarHistory {
  private readonly live = new Map<string, Bar[]>();

  constructor(
    private readonly archive: ArchiveService,
    private readonly rootOf: (instrumentId: number) => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  attach(bus: PriceBus): void {
    bus.subscribe({ bar: (b) => this.onBar(b) });
  }

  onBar(b: Bar): void {
    if (b.interval !== "1m") return;
    const root = this.rootOf(b.instrumentId);
    if (!root) return;
    let list = this.live.get(root);
    if (!list) this.live.set(root, (list = []));
    const last = list[list.length - 1];
    if (last && last.startMs === b.startMs) {
      // Databento's bar for the minute replaces ours, never the reverse.
      if (b.source === "databento" || last.source === "trades") list[list.length - 1] = b;
      return;
    }
    if (last && b.startMs < last.startMs) return;
    list.push(b);
    if (list.length > KEEP * 1.5) list.splice(0, list.length - KEEP);
  }

  /** The newest `count` one-minute bars, oldest first. */
  async recent(root: string, count: number): Promise<readonly Bar[]> {
    if (this.archive.symbols.includes(root)) return (await this.archive.recent(root, count)).map(toBar);
    return (this.live.get(root) ?? []).slice(-count);
  }

  /** ATR of a symbol with a trader's settings; "unavailable" with the reason, never 0. */
  async atr(root: string, s: AtrSettings): Promise<AtrResult> {
    const bars = await this.recent(root, Math.max(s.lookback, 2 * s.period));
    return atr(bars, { maxAgeMs: 4 * 86_400_000, ...s }, this.now());
  }
}

function toBar(b: ArchivedBar): Bar {
  return {
    instrumentId: b.instrumentId,
    interval: "1m",
    startMs: b.startMs,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    source: b.source,
  };
}
