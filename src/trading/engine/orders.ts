/** The engine's own orders: sending them, what they will take off, and withdrawing resting ones. */
import { RULE } from "./actors";
import { emit, type Step } from "./context";
import * as say from "./reasons";
import type { Actor, Nanos, OrderRequest, Position, Purpose, WorkingOrder } from "./types";

export function submitRaw(
  ctx: Step,
  p: Position,
  o: Omit<OrderRequest, "accountId" | "accountKind" | "symbol" | "tsMs">,
  levelId?: string,
): void {
  const acct = ctx.accounts.get(p.accountId)!;
  const order: OrderRequest = {
    ...o,
    tsMs: ctx.now,
    accountId: p.accountId,
    accountKind: acct.kind,
    symbol: p.symbol,
  };
  if (order.limitPrice === undefined) delete order.limitPrice;
  p.nextOrder++;
  ctx.orders.set(order.id, { ...order, posKey: p.key, levelId, status: "submitted", filled: 0 });
  ctx.out.push({ type: "submit", order });
}

/**
 * An exit order: a take-profit is a limit at its level, a stop-limit's a limit the offset
 * beyond the stop (unless converted to market), everything else a market order.
 */
export function submitExit(
  ctx: Step,
  p: Position,
  id: string,
  qty: number,
  purpose: Purpose,
  reason: string,
  refPrice: Nanos,
  levelId?: string,
  market = false,
): string {
  const side = p.side === "long" ? "sell" : "buy";
  let type: OrderRequest["type"] = "market";
  let limitPrice: Nanos | undefined;
  const level = levelId ? p.ladder.find((l) => l.id === levelId) : undefined;
  if (level) {
    type = "limit";
    limitPrice = level.price;
  } else if (purpose === "stop" && p.stop?.config.kind === "stop-limit" && !market) {
    const off = (p.stop.config.limitOffsetTicks ?? 0) * ctx.spec(p.symbol)!.tick;
    type = "limit";
    limitPrice = p.side === "long" ? p.stop.price - off : p.stop.price + off;
  }
  submitRaw(ctx, p, { id, side, qty, type, limitPrice, refPrice, purpose, reason }, levelId);
  return id;
}

/**
 * Contracts that orders in flight will take off the position: exits, and entry orders of the
 * other side (they net). Exits are sized from what is left, so in-flight orders can never
 * together flip a position that no one asked to reverse.
 */
export function pendingExitQty(ctx: Step, p: Position): number {
  let n = 0;
  const reducing = p.side === "long" ? "sell" : "buy";
  for (const o of ctx.orders.values()) {
    if (o.posKey !== p.key) continue;
    if (o.purpose !== "entry" && o.purpose !== "reverse") n += o.qty - o.filled;
    else if (o.side === reducing) n += o.qty - o.filled;
  }
  return Math.min(n, p.qty);
}

export function hasWorking(ctx: Step, p: Position): boolean {
  for (const o of ctx.orders.values()) if (o.posKey === p.key) return true;
  return false;
}

/** The position's closing order rests at the venue as a limit (a jumped stop-limit), so it can be withdrawn. */
export function closingRests(ctx: Step, p: Position): boolean {
  const o = p.closing?.orderId ? ctx.orders.get(p.closing.orderId) : undefined;
  return o !== undefined && o.status === "resting" && o.type === "limit";
}

/** Withdraws every resting order of the position (R4.1, R4.3); the adapters drop them. */
export function cancelResting(ctx: Step, p: Position, why: string): void {
  for (const o of [...ctx.orders.values()])
    if (o.posKey === p.key && o.status === "resting" && !o.awaitingPrice) cancelOrder(ctx, p, o, why);
}

/** Withdraws one resting order: the broker forgets it, its level (if any) is no longer pending. */
export function cancelOrder(ctx: Step, p: Position, o: WorkingOrder, why: string, actor: Actor = RULE): void {
  const d = ctx.spec(p.symbol)!.decimals;
  ctx.orders.delete(o.id);
  ctx.entries.delete(o.id);
  const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
  if (level && level.status === "pending") level.status = level.filledQty > 0 ? "filled" : "cancelled";
  if (p.closing?.orderId === o.id) p.closing.orderId = "";
  const left = o.qty - o.filled;
  ctx.out.push({ type: "cancel", order: o, reason: why });
  emit(ctx, p, "order.cancelled", actor, say.orderCancelled(o, left, why, d), { orderId: o.id, qty: left });
}
