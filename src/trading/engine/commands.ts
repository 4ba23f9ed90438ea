/** A trader's command (or the original API's): checked first — an invalid one throws before anything changes — then applied. */
import { applyTrade } from "./command-trades";
import { checkQty, emit, lastPrice, need, type Step, touch } from "./context";
import { startClosing } from "./closing";
import { setLadder, updateLevel } from "./ladder";
import { cancelOrder, cancelResting, closingRests, pendingExitQty, submitExit } from "./orders";
import { flatten } from "./positions";
import * as say from "./reasons";
import { checkLoss } from "./risk";
import { moveStop, setStop } from "./stops";
import { setTimer } from "./timer";
import { type Actor, type Command, type CommandInput, EngineError, PART, type Position } from "./types";
import { checkVersion, rememberKey, seenKey } from "./versions";

/** Applies the command; false when its idempotency key says it was applied already. */
export function onCommand(ctx: Step, input: CommandInput): boolean {
  const { accountId, command: c, actor } = input;
  const symbol = input.symbol;
  const spec = ctx.spec(symbol);
  if (!spec) throw new EngineError(404, `unknown symbol ${symbol}`);
  if (!ctx.accounts.get(accountId)) throw new EngineError(404, `unknown account ${accountId}`);
  const key = `${accountId}:${symbol}`;
  const p = ctx.positions.get(key);
  if (input.idempotencyKey && p?.recentCommands && seenKey(p.recentCommands, input.idempotencyKey, ctx.now))
    return false;
  if (input.expectedVersion !== undefined) checkVersion(p, symbol, c.kind, input.expectedVersion);
  switch (c.kind) {
    case "order":
    case "record":
    case "sync":
      applyTrade(ctx, accountId, symbol, spec, c, actor);
      break;
    case "exit":
      exit(ctx, need(p, symbol), c, actor);
      break;
    case "convert-to-market":
      convert(ctx, need(p, symbol), actor);
      break;
    case "clear": {
      const pos = need(p, symbol);
      const had = pos.qty;
      cancelResting(ctx, pos, say.TRADE_CLEARED);
      emit(ctx, pos, "trade.cleared", actor, say.tradeCleared(had, pos.side), {});
      flatten(ctx, pos);
      break;
    }
    case "cancel-order":
      cancelEntry(ctx, need(p, symbol), c.orderId, actor);
      break;
    case "set-ladder":
      setLadder(ctx, need(p, symbol), spec, c.levels, actor);
      break;
    case "update-level":
      updateLevel(ctx, need(p, symbol), spec, c.index, c.patch, actor);
      break;
    case "set-stop":
      setStop(ctx, need(p, symbol), spec, c.stop, c.atr, actor);
      break;
    case "move-stop":
      moveStop(ctx, need(p, symbol), spec, c.price, actor);
      break;
    case "set-timer":
      setTimer(ctx, need(p, symbol), c.timer, actor);
      break;
  }
  // What the command changed may bring the day's loss limit nearer (or past it: a synced loser).
  checkLoss(ctx, accountId);
  const after = ctx.positions.get(key);
  if (input.idempotencyKey && after) {
    after.recentCommands = rememberKey(after.recentCommands ?? [], input.idempotencyKey, ctx.now);
    touch(ctx, after, 0);
  }
  return true;
}

function exit(ctx: Step, p: Position, c: Extract<Command, { kind: "exit" }>, actor: Actor): void {
  if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
  // No price is no reason not to exit: the market order goes out and fills at the next print (R1.2).
  const price = c.refPrice ?? lastPrice(ctx, p.symbol);
  const all = c.qty === undefined || c.qty >= p.qty;
  if (p.closing) {
    // A resting stop-limit (its limit passed) is replaced by a market exit; a market exit already working is enough.
    if (!all || !closingRests(ctx, p))
      throw new EngineError(
        409,
        `a market exit of ${p.symbol} is already working (${p.closing.reason}); it fills at the next print`,
      );
  }
  const free = p.qty - pendingExitQty(ctx, p);
  if (all || c.qty === undefined) {
    startClosing(ctx, p, "exit", say.exitAllBy(actor.label), price, actor);
    return;
  }
  checkQty(c.qty);
  if (c.qty > free) throw new EngineError(409, `only ${free} of ${p.qty} contracts are not already being exited`);
  const reason = say.takeProfitBy(c.qty, actor.label);
  const id = submitExit(ctx, p, `${p.key}:o${p.nextOrder}`, c.qty, "exit", reason, price);
  emit(ctx, p, "exit.submitted", actor, say.ofPosition(reason, p.qty), { qty: c.qty, orderId: id });
  touch(ctx, p, PART.state);
}

/** R1.6: only a resting entry can be withdrawn by hand; a TP or a stop order belongs to its rule. */
function cancelEntry(ctx: Step, p: Position, orderId: string, actor: Actor): void {
  const o = ctx.orders.get(orderId);
  if (!o || o.posKey !== p.key) throw new EngineError(404, `no working order ${orderId} on ${p.symbol}`);
  if (o.purpose !== "entry")
    throw new EngineError(409, `the ${o.purpose} order is managed by its rule: change the ${o.purpose} instead`);
  if (o.status !== "resting" || o.awaitingPrice)
    throw new EngineError(409, "the order is on its way to the broker: it can be cancelled once it rests");
  cancelOrder(ctx, p, o, say.cancelledBy(actor.label), actor);
  touch(ctx, p, PART.state);
}

/** The resting stop-limit exit becomes a market order for the same contracts (R3.2). */
function convert(ctx: Step, p: Position, actor: Actor): void {
  if (p.closing?.purpose !== "stop" || !closingRests(ctx, p))
    throw new EngineError(409, `no resting stop-limit exit of ${p.symbol} to convert`);
  const reason = say.convertedBy(p.closing.reason, actor.label);
  startClosing(ctx, p, "stop", reason, lastPrice(ctx, p.symbol), actor, true);
}
