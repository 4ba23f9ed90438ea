import { nanosToPoints } from "../../shared/fixed-point";

/**
 * Prices on the hot path are JS numbers of 1e-9 units ("nanos", the DBN scale): exact integers
 * for every futures price (< 2^53, i.e. below 9,007,199.254740991), so comparisons are exact
 * and no BigInt is allocated per trade.
 */
export type Nanos = number;

export type BarInterval = "1s" | "1m";
export const INTERVAL_MS: Record<BarInterval, number> = { "1s": 1_000, "1m": 60_000 };

/** Open, high, low, close and volume of an interval. */
export interface OhlcvRow {
  /** Start of the interval (inclusive), UTC ms — stamped at the open, as Databento does. */
  startMs: number;
  open: Nanos;
  high: Nanos;
  low: Nanos;
  close: Nanos;
  volume: number;
}

export interface Bar extends OhlcvRow {
  instrumentId: number;
  interval: BarInterval;
  /**
   * Built here from trades, Databento's own bar (which replaces ours), or a bar of the simulated
   * market (its live bars and its simulated past, dataset SIM: never real data).
   */
  source: "trades" | "databento" | "simulated";
}

/** A bar as charts and JSON answers carry it: start time and prices in points (for display only). */
export interface BarPoints {
  ts: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

export function barPoints(b: Readonly<OhlcvRow>): BarPoints {
  return {
    ts: b.startMs,
    o: nanosToPoints(b.open),
    h: nanosToPoints(b.high),
    l: nanosToPoints(b.low),
    c: nanosToPoints(b.close),
    v: b.volume,
  };
}
