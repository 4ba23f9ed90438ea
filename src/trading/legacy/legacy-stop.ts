import { fixedFromNumber } from "../../shared/fixed-point";
import type { StopConfig, StopState } from "../engine/types";

/** An engine stop in the original's stop_loss JSON. */
export function stopJson(s: StopState, side: "long" | "short", tick: number): Record<string, unknown> {
  const n = (v: number) => v / 1e9;
  if (s.trailing || s.config.kind === "trailing") {
    const by = s.config.trailBy;
    return {
      type: "trailing_stop",
      stopPrice: n(s.price),
      ...(by ? { trailAmount: n(by.unit === "ticks" ? by.value * tick : by.value) } : {}),
    };
  }
  if (s.config.kind === "stop-limit") {
    const off = (s.config.limitOffsetTicks ?? 0) * tick;
    return {
      type: "stop_limit",
      stopPrice: n(s.price),
      limitPrice: n(side === "long" ? s.price - off : s.price + off),
    };
  }
  return { type: "stop", stopPrice: n(s.price) };
}

/** The original's stop_loss JSON as an engine stop (null: none). */
export function legacyStop(s: unknown, tick: number, entry: number): StopConfig | null {
  if (!s || typeof s !== "object") return null;
  const o = s as { type?: string; stopPrice?: number; limitPrice?: number; trailAmount?: number };
  const n = (v: number) => Number(fixedFromNumber(v));
  if (o.type === "stop" && o.stopPrice) return { kind: "fixed", initial: { unit: "price", value: n(o.stopPrice) } };
  if (o.type === "stop_limit" && o.stopPrice) {
    const off = o.limitPrice ? Math.round(Math.abs(n(o.stopPrice) - n(o.limitPrice)) / tick) : 0;
    return { kind: "stop-limit", initial: { unit: "price", value: n(o.stopPrice) }, limitOffsetTicks: off };
  }
  if (o.type === "trailing_stop") {
    // Without a trail amount the distance from entry to the stop is the trail.
    const trail = {
      unit: "points" as const,
      value: o.trailAmount ? n(o.trailAmount) : Math.abs(entry - n(o.stopPrice ?? 0)),
    };
    return {
      kind: "trailing",
      initial: o.stopPrice ? { unit: "price", value: n(o.stopPrice) } : trail,
      trailBy: trail,
    };
  }
  return null;
}
