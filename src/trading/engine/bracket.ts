/**
 * An entry order's bracket (ladder, stop, timer): checked whole when the order is placed (R6.1)
 * and applied when its fill opens the position.
 */
import { rule } from "./actors";
import type { Step } from "./context";
import { levelPrice, setLadder } from "./ladder";
import { fitLadder } from "./ladder-fit";
import { blankPosition } from "./positions";
import { entryRef, profitPrice } from "./price-math";
import * as say from "./reasons";
import { initialStop, setStop } from "./stops";
import { checkTimerLength, setTimer } from "./timer";
import { emit } from "./context";
import { type Command, EngineError, type Position, type Side, type WorkingOrder, type EngineSpec } from "./types";

/**
 * An order's bracket is all or nothing (R6.1): checked now against what the order will open
 * and the price it is placed at, so a bracket that cannot be applied refuses the order.
 */
export function checkBracket(
  ctx: Step,
  p: Position | undefined,
  symbol: string,
  spec: EngineSpec,
  c: Extract<Command, { kind: "order" }>,
): void {
  const b = c.bracket!;
  const side: Side = c.side === "buy" ? "long" : "short";
  const held = p && p.qty > 0 ? (p.side === side ? -1 : p.qty) : 0;
  // Adding to a position keeps its own bracket (R6.2): nothing of this one is applied.
  if (held < 0) return;
  const opens = c.qty - held;
  if (opens <= 0) return;
  const ref = c.orderType === "limit" ? c.limitPrice! : c.refPrice;
  const probe = {
    ...(p ?? blankPosition(0, symbol, 0)),
    side,
    qty: opens,
    cost: BigInt(ref) * BigInt(opens),
    ladder: [],
    stop: null,
  } as Position;
  const levels = b.ladder ?? [];
  if (levels.length > 20) throw new EngineError(400, "bracket: at most 20 take-profit levels");
  let sum = 0;
  const entry = entryRef(side, probe.cost, opens, spec.tick);
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (!Number.isInteger(l.qty) || l.qty <= 0)
      throw new EngineError(400, `bracket TP${i + 1} quantity: a whole number ≥ 1`);
    levelPrice(probe, spec, entry, ref, l.target, i + 1);
    if (l.enabled) sum += l.qty;
  }
  if (sum > opens)
    throw new EngineError(
      400,
      `bracket: the take-profit quantities (${sum}) exceed the ${opens} contract${opens === 1 ? "" : "s"} this order opens; nothing was sent`,
    );
  if (b.stop) initialStop(ctx, probe, spec, b.stop, b.atr, b.atr === undefined ? "no ATR given" : undefined);
  if (b.timer) checkTimerLength(b.timer.durationMs, "bracket timer");
}

/** The fill of order `o` opened the position: its bracket is placed, each part on its own (a refused part is logged). */
export function applyBracket(ctx: Step, p: Position, o: WorkingOrder): void {
  const orderId = o.id;
  const entry = ctx.entries.get(orderId);
  ctx.entries.delete(orderId);
  const b = entry?.bracket;
  if (!b) return;
  p.lastBracket = b;
  const spec = ctx.spec(p.symbol)!;
  const actor = rule("bracket");
  try {
    if (b.stop) setStop(ctx, p, spec, b.stop, b.atr !== undefined ? { value: b.atr } : undefined, actor);
  } catch (err) {
    emit(ctx, p, "stop.refused", actor, say.stopRefused((err as Error).message), {});
  }
  try {
    let ladder = b.ladder ?? [];
    if (ladder.length && o.purpose === "reverse") {
      // A reversed trade carries its ladder, cut to the quantity it holds (R5.4).
      const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
      const fit = fitLadder(ladder, p.qty, (t) => Math.abs(profitPrice(p.side, ref, t, spec.tick) - ref));
      ladder = fit.levels;
      if (fit.cut.length) emit(ctx, p, "ladder.fitted", actor, say.ladderFitted(p.qty, fit.cut), {});
    }
    if (ladder.length) setLadder(ctx, p, spec, ladder, actor);
  } catch (err) {
    emit(ctx, p, "ladder.refused", actor, say.ladderRefused((err as Error).message), {});
  }
  if (b.timer) setTimer(ctx, p, b.timer, actor);
}
