/**
 * Fills and netting: a fill first reduces the position (realizing P&L in BigInt), and what is
 * left of it opens or adds to the other side. Then whatever the fill completes follows: the
 * trade closes, a reverse opens, a partly filled exit is sent again for the rest.
 */
import { RULE, rule, tpRule } from "./actors";
import { applyBracket } from "./bracket";
import { startClosing } from "./closing";
import { emit, type Step, touch } from "./context";
import { levelNo, rebaseLadder } from "./ladder";
import { hasWorking, submitRaw } from "./orders";
import { closeTrade, openTrade } from "./positions";
import * as say from "./reasons";
import { addRealized, checkLoss } from "./risk";
import { afterFirstTp } from "./trailing";
import { type Nanos, PART, type Position, type Side, type WorkingOrder } from "./types";

export function applyFill(ctx: Step, p: Position, o: WorkingOrder, qty: number, price: Nanos, assumed: boolean): void {
  const buy = o.side === "buy";
  const perContract = ctx.accounts.get(p.accountId)?.commission ?? 0n;
  const closeQty = p.qty > 0 && (p.side === "long") !== buy ? Math.min(qty, p.qty) : 0;
  const openQty = qty - closeQty;
  // Reduce first; whatever is left opens the other side (netting).
  if (closeQty > 0) reduce(ctx, p, o, closeQty, price, perContract, assumed);
  if (openQty > 0) {
    const side: Side = buy ? "long" : "short";
    const fresh = p.qty === 0;
    if (fresh) openTrade(ctx, p, side, openQty, price, ctx.now);
    else {
      p.cost += BigInt(price) * BigInt(openQty);
      p.qty += openQty;
      p.entryQty += openQty;
      p.entryCost += BigInt(price) * BigInt(openQty);
      rebaseLadder(ctx, p);
    }
    const commission = perContract * BigInt(openQty);
    p.commissions += commission;
    addRealized(ctx, p.accountId, -commission);
    recordFill(ctx, p, o, openQty, price, 0n, commission, assumed, false);
    const late = o.purpose !== "entry" && o.purpose !== "reverse";
    const after = fresh ? undefined : { qty: p.qty, avg: Number(p.cost / BigInt(p.qty)) };
    const text = say.opened(o.purpose, side, openQty, price, assumed, after, ctx.spec(p.symbol)!.decimals);
    const kind = late ? "order.late_fill" : fresh ? "trade.opened" : "trade.added";
    emit(ctx, p, kind, RULE, text, { qty: openQty, price, assumed });
    if (fresh) applyBracket(ctx, p, o);
    else ctx.entries.delete(o.id);
  } else if (p.qty === 0 && p.reverseTo && !hasWorking(ctx, p)) {
    const r = p.reverseTo;
    p.reverseTo = null;
    const id = `${p.key}:o${p.nextOrder}`;
    submitRaw(ctx, p, {
      id,
      side: r.side === "long" ? "buy" : "sell",
      qty: r.qty,
      type: "market",
      refPrice: price,
      purpose: "reverse",
      reason: say.reverseInto(r.side, r.qty),
    });
    ctx.entries.set(id, { orderId: id, bracket: p.lastBracket ?? {} });
  } else if (p.qty > 0 && p.closing && !hasWorking(ctx, p)) {
    // The closing order filled only in part, or a TP in flight failed meanwhile: exit the rest.
    startClosing(ctx, p, p.closing.purpose, p.closing.reason, price, rule(p.closing.purpose));
  }
  if (p.qty === 0) ctx.entries.delete(o.id);
  touch(ctx, p, PART.size | PART.ladder);
  checkLoss(ctx, p.accountId);
}

/** The reducing part of a fill (netting): realized P&L of `qty` contracts at `price`. */
function reduce(
  ctx: Step,
  p: Position,
  o: WorkingOrder,
  qty: number,
  price: Nanos,
  perContract: bigint,
  assumed: boolean,
): void {
  const spec = ctx.spec(p.symbol)!;
  const removed = (p.cost * BigInt(qty)) / BigInt(p.qty);
  const points = p.side === "long" ? BigInt(price) * BigInt(qty) - removed : removed - BigInt(price) * BigInt(qty);
  const pnl = (points * spec.pointValue) / 1_000_000_000n;
  const commission = perContract * BigInt(qty);
  p.cost -= removed;
  p.qty -= qty;
  p.realized += pnl;
  p.commissions += commission;
  p.exitQty += qty;
  p.exitCost += BigInt(price) * BigInt(qty);
  addRealized(ctx, p.accountId, pnl - commission);
  recordFill(ctx, p, o, qty, price, pnl, commission, assumed, true);
  const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
  const d = spec.decimals;
  if (level) {
    const n = levelNo(p, level);
    const first = level.filledQty === 0;
    level.filledQty += qty;
    level.fillPrice = price;
    if (level.filledQty >= level.qty || p.qty === 0) level.status = "filled";
    emit(ctx, p, "tp.filled", tpRule(n), say.tpFilled(n, qty, price, pnl - commission, assumed, d), {
      level: n,
      levelPrice: level.price,
      qty,
      price,
      pnl: pnl.toString(),
      assumed,
    });
    if (first && ++p.tpFilled === 1 && p.qty > 0) afterFirstTp(ctx, p, price);
  } else {
    const actor = o.purpose === "entry" ? RULE : rule(o.purpose);
    emit(ctx, p, `${o.purpose}.filled`, actor, say.closeFilled(o, qty, price, pnl - commission, assumed, d), {
      qty,
      price,
      pnl: pnl.toString(),
      assumed,
    });
  }
  if (p.qty === 0) closeTrade(ctx, p);
}

function recordFill(
  ctx: Step,
  p: Position,
  o: WorkingOrder,
  qty: number,
  price: Nanos,
  pnl: bigint,
  commission: bigint,
  assumed: boolean,
  closes: boolean,
): void {
  p.fills.push({
    orderId: o.id,
    qty,
    price,
    purpose: o.purpose,
    reason: o.reason,
    tsMs: ctx.now,
    pnl,
    commission,
    assumed,
    closes,
  });
}
