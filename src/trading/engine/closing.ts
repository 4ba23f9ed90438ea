/** Exiting a whole position (stop, timer, exit all): one exit at a time, everything else stands down. */
import { emit, type Step, touch } from "./context";
import { cancelResting, pendingExitQty, submitExit } from "./orders";
import * as say from "./reasons";
import { type Actor, type Nanos, PART, type Position, type Purpose } from "./types";

/**
 * An exit of everything not already being exited. From here on no other rule may exit this
 * position; what remains of the ladder is cancelled.
 */
export function startClosing(
  ctx: Step,
  p: Position,
  purpose: Purpose,
  reason: string,
  price: Nanos,
  actor: Actor,
  market = false,
): void {
  // While no prices come the last one is stale: the exit goes out without one and fills at the next print (R1.2).
  if (ctx.books.get(p.symbol)?.downSince) price = 0;
  // Resting orders are withdrawn first (R4.1); orders in flight cannot be, so the exit is sized around them.
  cancelResting(ctx, p, say.exitAll(reason));
  const qty = p.qty - pendingExitQty(ctx, p);
  for (const l of p.ladder) if (l.status === "armed") l.status = "cancelled";
  if (p.stop && p.stop.status !== "done" && p.stop.status !== "failed" && purpose !== "stop") p.stop.status = "done";
  if (p.timer && p.timer.phase !== "done" && purpose !== "timer") {
    p.timer.phase = "done";
    ctx.timed.delete(p);
  }
  const attempts = p.closing?.purpose === purpose ? p.closing.attempts + 1 : 1;
  p.closing = { orderId: "", purpose, reason, attempts };
  if (qty > 0) {
    // Market, with or without a price: an exit never waits for the feed (R1.2).
    const id = `${p.tradeId}:${purpose}:o${p.nextOrder}`;
    p.closing.orderId = submitExit(ctx, p, id, qty, purpose, reason, price, undefined, market);
  }
  const at = say.exitAt(price, ctx.spec(p.symbol)!.decimals);
  emit(ctx, p, `${purpose}.triggered`, actor, say.exitTriggered(reason, qty, price), {
    qty,
    print: price,
    at,
    orderId: p.closing.orderId,
  });
  touch(ctx, p, PART.ladder | PART.stop | PART.timer | PART.state);
}
