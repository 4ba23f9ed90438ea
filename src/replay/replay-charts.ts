import { barPoints } from "../market-data/bars/bar";
import type { Bar } from "../market-data/bars/bar";
import { BarAggregator } from "../market-data/bars/bar-aggregator";

const SECONDS_KEPT = 900;

/**
 * What a replay's browsers chart, per symbol: the last print and quote, closed one-minute bars
 * (oldest first), the last 15 minutes of one-second bars, and which of them the browser has
 * not been sent yet.
 */
export class ReplayCharts {
  readonly minutes: Bar[][];
  readonly seconds: Bar[][];
  readonly last: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  private bars1s: BarAggregator;
  private bars1m: BarAggregator;
  /** Bars closed since the last frame, per symbol (what the browser's chart has not seen). */
  private readonly sentMinutes: number[];
  private readonly sentSeconds: number[];
  private readonly secondsDropped: number[];

  constructor(readonly roots: readonly string[]) {
    const n = roots.length;
    this.minutes = roots.map(() => []);
    this.seconds = roots.map(() => []);
    this.last = new Float64Array(n).fill(Number.NaN);
    this.bid = new Float64Array(n).fill(Number.NaN);
    this.ask = new Float64Array(n).fill(Number.NaN);
    this.sentMinutes = roots.map(() => 0);
    this.sentSeconds = roots.map(() => 0);
    this.secondsDropped = roots.map(() => 0);
    this.bars1s = this.aggregator("1s");
    this.bars1m = this.aggregator("1m");
  }

  trade(sym: number, tsMs: number, price: number, size: number): void {
    this.last[sym] = price;
    this.bars1s.onTrade(sym, tsMs, price, size);
    this.bars1m.onTrade(sym, tsMs, price, size);
  }

  quote(sym: number, bid: number, ask: number): void {
    this.bid[sym] = bid;
    this.ask[sym] = ask;
  }

  closeDue(nowMs: number): void {
    this.bars1s.closeDue(nowMs);
    this.bars1m.closeDue(nowMs);
  }

  /** Back to no prints at all (a seek backward rebuilds the bars up to its time). */
  reset(): void {
    this.bars1s = this.aggregator("1s");
    this.bars1m = this.aggregator("1m");
    for (let i = 0; i < this.roots.length; i++) {
      this.minutes[i] = [];
      this.seconds[i] = [];
      this.sentMinutes[i] = 0;
      this.sentSeconds[i] = 0;
      this.secondsDropped[i] = 0;
      this.last[i] = this.bid[i] = this.ask[i] = Number.NaN;
    }
  }

  /** Per symbol, what the browser needs since the last frame: prices, new bars, the forming bars. */
  frameSymbols(): Record<string, unknown> {
    const symbols: Record<string, unknown> = {};
    for (let i = 0; i < this.roots.length; i++) {
      const m = this.minutes[i]!;
      const s = this.seconds[i]!;
      const newMinutes = m.slice(this.sentMinutes[i]!);
      const firstUnsentSecond = Math.max(0, this.sentSeconds[i]! - this.secondsDropped[i]!);
      const newSeconds = s.slice(firstUnsentSecond);
      this.sentMinutes[i] = m.length;
      this.sentSeconds[i] = this.secondsDropped[i]! + s.length;
      const fm = this.bars1m.current(i);
      const fs = this.bars1s.current(i);
      symbols[this.roots[i]!] = {
        p: num(this.last[i]!),
        b: num(this.bid[i]!),
        a: num(this.ask[i]!),
        m: [...newMinutes.slice(-600), ...(fm ? [fm] : [])].map(barPoints),
        s: [...newSeconds.slice(-SECONDS_KEPT), ...(fs ? [fs] : [])].map(barPoints),
      };
    }
    return symbols;
  }

  /** Bars so far for a chart (closed and forming), oldest first. */
  bars(symbol: string, interval: "1m" | "1s", count: number) {
    const i = this.roots.indexOf(symbol);
    if (i < 0) return [];
    const list = interval === "1m" ? this.minutes[i]! : this.seconds[i]!;
    const forming = (interval === "1m" ? this.bars1m : this.bars1s).current(i);
    return [...list.slice(-count), ...(forming ? [forming] : [])].map(barPoints);
  }

  private aggregator(interval: "1s" | "1m"): BarAggregator {
    return new BarAggregator(interval, (b) => {
      if (interval === "1m") this.minutes[b.instrumentId]!.push(b);
      else {
        const list = this.seconds[b.instrumentId]!;
        list.push(b);
        if (list.length > SECONDS_KEPT + 100) {
          const drop = list.length - SECONDS_KEPT;
          list.splice(0, drop);
          this.secondsDropped[b.instrumentId]! += drop;
        }
      }
    });
  }
}

const num = (v: number) => (Number.isNaN(v) ? null : v / 1e9);
