import { CATALOGUE, type Instrument } from "../instruments/catalogue";
import { pointsToNanos } from "../../shared/fixed-point";

/**
 * A seeded, realistic-looking market for the demo feed and tests: prices move on the tick
 * grid, volatility clusters (a GARCH(1,1)-style variance), trades hit the bid or lift the ask
 * with sizes that are mostly small and sometimes large, and mini/micro pairs share one price
 * path as they do in reality. Same seed, same clock → same events.
 */

export interface SimEvent {
  kind: "trade" | "quote";
  root: string;
  tsMs: number;
  /** 1e-9 units (see bars/bar.ts). */
  price: number;
  size: number;
  side: "A" | "B";
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}

/**
 * Where a simulated market starts: a price per root (1e-9 units; a mini/micro pair's path starts
 * from its mini's, else its micro's), e.g. where the archive's simulated past ends, so a restart
 * continues the market instead of jumping back to SIM_START_PRICE. `atMs`: when the market
 * starts (the end of that past), if not at the gateway's start.
 */
export interface SimStart {
  prices: Readonly<Record<string, number>>;
  atMs?: number;
}

/** Mid prices the demo starts from when nothing was stored yet (late-2025 levels), per mini root. */
export const SIM_START_PRICE: Record<string, number> = {
  ES: 6000,
  NQ: 21000,
  YM: 44000,
  RTY: 2400,
  CL: 60,
  GC: 4000,
  SI: 50,
  HG: 5,
  "6E": 1.16,
  BTC: 90000,
};

export class Rng {
  constructor(private s: number) {}
  /** mulberry32: small, fast, good enough for a simulation. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

interface Path {
  mini: Instrument;
  micro: Instrument;
  /** Mid in units of the finer of the two ticks. */
  midTicks: number;
  tick: number;
  variance: number;
  longRunVariance: number;
}

export class SimulatedMarket {
  private readonly rng: Rng;
  private readonly paths: Path[] = [];
  private lastMs: number;

  constructor(
    seed: number,
    startMs: number,
    roots: readonly string[] = CATALOGUE.map((i) => i.root),
    from: Readonly<Record<string, number>> = {},
  ) {
    this.rng = new Rng(seed);
    this.lastMs = startMs;
    const wanted = new Set(roots);
    for (const mini of CATALOGUE.filter((i) => i.family === "mini")) {
      const micro = CATALOGUE.find((i) => i.root === mini.pair)!;
      if (!wanted.has(mini.root) && !wanted.has(micro.root)) continue;
      const tick = Number(mini.tickSize < micro.tickSize ? mini.tickSize : micro.tickSize);
      const coarse = Number(mini.tickSize > micro.tickSize ? mini.tickSize : micro.tickSize);
      const resumed = from[mini.root] ?? from[micro.root];
      const start = resumed !== undefined && resumed > 0 ? resumed : pointsToNanos(SIM_START_PRICE[mini.root] ?? 100);
      // Annualised volatility of ~18 % spread over Globex seconds, in ticks per sqrt(second).
      const perSecond = (start * 0.18) / Math.sqrt(252 * 23 * 3600) / tick;
      this.paths.push({
        mini,
        micro,
        midTicks: Math.round(start / coarse) * (coarse / tick),
        tick,
        variance: perSecond ** 2,
        longRunVariance: perSecond ** 2,
      });
    }
  }

  /** Everything that happened between the last call and `nowMs`, in time order. */
  advance(nowMs: number): SimEvent[] {
    const out: SimEvent[] = [];
    const from = this.lastMs;
    if (nowMs <= from) return out;
    this.lastMs = nowMs;
    for (const p of this.paths) this.stepPath(p, from, nowMs, out);
    out.sort((a, b) => a.tsMs - b.tsMs);
    return out;
  }

  private stepPath(p: Path, from: number, to: number, out: SimEvent[]): void {
    const seconds = (to - from) / 1000;
    // Volatility clusters: variance reverts slowly toward its long-run level and jumps with shocks.
    const shock = this.rng.normal();
    p.variance = 0.02 * p.longRunVariance + 0.1 * p.variance * shock * shock + 0.88 * p.variance;
    const move = Math.round(this.rng.normal() * Math.sqrt(p.variance * seconds));
    p.midTicks += move;
    const activity = Math.sqrt(p.variance / p.longRunVariance);
    for (const inst of [p.mini, p.micro]) {
      const step = Number(inst.tickSize) / p.tick;
      const mid = Math.round(p.midTicks / step) * step;
      const spread = this.rng.next() < 0.9 ? step : 2 * step;
      const bid = (mid - Math.floor(spread / step / 2) * step) * p.tick;
      const ask = bid + spread * p.tick;
      const ts = from + Math.floor(this.rng.next() * (to - from));
      const q = {
        root: inst.root,
        bid,
        ask,
        bidSize: 1 + Math.floor(this.rng.next() * 40),
        askSize: 1 + Math.floor(this.rng.next() * 40),
      };
      out.push({ kind: "quote", tsMs: ts, price: 0, size: 0, side: "B", ...q });
      // Micros print more often than minis; busy markets print more.
      const rate = (inst.family === "micro" ? 6 : 3) * activity * seconds;
      const trades = rate < 1 ? (this.rng.next() < rate ? 1 : 0) : Math.round(rate);
      for (let i = 0; i < trades; i++) {
        const buy = this.rng.next() < 0.5;
        const size =
          this.rng.next() < 0.95 ? 1 + Math.floor(this.rng.next() * 5) : 10 + Math.floor(this.rng.next() * 90);
        out.push({
          kind: "trade",
          tsMs: Math.min(to - 1, ts + i),
          price: buy ? ask : bid,
          size,
          side: buy ? "B" : "A",
          ...q,
        });
      }
    }
  }
}
