/** A position's life: created blank, opened, closed into a trade record, flattened. */
import { RULE } from "./actors";
import { addToBook, emit, type Step, touch } from "./context";
import { averageNearest } from "./price-math";
import * as say from "./reasons";
import { type ClosedTrade, type Nanos, PART, type Position, type Purpose, type Side } from "./types";

export function blankPosition(accountId: number, symbol: string, tsMs: number): Position {
  return {
    key: `${accountId}:${symbol}`,
    accountId,
    symbol,
    tradeId: "",
    side: "long",
    qty: 0,
    cost: 0n,
    openedAtMs: tsMs,
    version: 0,
    ladder: [],
    nextLevel: 0,
    stop: null,
    timer: null,
    best: 0,
    realized: 0n,
    commissions: 0n,
    fills: [],
    tpFilled: 0,
    closing: null,
    reverseTo: null,
    nextOrder: 1,
    trades: 0,
    entryQty: 0,
    entryCost: 0n,
    exitQty: 0,
    exitCost: 0n,
  };
}

export function ensurePosition(ctx: Step, accountId: number, symbol: string): Position {
  const key = `${accountId}:${symbol}`;
  let p = ctx.positions.get(key);
  if (!p) {
    p = blankPosition(accountId, symbol, ctx.now);
    ctx.positions.set(key, p);
    addToBook(ctx.books, p);
  }
  return p;
}

export function openTrade(ctx: Step, p: Position, side: Side, qty: number, price: Nanos, tsMs: number): void {
  p.trades++;
  p.tradeId = `${p.key}:t${p.trades}`;
  const cost = BigInt(price) * BigInt(qty);
  p.side = side;
  p.qty = qty;
  p.cost = cost;
  p.openedAtMs = tsMs;
  p.ladder = [];
  p.nextLevel = 0;
  p.stop = null;
  p.timer = null;
  p.best = price;
  p.realized = 0n;
  p.commissions = 0n;
  p.fills = [];
  p.tpFilled = 0;
  p.closing = null;
  p.entryQty = qty;
  p.entryCost = cost;
  p.exitQty = 0;
  p.exitCost = 0n;
  touch(ctx, p, PART.all);
}

export function flatten(ctx: Step, p: Position): void {
  p.qty = 0;
  p.cost = 0n;
  p.ladder = [];
  p.stop = null;
  p.timer = null;
  p.closing = null;
  p.tpFilled = 0;
  ctx.timed.delete(p);
  // Orders still in flight stay known: if the broker fills one anyway, the fill is applied.
  touch(ctx, p, PART.all);
}

/** A fill that took contracts off (older stored fills lack the flag: an exit purpose or a P&L says so). */
export const closesContracts = (f: { closes?: boolean; pnl: bigint; purpose: Purpose }) =>
  f.closes ?? (f.pnl !== 0n || (f.purpose !== "entry" && f.purpose !== "reverse"));

export function closeTrade(ctx: Step, p: Position): void {
  const trade: ClosedTrade = {
    tradeId: p.tradeId,
    accountId: p.accountId,
    symbol: p.symbol,
    side: p.side,
    qty: p.entryQty,
    // Averages rounded to the nearest 1e-9, not truncated (5002.1666666666… → 5002.166666667).
    entry: Number(averageNearest(p.entryCost, p.entryQty)),
    exit: Number(averageNearest(p.exitCost, p.exitQty)),
    openedAtMs: p.openedAtMs,
    closedAtMs: ctx.now,
    realized: p.realized,
    commissions: p.commissions,
    fills: p.fills.slice(),
    exitReasons: p.fills.filter(closesContracts).map((f) => f.reason),
  };
  emit(ctx, p, "trade.closed", RULE, say.tradeClosed(p.side, p.entryQty, p.realized, p.commissions), {
    realized: p.realized.toString(),
    commissions: p.commissions.toString(),
  });
  ctx.out.push({ type: "closed", trade });
  flatten(ctx, p);
}

/** P&L of the open quantity at a price, in 1e-9 points × contracts. */
export function pnlAt(p: Position, price: Nanos): bigint {
  const v = BigInt(price) * BigInt(p.qty) - p.cost;
  return p.side === "long" ? v : -v;
}
