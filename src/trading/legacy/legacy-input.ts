import type { Instrument } from "../../market-data/instruments/catalogue";
import { resolveSymbol } from "../../market-data/instruments/symbols";
import type { Side } from "../../persistence/repositories/orders-repo";
import { AppError } from "../../shared/app-error";
import { fixedFromNumber, formatFixed, isMultipleOf } from "../../shared/fixed-point";
import type { LegacyLevel } from "./legacy-tables";
import type { StopLossInput, TpLevelInput } from "./schemas";

/** The original API's input beyond its schema: symbols resolved, prices on the instrument's tick grid. */
export function resolve(symbol: string, field: string): Instrument {
  const r = resolveSymbol(symbol);
  if (!r.ok) throw new AppError(400, `${field}: ${r.message}`);
  return r.value.instrument;
}

export function onTick(value: number, inst: Instrument, field: string): bigint {
  const units = fixedFromNumber(value);
  if (units <= 0n || !isMultipleOf(units, inst.tickSize)) {
    throw new AppError(400, `${field}: ${value} is not on ${inst.root}'s tick grid (${formatFixed(inst.tickSize)})`);
  }
  return units;
}

export function checkStopLoss(s: StopLossInput, inst: Instrument, field: string): unknown {
  if (s == null) return null;
  for (const key of ["stopPrice", "limitPrice", "trailAmount", "signalPrice"] as const) {
    const v = s[key];
    if (v != null) onTick(v, inst, `${field}.${key}`);
  }
  // Store only the known keys, in the original's spelling.
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

export function toLevels(levels: TpLevelInput[], inst: Instrument, field: string): LegacyLevel[] {
  const seen = new Set<bigint>();
  return levels.map((l, i) => {
    const target = onTick(l.target, inst, `${field}.${i}.target`);
    if (seen.has(target)) throw new AppError(400, `${field}.${i}.target: two levels at ${l.target} points`);
    seen.add(target);
    return {
      enabled: l.enabled,
      quantity: l.quantity,
      target,
      price: onTick(l.price, inst, `${field}.${i}.price`),
      hit: l.hit,
    };
  });
}

export const sideWord = (s: Side) => (s === "buy" ? "long" : "short");
