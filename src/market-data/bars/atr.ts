import type { Bar } from "./bar";

export type AtrMethod = "simple" | "wilder";

export interface AtrSettings {
  method: AtrMethod;
  period: number;
  /** Bars looked at (minutes for 1-minute bars); at least 2 × period are used, as the original did. */
  lookback: number;
  /** Bars older than this (relative to `nowMs`) make the ATR stale, hence unavailable. */
  maxAgeMs?: number;
}

export const DEFAULT_ATR: AtrSettings = { method: "simple", period: 14, lookback: 390 };

export type AtrResult =
  | { available: true; value: number; bars: number; method: AtrMethod; period: number }
  | { available: false; reason: string };

/**
 * Average true range over 1-minute bars (oldest first), in the bars' price units. Never 0 for
 * lack of data: too few or stale bars give `available: false` with the reason, so a stop is
 * refused instead of being placed at the entry.
 */
export function atr(bars: readonly Bar[], s: AtrSettings, nowMs?: number): AtrResult {
  if (!Number.isInteger(s.period) || s.period < 1)
    return { available: false, reason: "ATR period must be a whole number ≥ 1" };
  const window = bars.slice(-Math.max(s.lookback, 2 * s.period));
  const need = s.period + 1;
  if (window.length < need) {
    return { available: false, reason: `ATR(${s.period}) needs ${need} one-minute bars, ${window.length} available` };
  }
  const last = window[window.length - 1]!;
  if (nowMs !== undefined && s.maxAgeMs !== undefined && nowMs - last.startMs > s.maxAgeMs) {
    return { available: false, reason: `newest bar is ${Math.round((nowMs - last.startMs) / 60_000)} min old` };
  }
  const tr: number[] = [];
  for (let i = 1; i < window.length; i++) {
    const b = window[i]!;
    const prevClose = window[i - 1]!.close;
    tr.push(Math.max(b.high - b.low, Math.abs(b.high - prevClose), Math.abs(b.low - prevClose)));
  }
  let value: number;
  if (s.method === "simple") {
    const lastN = tr.slice(-s.period);
    value = lastN.reduce((a, b) => a + b, 0) / s.period;
  } else {
    value = tr.slice(0, s.period).reduce((a, b) => a + b, 0) / s.period;
    for (let i = s.period; i < tr.length; i++) value = (value * (s.period - 1) + tr[i]!) / s.period;
  }
  if (!(value > 0))
    return { available: false, reason: "the market has not moved in the lookback window (true range 0)" };
  return { available: true, value, bars: window.length, method: s.method, period: s.period };
}
