import type { PositionView } from "../../src/trading/position-view";
import { pts } from "./format";
import type { DeskStateProps } from "./props";

/** The stop form's fields as rendered (and as the browser would post them), by field name. */
export interface StopFormValues {
  kind: string;
  mode: "manual" | "atr";
  amount: string;
  unit: "points" | "ticks";
  multiplier: string;
  trailBy: string;
  limitOffsetTicks: string;
  breakeven?: "1";
  thenTrail?: "1";
  trailAfterTp1?: "1";
}

/**
 * What the stop form shows: the position's own stop when there is one, else the next trade's
 * default. The state's answer also previews the stop from these (no request after the swap).
 */
export function stopFormValues(s: DeskStateProps, p: PositionView | null): StopFormValues {
  const stop = p?.stop ?? null;
  // The form shows the position's own stop when there is one, else the next trade's default.
  const cfg = stop
    ? {
        kind: stop.kind,
        initial:
          stop.initial.unit === "atr"
            ? { unit: "atr" as const, multiplier: (stop.initial as { multiplier: number }).multiplier }
            : {
                unit: stop.initial.unit as "points" | "ticks" | "price",
                value:
                  stop.initial.unit === "ticks"
                    ? (stop.initial as { value: number }).value
                    : Math.round((stop.initial as { value: number }).value * 1e9),
              },
        trailBy: stop.trailBy
          ? {
              unit: stop.trailBy.unit as "points" | "ticks",
              value: stop.trailBy.unit === "ticks" ? stop.trailBy.value : Math.round(stop.trailBy.value * 1e9),
            }
          : undefined,
        limitOffsetTicks: stop.limitOffsetTicks ?? undefined,
        trailAfterTp1: stop.trailAfterTp1,
        breakevenAfterTp1: stop.breakevenAfterTp1,
      }
    : s.defaults.stop;
  const on = (v: unknown) => (v ? ("1" as const) : undefined);
  return {
    kind: stop?.kind ?? cfg?.kind ?? "fixed",
    mode: cfg?.initial.unit === "atr" ? "atr" : "manual",
    amount:
      cfg && cfg.initial.unit !== "atr" && cfg.initial.unit !== "ticks"
        ? pts(cfg.initial.value)
        : cfg?.initial.unit === "ticks"
          ? String(cfg.initial.value)
          : "3",
    unit: cfg?.initial.unit === "ticks" ? "ticks" : "points",
    multiplier: String(cfg?.initial.unit === "atr" ? cfg.initial.multiplier : s.atrMultiplier),
    trailBy: cfg?.trailBy
      ? cfg.trailBy.unit === "ticks"
        ? String(cfg.trailBy.value * s.inst.tick)
        : pts(cfg.trailBy.value)
      : "",
    limitOffsetTicks: String(cfg?.limitOffsetTicks ?? 2),
    breakeven: on(cfg?.breakevenAfterTp1),
    thenTrail: on(cfg?.breakevenAfterTp1?.thenTrail),
    trailAfterTp1: on(cfg?.trailAfterTp1),
  };
}
