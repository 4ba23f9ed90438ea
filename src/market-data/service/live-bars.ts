import type { Bar } from "../bars/bar";
import { BarAggregator, barTimeMs } from "../bars/bar-aggregator";
import type { TradeTick } from "../bus/price-bus";
import { SessionVolume } from "../bars/session-volume";

/** One-second bars kept per root for charts: 15 minutes. */
const SECONDS_KEPT = 900;

/**
 * The bars built here from the feed's prints: 1 s and 1 min per instrument (each closed bar goes
 * to `onBar`, i.e. the bus), and the last ~15 minutes of 1-second bars per root for charts.
 */
export class LiveBars {
  private readonly bars1s: BarAggregator;
  private readonly bars1m: BarAggregator;
  private readonly seconds = new Map<string, Readonly<Bar>[]>();

  constructor(
    onBar: (b: Bar) => void,
    /** instrument_id → root (the service's map; a roll maps two ids to one root). */
    private readonly rootById: ReadonlyMap<number, string>,
  ) {
    this.bars1s = new BarAggregator("1s", onBar);
    this.bars1m = new BarAggregator("1m", onBar);
  }

  /** Volume at price for each root's session (the price ladder's volume column). */
  readonly volume = new SessionVolume();

  onTrade(t: TradeTick): void {
    const root = this.rootById.get(t.instrumentId);
    if (root !== undefined) this.volume.add(root, t.price, t.size, t.tsMs);
    this.bars1s.onTrade(t.instrumentId, barTimeMs(t), t.price, t.size);
    this.bars1m.onTrade(t.instrumentId, barTimeMs(t), t.price, t.size);
  }

  /** Bars whose interval is over by `nowMs` close, prints or not. */
  closeDue(nowMs: number): void {
    this.bars1s.closeDue(nowMs);
    this.bars1m.closeDue(nowMs);
  }

  /** The one-minute bar still forming for a root (charts draw it), if any. */
  formingBar(root: string): Readonly<Bar> | undefined {
    return this.forming(this.bars1m, root);
  }

  /** The newest bar an aggregator is building for any instrument id mapped to a root (a roll maps two). */
  private forming(bars: BarAggregator, root: string): Readonly<Bar> | undefined {
    let newest: Readonly<Bar> | undefined;
    for (const [id, r] of this.rootById) {
      if (r !== root) continue;
      const b = bars.current(id);
      if (b && (!newest || b.startMs > newest.startMs)) newest = b;
    }
    return newest;
  }

  /** Closed one-second bars of the last ~15 minutes and the one forming, oldest first (charts' 1-second view). */
  recentSeconds(root: string, count: number): Readonly<Bar>[] {
    const kept = this.seconds.get(root) ?? [];
    const out = kept.slice(Math.max(0, kept.length - count));
    const forming = this.forming(this.bars1s, root);
    if (forming && (!out.length || forming.startMs > out[out.length - 1]!.startMs)) out.push({ ...forming });
    return out;
  }

  keepSecond(root: string, b: Readonly<Bar>): void {
    let list = this.seconds.get(root);
    if (!list) this.seconds.set(root, (list = []));
    list.push(b);
    // Trimmed in batches so a bar costs O(1) amortised.
    if (list.length > SECONDS_KEPT + 100) list.splice(0, list.length - SECONDS_KEPT);
  }
}
