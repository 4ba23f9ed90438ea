import { tradingDayEnd } from "../instruments/trading-hours";
import type { Nanos } from "./bar";

/** One root's traded volume at each price since its session opened (or since this process saw it). */
interface Profile {
  /** The trading day's end (the next 17:00 CT open): a print at or after it starts a new profile. */
  endMs: number;
  /** The first print counted: the session's open, or a restart's first print. */
  sinceMs: number;
  /** The newest print counted: a page adds only the prints after it to what it fetched. */
  lastMs: number;
  byPrice: Map<Nanos, number>;
}

/**
 * Volume at price for the session, per root (the price ladder's volume column): every print's
 * size added to its price. A print costs one map lookup; a new trading day starts empty.
 */
export class SessionVolume {
  private readonly profiles = new Map<string, Profile>();

  add(root: string, price: Nanos, size: number, tsMs: number): void {
    let p = this.profiles.get(root);
    if (!p || tsMs >= p.endMs) {
      p = { endMs: tradingDayEnd(tsMs), sinceMs: tsMs, lastMs: tsMs, byPrice: new Map() };
      this.profiles.set(root, p);
    }
    if (tsMs > p.lastMs) p.lastMs = tsMs;
    p.byPrice.set(price, (p.byPrice.get(price) ?? 0) + size);
  }

  /**
   * The newest session's profile, prices ascending. The feed's own clock decides when a day ends
   * (a replayed or simulated feed runs on its prints' time): the next session's first print.
   */
  profile(root: string): { sinceMs: number | null; lastMs: number | null; levels: [Nanos, number][] } {
    const p = this.profiles.get(root);
    if (!p) return { sinceMs: null, lastMs: null, levels: [] };
    return { sinceMs: p.sinceMs, lastMs: p.lastMs, levels: [...p.byPrice].sort((a, b) => a[0] - b[0]) };
  }
}
