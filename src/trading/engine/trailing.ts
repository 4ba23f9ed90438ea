/**
 * Stops that move by themselves: the trailing ratchet (R3.3), trailing after the first
 * take-profit (R3.4) and breakeven (after TP1 or by the timer).
 */
import { rule } from "./actors";
import { emit, lastPrice, type Step, touch } from "./context";
import { betterStop, ceilTick, distanceOf, entryRef, floorTick } from "./price-math";
import * as say from "./reasons";
import { type Nanos, PART, type Position, type Side, type StopState, type Target } from "./types";

/** A trailing stop's place: the reference less the distance for a long (floored to the tick), plus it for a short (ceiled). */
export const trailPrice = (side: Side, best: Nanos, dist: Nanos, tick: Nanos): Nanos =>
  side === "long" ? floorTick(best - dist, tick) : ceilTick(best + dist, tick);

/**
 * A trailing stop and a print: the new reference, and the stop moved to reference ∓ distance
 * (floored/ceiled to the tick) when that is better (R3.3). True when the stop moved.
 */
export function ratchet(p: Position, s: StopState, price: Nanos, tick: Nanos): boolean {
  p.best = price;
  const dist = distanceOf(s.config.trailBy ?? (s.config.initial as Target), tick) ?? 0;
  if (!(dist > 0)) return false;
  const candidate = trailPrice(p.side, price, dist, tick);
  if (!betterStop(p.side, candidate, s.price)) return false;
  s.price = candidate;
  s.basis = say.TRAIL_BASIS[p.side];
  return true;
}

export function afterFirstTp(ctx: Step, p: Position, price: Nanos): void {
  const s = p.stop;
  if (s?.status !== "armed") return;
  const be = s.config.breakevenAfterTp1;
  if (be) {
    toBreakeven(ctx, p, be.offsetTicks, say.BREAKEVEN_AFTER_TP1);
    if (be.thenTrail) startTrailing(ctx, p, price);
  } else if (s.config.trailAfterTp1) {
    startTrailing(ctx, p, price);
  }
}

export function toBreakeven(ctx: Step, p: Position, offsetTicks: number, why: string): void {
  const s = p.stop;
  const spec = ctx.spec(p.symbol)!;
  const d = spec.decimals;
  const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
  const target = p.side === "long" ? ref + offsetTicks * spec.tick : ref - offsetTicks * spec.tick;
  const last = lastPrice(ctx, p.symbol);
  const actor = rule("breakeven");
  if (!s) {
    emit(ctx, p, "stop.breakeven_skipped", actor, say.noStopToMove(why), {});
    return;
  }
  if (last > 0 && (p.side === "long" ? target >= last : target <= last)) {
    emit(ctx, p, "stop.breakeven_skipped", actor, say.breakevenBeyond(why, target, last, s.price, d), {});
    return;
  }
  if (!betterStop(p.side, target, s.price)) return;
  const from = s.price;
  s.price = target;
  s.basis = say.breakevenBasis(offsetTicks);
  emit(ctx, p, "stop.breakeven", actor, say.breakevenMoved(why, from, target, d), { from, to: target });
  touch(ctx, p, PART.stop);
}

function startTrailing(ctx: Step, p: Position, price: Nanos): void {
  const s = p.stop!;
  if (s.trailing) return;
  if (!s.config.trailBy) {
    emit(ctx, p, "stop.trail_skipped", rule("trail"), say.TRAIL_SKIPPED, {});
    return;
  }
  s.trailing = true;
  // From the last print (the one that filled TP1, in paper), and at once (R3.4).
  const last = lastPrice(ctx, p.symbol);
  p.best = last > 0 ? last : price;
  const spec = ctx.spec(p.symbol)!;
  const from = s.price;
  const moved = ratchet(p, s, p.best, spec.tick);
  touch(ctx, p, PART.stop);
  const text = say.trailingStarted(s.config.trailBy, p.best, from, s.price, moved, spec.decimals);
  emit(ctx, p, "stop.trailing", rule("trail"), text, {});
}
