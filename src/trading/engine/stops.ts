/** The stop: set (fixed, stop-limit, trailing, by ATR), moved by hand, and fired by a print. */
import { rule } from "./actors";
import { startClosing } from "./closing";
import { emit, lastPrice, type Step, touch } from "./context";
import { ceilTick, distanceOf, entryRef, formatPrice, lossPrice, onTick } from "./price-math";
import * as say from "./reasons";
import { ratchet, trailPrice } from "./trailing";
import {
  type Actor,
  EngineError,
  type Nanos,
  PART,
  type Position,
  type StopConfig,
  type StopState,
  type Target,
  type EngineSpec,
} from "./types";

const sameTarget = (a: Target | undefined, b: Target | undefined) => a?.unit === b?.unit && a?.value === b?.value;

export function setStop(
  ctx: Step,
  p: Position,
  spec: EngineSpec,
  cfg: StopConfig | null,
  atr: { value: Nanos } | { unavailable: string } | undefined,
  actor: Actor,
): void {
  if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
  if (p.closing) throw new EngineError(409, `an exit of ${p.symbol} is under way`);
  if (p.stop?.status === "pending") throw new EngineError(409, "the stop has fired and its exit is under way");
  if (!cfg) {
    p.stop = null;
    emit(ctx, p, "stop.removed", actor, say.STOP_REMOVED, {});
    touch(ctx, p, PART.stop);
    return;
  }
  const state = initialStop(
    ctx,
    p,
    spec,
    cfg,
    atr && "value" in atr ? atr.value : undefined,
    atr && "unavailable" in atr ? atr.unavailable : undefined,
  );
  const d = spec.decimals;
  const old = p.stop;
  const trails = Boolean(
    cfg.trailBy && (cfg.kind === "trailing" || cfg.trailAfterTp1 || cfg.breakevenAfterTp1?.thenTrail),
  );
  let text = say.stopSet(cfg.kind, state.price, state.basis, d);
  if (old?.trailing && old.status === "armed") {
    // Edited while trailing (R3.7): the stop as it is now, unless the trail distance changed;
    // an edit that no longer trails leaves the stop where it trailed to.
    state.trailing = trails;
    if (!trails || sameTarget(old.config.trailBy, cfg.trailBy)) {
      state.price = old.price;
      state.basis = trails ? old.basis : say.untrailedBasis(old.price, d);
      text = say.stopKept(cfg.kind, old.price, trails ? cfg.trailBy! : null, d);
    } else {
      state.price = trailPrice(p.side, p.best, distanceOf(cfg.trailBy!, spec.tick)!, spec.tick);
      state.basis = say.TRAIL_BASIS[p.side];
      text = say.stopRetrailed(cfg.kind, state.price, cfg.trailBy!, p.best, d);
    }
  } else if (state.trailing) {
    // Trailing starts now, from the last print, the print itself included (R3.3).
    p.best = lastPrice(ctx, p.symbol) || Number(p.cost / BigInt(p.qty));
    if (ratchet(p, state, p.best, spec.tick))
      text += say.trailingFromNow(cfg.trailBy ?? (cfg.initial as Target), p.best, state.price, d);
  }
  p.stop = state;
  emit(ctx, p, "stop.set", actor, text, { kind: cfg.kind, price: state.price });
  touch(ctx, p, PART.stop);
}

export function initialStop(
  ctx: Step,
  p: Position,
  spec: EngineSpec,
  cfg: StopConfig,
  atr: Nanos | undefined,
  atrMissing?: string,
): StopState {
  const ref = entryRef(p.side === "long" ? "short" : "long", p.cost, p.qty, spec.tick);
  const d = spec.decimals;
  let price: Nanos;
  let basis: string;
  const init = cfg.initial;
  if (init.unit === "atr") {
    if (atr === undefined || !(atr > 0))
      throw new EngineError(
        400,
        `ATR stop refused: ATR is unavailable (${atrMissing ?? "no ATR given"}); set the stop by points or ticks`,
      );
    if (!(init.multiplier > 0 && init.multiplier <= 50)) throw new EngineError(400, "ATR multiplier: between 0 and 50");
    const dist = ceilTick(Math.round(atr * init.multiplier), spec.tick);
    price = lossPrice(p.side, ref, dist);
    basis = say.atrBasis(init.multiplier, Math.round(atr), dist, d);
  } else if (init.unit === "price") {
    if (!onTick(init.value, spec.tick))
      throw new EngineError(400, `stop: ${formatPrice(init.value, d)} is not on ${p.symbol}'s tick grid`);
    price = init.value;
    basis = say.PRICE_BASIS;
  } else {
    if (!(init.value > 0)) throw new EngineError(400, "stop: the distance must be positive");
    const dist = distanceOf(init, spec.tick)!;
    price = lossPrice(p.side, ref, dist);
    basis = say.distanceBasis(init, d);
  }
  const last = lastPrice(ctx, p.symbol);
  const avg = Number(p.cost / BigInt(p.qty));
  if (price <= 0) throw new EngineError(400, "stop: below zero");
  if (p.side === "long" ? price >= Math.max(avg, last || 0) && last > 0 && price >= last : last > 0 && price <= last) {
    throw new EngineError(
      400,
      `stop ${formatPrice(price, d)} is on the wrong side of the market (${formatPrice(last, d)}); it would fire at once`,
    );
  }
  if (cfg.kind === "stop-limit" && !(Number.isInteger(cfg.limitOffsetTicks) && cfg.limitOffsetTicks! >= 0))
    throw new EngineError(400, "stop-limit: limit offset in whole ticks ≥ 0");
  if (cfg.kind === "trailing" && !cfg.trailBy && init.unit === "atr") {
    throw new EngineError(400, "trailing stop: give the trailing distance (trailBy) in points or ticks");
  }
  if (cfg.trailBy && (cfg.trailBy.unit === "price" || !(cfg.trailBy.value > 0)))
    throw new EngineError(400, "trail by: a positive distance in points or ticks");
  return { config: cfg, price, trailing: cfg.kind === "trailing", status: "armed", attempts: 0, basis };
}

export function moveStop(ctx: Step, p: Position, spec: EngineSpec, price: Nanos, actor: Actor): void {
  const d = spec.decimals;
  if (p.stop?.status !== "armed") throw new EngineError(409, `no armed stop on ${p.symbol} to move`);
  if (!onTick(price, spec.tick) || price <= 0)
    throw new EngineError(400, `stop: ${formatPrice(price, d)} is not on ${p.symbol}'s tick grid`);
  const last = lastPrice(ctx, p.symbol);
  if (last > 0 && (p.side === "long" ? price >= last : price <= last)) {
    throw new EngineError(
      400,
      `stop ${formatPrice(price, d)} is on the wrong side of the market (${formatPrice(last, d)})`,
    );
  }
  const from = p.stop.price;
  p.stop.price = price;
  p.stop.basis = say.movedBasis(from, d);
  emit(ctx, p, "stop.moved", actor, say.stopMoved(from, price, d), { from, to: price });
  touch(ctx, p, PART.stop);
}

export function fireStop(ctx: Step, p: Position, price: Nanos): void {
  const s = p.stop!;
  s.status = "pending";
  const reason = say.stopHit(s.price, price, s.basis, ctx.spec(p.symbol)!.decimals);
  startClosing(ctx, p, "stop", reason, price, rule("stop"));
}
