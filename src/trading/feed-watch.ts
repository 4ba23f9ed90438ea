import type { TradingEngine } from "./engine/engine";
import type { FeedInput } from "./engine/types";

/** No print for this long while the market is open: the symbol's positions are unprotected (R7.1). */
export const SILENT_MS = 60_000;
/**
 * The feed must be out this long before it counts as down: a start-up's "connecting" or a
 * reconnect that succeeds at once would otherwise raise and clear the alarm in a second.
 */
export const FEED_GRACE_MS = 5_000;

export interface FeedWatchSource {
  /** The feed delivers: state `live` (false for FEED=off). */
  delivering(): boolean;
  /** Time (ms) of the symbol's latest print, if it has printed since the process started. */
  lastPrintMs(symbol: string): number | undefined;
  /** Globex hours (trading-hours.ts): a closed market is silent by nature. */
  marketOpen(nowMs: number): boolean;
  /** Symbols with an open position on the live engine (paper and live accounts). */
  openSymbols(): Iterable<string>;
  /** The engine's own view: down since when, if it has the symbol down now. */
  downSince(symbol: string): number | undefined;
}

interface Seen {
  /** The print time last read. */
  printMs: number | undefined;
  /**
   * When that print was seen (our clock: prints replayed after a reconnect carry their old
   * times); on the first look, the print's own time (a symbol quiet for a while is quiet now).
   */
  printSeenMs: number | undefined;
  firstLookMs: number;
  /** Said "down" at this print: one alarm per outage, and an outage ends with a print. */
  reported?: { printMs: number | undefined };
}

/**
 * Decides, once a second, which symbols' feeds are down (docs/trading-rules.md R7.1) and says
 * so to the engine as `feed` inputs. Pure logic over a source: no timers, no I/O.
 */
export class FeedWatch {
  private readonly seen = new Map<string, Seen>();
  private outSince: number | undefined;
  /** When the market was last seen to open: the hours it was closed are no silence. */
  private openedAt = -Infinity;
  private wasOpen: boolean | undefined;

  constructor(private readonly src: FeedWatchSource) {}

  check(nowMs: number): FeedInput[] {
    const delivering = this.src.delivering();
    if (delivering) this.outSince = undefined;
    else this.outSince ??= nowMs;
    const out = this.outSince;
    const feedDown = out !== undefined && nowMs - out >= FEED_GRACE_MS;
    const open = this.src.marketOpen(nowMs);
    if (open && this.wasOpen === false) this.openedAt = nowMs;
    this.wasOpen = open;
    const inputs: FeedInput[] = [];
    const symbols = new Set(this.src.openSymbols());
    for (const s of this.seen.keys()) if (!symbols.has(s)) this.seen.delete(s);
    for (const symbol of symbols) {
      const printMs = this.src.lastPrintMs(symbol);
      let st = this.seen.get(symbol);
      if (!st) this.seen.set(symbol, (st = { printMs, printSeenMs: printMs, firstLookMs: nowMs }));
      else if (printMs !== st.printMs) {
        st.printMs = printMs;
        st.printSeenMs = nowMs;
      }
      // Never printed here: silent from the first look (a fresh start is not an outage yet).
      const quietSince = st.printSeenMs === undefined ? st.firstLookMs : Math.max(st.printSeenMs, printMs ?? 0);
      const silent = nowMs - Math.max(quietSince, this.openedAt) >= SILENT_MS;
      // A print seen after the feed went out: it delivers this symbol after all (no flapping).
      const down = (feedDown && (st.printSeenMs === undefined || st.printSeenMs <= out!)) || (open && silent);
      const engineDown = this.src.downSince(symbol) !== undefined;
      if (down && !engineDown && (!st.reported || st.reported.printMs !== printMs)) {
        st.reported = { printMs };
        inputs.push({ type: "feed", symbol, up: false, sinceMs: printMs ?? out ?? st.firstLookMs, tsMs: nowMs });
      } else if (!down && engineDown && delivering && !silent) {
        // Prints flow again; the engine normally saw the first one itself (it brings the symbol up).
        inputs.push({ type: "feed", symbol, up: true, sinceMs: printMs ?? nowMs, tsMs: nowMs });
      }
      if (!down) st.reported = undefined;
    }
    return inputs;
  }
}

/** What `/healthz` and the status bar say: open positions without prices, by symbol, oldest outage first. */
export function unprotected(engine: TradingEngine, include: (accountId: number) => boolean = () => true) {
  const symbols = new Map<string, number>();
  const keys: { accountId: number; symbol: string }[] = [];
  for (const p of engine.allPositions()) {
    if (p.qty === 0 || !include(p.accountId)) continue;
    const since = engine.feedDownSince(p.symbol);
    if (since === undefined) continue;
    symbols.set(p.symbol, since);
    keys.push({ accountId: p.accountId, symbol: p.symbol });
  }
  const sorted = [...symbols].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return {
    positions: keys.length,
    keys,
    symbols: sorted.map(([s]) => s),
    sinceMs: sorted.length ? sorted[0]![1] : null,
  };
}
