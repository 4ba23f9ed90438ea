/** Execution reports: an order rests, fills (with or without a price), is rejected or fails. */
import { RULE, rule, tpRule } from "./actors";
import { startClosing } from "./closing";
import { bookOf, emit, MAX_ATTEMPTS, type Step, touch } from "./context";
import { applyFill } from "./fills";
import { levelNo } from "./ladder";
import { hasWorking } from "./orders";
import * as say from "./reasons";
import { PART, type Position, type ReportInput, type WorkingOrder } from "./types";

export function onReport(ctx: Step, r: ReportInput): void {
  const o = ctx.orders.get(r.orderId);
  if (!o) return; // unknown or already complete: a duplicate report changes nothing
  const p = ctx.positions.get(o.posKey)!;
  if (r.kind === "working") {
    if (o.status !== "resting") {
      o.status = "resting";
      touch(ctx, p, PART.state);
    }
  } else if (r.kind === "filled") {
    const remaining = o.qty - o.filled - (o.awaitingPrice ?? 0);
    const qty = Math.min(r.qty, remaining);
    if (!(qty > 0) || !Number.isInteger(qty)) return;
    if (!(r.price > 0)) {
      // Taken by the broker with no price known (sent while the feed was down): the next print prices it (R1.2).
      o.awaitingPrice = (o.awaitingPrice ?? 0) + qty;
      o.status = "sent";
      bookOf(ctx.books, p.symbol).awaiting++;
      emit(ctx, p, "order.sent", RULE, say.sentNoPrice(o, qty), { orderId: o.id, qty });
      touch(ctx, p, PART.state);
      return;
    }
    o.filled += qty;
    if (qty === remaining && !o.awaitingPrice) ctx.orders.delete(o.id);
    applyFill(ctx, p, o, qty, r.price, r.assumed ?? false);
  } else {
    ctx.orders.delete(o.id);
    onFailure(ctx, p, o, r.kind, r.reason);
  }
}

/** A take-profit is armed again (up to MAX_ATTEMPTS), a whole-position exit retried, anything else logged. */
function onFailure(ctx: Step, p: Position, o: WorkingOrder, kind: "rejected" | "failed", reason: string): void {
  const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
  if (level) {
    const n = levelNo(p, level);
    level.lastError = reason;
    if (level.attempts >= MAX_ATTEMPTS) {
      level.status = "failed";
      emit(ctx, p, "tp.failed", tpRule(n), say.tpFailed(n, kind, level.attempts, reason), { level: n, reason });
    } else {
      level.status = "armed";
      const text = say.tpRetry(n, kind, reason, level.attempts, MAX_ATTEMPTS);
      emit(ctx, p, "tp.retry", tpRule(n), text, { level: n, reason });
    }
  } else if (p.closing && o.id === p.closing.orderId) {
    const c = p.closing;
    if (c.attempts >= MAX_ATTEMPTS) {
      p.closing = null;
      if (p.stop && p.stop.status === "pending") p.stop.status = "failed";
      emit(ctx, p, "exit.failed", rule(c.purpose), say.exitFailed(c.attempts, c.reason, reason), { reason });
    } else {
      const text = say.exitRetry(kind, reason, c.attempts + 1, MAX_ATTEMPTS);
      emit(ctx, p, "exit.retry", rule(c.purpose), text, { reason });
      startClosing(ctx, p, c.purpose, c.reason, o.refPrice, rule(c.purpose));
    }
  } else {
    ctx.entries.delete(o.id);
    emit(ctx, p, "order.failed", RULE, say.orderFailed(o, kind, reason), { reason, orderId: o.id });
    if (p.closing && !hasWorking(ctx, p) && p.qty > 0)
      startClosing(ctx, p, p.closing.purpose, p.closing.reason, o.refPrice, rule(p.closing.purpose));
  }
  touch(ctx, p, PART.ladder | PART.state);
}
