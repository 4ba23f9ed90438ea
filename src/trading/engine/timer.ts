/** The trade timer: when it runs out it holds, exits, reverses or moves the stop to breakeven. */
import { rule } from "./actors";
import { startClosing } from "./closing";
import { emit, lastPrice, type Step, touch } from "./context";
import { pnlAt } from "./positions";
import * as say from "./reasons";
import { toBreakeven } from "./trailing";
import { type Actor, type Command, EngineError, type Nanos, PART, type Position } from "./types";

/** The clock: timers whose deadline passed act (or, in profit with "unless-profit", wait for the entry price). */
export function onClock(ctx: Step): void {
  const nowMs = ctx.now;
  for (const p of ctx.timed) {
    const t = p.timer;
    if (t?.phase !== "running" || nowMs < t.deadlineMs || p.qty === 0) continue;
    const last = lastPrice(ctx, p.symbol);
    const inProfit = last > 0 && pnlAt(p, last) > 0n;
    if (t.mode === "unless-profit" && inProfit) {
      t.phase = "waiting-for-entry";
      touch(ctx, p, PART.timer);
      emit(ctx, p, "timer.waiting", rule("timer"), say.timerWaiting(t.durationMs, t.action), { action: t.action });
      continue;
    }
    fireTimer(ctx, p, last, inProfit ? say.TIMER_REGARDLESS : say.TIMER_NO_PROFIT);
  }
}

export function fireTimer(ctx: Step, p: Position, price: Nanos, why: string): void {
  const t = p.timer!;
  t.phase = "done";
  ctx.timed.delete(p);
  const what = say.timerFired(t.durationMs, why, t.action);
  const actor = rule("timer");
  switch (t.action) {
    case "hold":
      emit(ctx, p, "timer.hold", actor, what, {});
      break;
    case "exit":
      startClosing(ctx, p, "timer", what, price, actor);
      break;
    case "reverse":
      p.reverseTo = { side: p.side === "long" ? "short" : "long", qty: p.qty };
      startClosing(ctx, p, "timer", what, price, actor);
      break;
    case "breakeven":
      toBreakeven(ctx, p, 1, what);
      break;
  }
  touch(ctx, p, PART.timer | PART.stop);
}

export function setTimer(
  ctx: Step,
  p: Position,
  t: Extract<Command, { kind: "set-timer" }>["timer"],
  actor: Actor,
): void {
  if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
  if (!t) {
    p.timer = null;
    ctx.timed.delete(p);
    emit(ctx, p, "timer.cancelled", actor, say.TIMER_CANCELLED, {});
  } else {
    checkTimerLength(t.durationMs, "timer");
    p.timer = {
      durationMs: t.durationMs,
      deadlineMs: p.openedAtMs + t.durationMs,
      action: t.action,
      mode: t.mode,
      phase: "running",
    };
    if (p.timer.deadlineMs < ctx.now) p.timer.deadlineMs = ctx.now + t.durationMs;
    ctx.timed.add(p);
    const text = say.timerSet(t.durationMs, t.action, t.mode === "regardless");
    emit(ctx, p, "timer.set", actor, text, { deadlineMs: p.timer.deadlineMs });
  }
  touch(ctx, p, PART.timer);
}

/** A timer runs between 1 second and 7 days; `label` names it in the refusal. */
export function checkTimerLength(durationMs: number, label: string): void {
  if (!Number.isInteger(durationMs) || durationMs < 1000 || durationMs > 7 * 86_400_000)
    throw new EngineError(400, `${label}: between 1 second and 7 days`);
}
