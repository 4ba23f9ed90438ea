/** The commands that open or reshape a trade: an order, a position recorded by hand, one synced from the original API. */
import { checkBracket } from "./bracket";
import { checkQty, emit, type Step, touch } from "./context";
import { rebaseLadder } from "./ladder";
import { submitRaw } from "./orders";
import { ensurePosition, openTrade } from "./positions";
import { formatPrice, onTick } from "./price-math";
import * as say from "./reasons";
import { checkEntry } from "./risk";
import { type Actor, type Command, EngineError, PART, type EngineSpec } from "./types";

type TradeCommand = Extract<Command, { kind: "order" | "record" | "sync" }>;
type Cmd<K extends TradeCommand["kind"]> = Extract<Command, { kind: K }>;
/** The account, symbol and instrument a trade command is for. */
type At = { accountId: number; symbol: string; spec: EngineSpec };

export function applyTrade(
  ctx: Step,
  accountId: number,
  symbol: string,
  spec: EngineSpec,
  c: TradeCommand,
  actor: Actor,
): void {
  checkQty(c.qty);
  const side = c.kind === "order" ? c.side : c.side === "long" ? "buy" : "sell";
  const p = ctx.positions.get(`${accountId}:${symbol}`);
  const held = c.kind === "sync" && p && p.qty > 0 ? (p.side === c.side ? -p.qty : p.qty) : 0;
  // A sync restates the whole position: to the same side only what it adds is an entry; to the other, a flip.
  const qty = c.qty + held;
  if (qty > 0) checkEntry(ctx, accountId, symbol, spec, side, qty);
  const at: At = { accountId, symbol, spec };
  if (c.kind === "order") order(ctx, at, c, actor);
  else if (c.kind === "record") record(ctx, at, c, actor);
  else sync(ctx, at, c, actor);
}

function order(ctx: Step, { accountId, symbol, spec }: At, c: Cmd<"order">, actor: Actor): void {
  const limit = c.orderType === "limit";
  if (limit && (c.limitPrice === undefined || !onTick(c.limitPrice, spec.tick) || c.limitPrice <= 0)) {
    throw new EngineError(400, `limit price: must be on ${symbol}'s tick grid (${formatPrice(spec.tick, 0)})`);
  }
  if (!onTick(c.refPrice, spec.tick) || c.refPrice <= 0)
    throw new EngineError(400, `price: ${symbol} has no valid price yet`);
  const existing = ctx.positions.get(`${accountId}:${symbol}`);
  if (existing?.closing)
    throw new EngineError(409, `an exit of ${symbol} is under way (${existing.closing.reason}); wait for it to finish`);
  if (c.bracket) checkBracket(ctx, existing, symbol, spec, c);
  const p = ensurePosition(ctx, accountId, symbol);
  const id = `${p.key}:o${p.nextOrder}`;
  submitRaw(ctx, p, {
    id,
    side: c.side,
    qty: c.qty,
    type: c.orderType ?? "market",
    limitPrice: c.limitPrice,
    refPrice: c.refPrice,
    purpose: "entry",
    reason: say.entryReason(c.side, c.qty, actor.label),
  });
  ctx.entries.set(id, { orderId: id, bracket: c.bracket ?? {} });
  const text = say.orderSubmitted(c.side, c.qty, symbol, limit ? c.limitPrice : undefined, spec.decimals);
  emit(ctx, p, "order.submitted", actor, text, { orderId: id, qty: c.qty, side: c.side });
  touch(ctx, p, PART.state);
}

function record(ctx: Step, { accountId, symbol, spec }: At, c: Cmd<"record">, actor: Actor): void {
  if (!onTick(c.entryPrice, spec.tick) || c.entryPrice <= 0)
    throw new EngineError(400, `entry price: must be on ${symbol}'s tick grid (${formatPrice(spec.tick, 0)})`);
  const existing = ctx.positions.get(`${accountId}:${symbol}`);
  if (existing && existing.qty > 0)
    throw new EngineError(
      409,
      `${symbol} already has an open ${existing.side} position of ${existing.qty}; exit or clear it first`,
    );
  const p = ensurePosition(ctx, accountId, symbol);
  openTrade(ctx, p, c.side, c.qty, c.entryPrice, ctx.now);
  const text = say.recorded(c.side, c.qty, c.entryPrice, spec.decimals);
  emit(ctx, p, "trade.recorded", actor, text, { side: c.side, qty: c.qty, price: c.entryPrice });
}

/** Make the position exactly what the original API reports (it traded it itself). */
function sync(ctx: Step, { accountId, symbol, spec }: At, c: Cmd<"sync">, actor: Actor): void {
  if (!(c.entryPrice > 0) || !Number.isSafeInteger(c.entryPrice))
    throw new EngineError(400, "entry price: must be positive");
  const p = ensurePosition(ctx, accountId, symbol);
  const cost = BigInt(c.entryPrice) * BigInt(c.qty);
  if (p.qty === c.qty && p.side === c.side && p.cost === cost) return;
  if (p.closing) throw new EngineError(409, `an exit of ${symbol} is under way (${p.closing.reason})`);
  const data = { side: c.side, qty: c.qty, price: c.entryPrice };
  if (p.qty === 0 || p.side !== c.side) {
    openTrade(ctx, p, c.side, c.qty, c.entryPrice, c.openedAtMs ?? ctx.now);
    emit(ctx, p, "trade.synced", actor, say.synced(true, c.side, c.qty, c.entryPrice, spec.decimals), data);
    return;
  }
  // Same trade, new size or average: the ladder and stop stay, priced from the new entry.
  p.qty = c.qty;
  p.cost = cost;
  p.entryQty = Math.max(p.entryQty, c.qty);
  p.entryCost = p.entryQty === c.qty ? cost : p.entryCost;
  rebaseLadder(ctx, p);
  emit(ctx, p, "trade.synced", actor, say.synced(false, c.side, c.qty, c.entryPrice, spec.decimals), data);
  touch(ctx, p, PART.size | PART.ladder);
}
