/**
 * The English of the engine: every reason an event, an order or a stop's basis carries, rendered
 * from the numbers the rules decided. Tests and stored logs rely on these exact sentences, so
 * they change here or nowhere. `d`: the instrument's price decimals.
 */
import { clockCT } from "../../shared/exchange-time";
import { formatDollars, formatPrice, formatTarget } from "./price-math";
import type { Nanos, OrderSide, Purpose, Side, Target, TimerAction, TpLevel, WorkingOrder } from "./types";

const px = formatPrice;

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/* ---------- feed ---------- */

export const feedUnprotected = (symbol: string, sinceMs: number) =>
  `unprotected: no prices for ${symbol} since ${clockCT(sinceMs)} — stops and take-profits cannot fire until prices return; exits are still sent`;
export const feedProtected = (symbol: string, withoutMs: number) =>
  `prices for ${symbol} again after ${duration(withoutMs)} without: stops and take-profits act again`;
export const AWAITING_FILLED = "sent without a price; filled (assumed) at the first print after";

/* ---------- triggers and exits ---------- */

export const tpReached = (n: number, level: Nanos, print: Nanos, qty: number, d: number) =>
  `TP${n} ${px(level, d)} reached (print ${px(print, d)}) → exit ${qty}`;
export const stopHit = (stop: Nanos, print: Nanos, basis: string, d: number) =>
  `stop ${px(stop, d)} hit (print ${px(print, d)}; ${basis})`;
export const exitAll = (reason: string) => `${reason} → exit all`;
/** Where an exit was priced, for the event's data. */
export const exitAt = (print: Nanos, d: number) => (print > 0 ? `print ${px(print, d)}` : "no price");
export const exitTriggered = (reason: string, qty: number, print: Nanos) =>
  `${reason} → exit ${qty}${print > 0 ? "" : " at market (no price now: it fills at the next print)"}`;

export function orderCancelled(o: WorkingOrder, left: number, why: string, d: number): string {
  const what = `${o.purpose === "stop" && o.type === "limit" ? "stop-limit" : o.purpose} ${o.side} ${left} ${o.type === "limit" ? `limit ${px(o.limitPrice!, d)}` : "at market"}`;
  return `${what} cancelled (${why})`;
}

/* ---------- commands ---------- */

export const TRADE_CLEARED = "trade cleared";
export const cancelledBy = (by: string) => `cancelled by ${by}`;
export const tradeCleared = (qty: number, side: Side) => `trade cleared by hand (${qty} ${side}, no order sent)`;
export const entryReason = (side: OrderSide, qty: number, by: string) => `${side} ${qty} by ${by}`;
export const orderSubmitted = (side: OrderSide, qty: number, symbol: string, limit: Nanos | undefined, d: number) =>
  `${side} ${qty} ${symbol} ${limit !== undefined ? `limit ${px(limit, d)}` : "at market"}`;
export const recorded = (side: Side, qty: number, price: Nanos, d: number) =>
  `position recorded by hand: ${side} ${qty} @ ${px(price, d)} (no order sent)`;
export const synced = (fresh: boolean, side: Side, qty: number, price: Nanos, d: number) =>
  `position ${fresh ? "reported" : "updated"} by the original API: ${side} ${qty} @ ${px(price, d)} (no order sent)`;
export const exitAllBy = (by: string) => `exit all by ${by}`;
export const takeProfitBy = (qty: number, by: string) => `take profit ${qty} by ${by}`;
export const ofPosition = (reason: string, qty: number) => `${reason} (of ${qty})`;
export const convertedBy = (reason: string, by: string) => `${reason}; converted to market by ${by}`;

/* ---------- ladder ---------- */

export function ladderSet(ladder: readonly TpLevel[], d: number): string {
  let text = "";
  for (let i = 0; i < ladder.length; i++) {
    const l = ladder[i]!;
    text += `${i ? ", " : ""}TP${l.n ?? i + 1} ${l.qty}@${px(l.price, d)}${l.enabled ? "" : " (off)"}${l.status !== "armed" ? ` (${l.status})` : ""}`;
  }
  return ladder.length ? `take-profit ladder: ${text}` : "take-profit ladder removed";
}
export const ladderFitted = (qty: number, cut: string[]) => `take-profit ladder fitted to ${qty}: ${cut.join(", ")}`;
export const ladderRefused = (why: string) => `take-profit ladder not placed: ${why}`;

/* ---------- stops ---------- */

export const STOP_REMOVED = "stop removed";
export const stopRefused = (why: string) => `stop not placed: ${why}`;
export const atrBasis = (multiplier: number, atr: Nanos, dist: Nanos, d: number) =>
  `${multiplier} × ATR ${px(atr, d)} = ${px(dist, d)} from entry`;
export const PRICE_BASIS = "set by price";
export const distanceBasis = (t: Target, d: number) => `${formatTarget(t, d)} from entry`;
/** Constants, not a new string per ratchet: the UI shows best and distance itself. */
export const TRAIL_BASIS: Record<Side, string> = { long: "trailing below the high", short: "trailing above the low" };
export const untrailedBasis = (at: Nanos, d: number) => `trailed to ${px(at, d)}, no longer trailing`;
export const movedBasis = (from: Nanos, d: number) => `moved by hand from ${px(from, d)}`;
export const breakevenBasis = (offsetTicks: number) =>
  `breakeven ${offsetTicks >= 0 ? "+" : ""}${offsetTicks} tick${Math.abs(offsetTicks) === 1 ? "" : "s"}`;

export const stopSet = (kind: string, price: Nanos, basis: string, d: number) =>
  `stop ${kind} ${px(price, d)} (${basis})`;
export const stopKept = (kind: string, at: Nanos, trailBy: Target | null, d: number) =>
  `stop ${kind} kept at ${px(at, d)} (${trailBy ? `trailing ${formatTarget(trailBy, d)}` : "no longer trailing"}; settings changed)`;
export const stopRetrailed = (kind: string, price: Nanos, trailBy: Target, best: Nanos, d: number) =>
  `stop ${kind} ${px(price, d)} (now trailing ${formatTarget(trailBy, d)} from ${px(best, d)})`;
export const trailingFromNow = (trailBy: Target, best: Nanos, price: Nanos, d: number) =>
  `; trailing ${formatTarget(trailBy, d)} from ${px(best, d)}: ${px(price, d)}`;
export const stopMoved = (from: Nanos, to: Nanos, d: number) => `stop moved ${px(from, d)} → ${px(to, d)}`;

export const BREAKEVEN_AFTER_TP1 = "TP1 filled → stop to breakeven";
export const noStopToMove = (why: string) => `${why}: no stop to move`;
export const breakevenBeyond = (why: string, target: Nanos, last: Nanos, stop: Nanos, d: number) =>
  `${why}: breakeven ${px(target, d)} is beyond the market ${px(last, d)}; stop left at ${px(stop, d)}`;
export const breakevenMoved = (why: string, from: Nanos, to: Nanos, d: number) =>
  `${why}: ${px(from, d)} → ${px(to, d)}`;
export const TRAIL_SKIPPED = "trailing after TP1 asked but no trailing distance set";
export const trailingStarted = (trailBy: Target, best: Nanos, from: Nanos, to: Nanos, moved: boolean, d: number) =>
  `trailing ${formatTarget(trailBy, d)} from ${px(best, d)}${moved ? `: stop ${px(from, d)} → ${px(to, d)}` : `; stop stays at ${px(to, d)}`}`;

/* ---------- timer ---------- */

export const TIMER_CANCELLED = "trade timer cancelled";
export const timerSet = (durationMs: number, action: TimerAction, regardless: boolean) =>
  `trade timer ${duration(durationMs)} → ${action}${regardless ? " (regardless of profit)" : " (unless in profit)"}`;
export const timerWaiting = (durationMs: number, action: TimerAction) =>
  `timer ${duration(durationMs)} expired in profit → ${action} when price returns to entry`;
export const TIMER_REGARDLESS = "expired (act regardless)";
export const TIMER_NO_PROFIT = "expired, not in profit";
export const TIMER_BACK_AT_ENTRY = "expired earlier; price back at entry";
const TIMER_ACTS: Record<TimerAction, string> = {
  hold: "hold",
  exit: "exit",
  reverse: "reverse",
  breakeven: "stop to breakeven",
};
export const timerFired = (durationMs: number, why: string, action: TimerAction) =>
  `timer ${duration(durationMs)} ${why} → ${TIMER_ACTS[action]}`;

/* ---------- reports and fills ---------- */

export const sentNoPrice = (o: WorkingOrder, qty: number) =>
  `${o.purpose === "entry" ? `${o.side} order` : o.purpose} ${o.side} ${qty} sent with no price; its fill is taken at the next print`;
const verb = (assumed: boolean) => (assumed ? "sent (fill assumed)" : "filled");
export const tpFilled = (n: number, qty: number, price: Nanos, net: bigint, assumed: boolean, d: number) =>
  `TP${n} ${verb(assumed)} ${qty} @ ${px(price, d)} (P&L ${formatDollars(net)})`;
export function closeFilled(o: WorkingOrder, qty: number, price: Nanos, net: bigint, assumed: boolean, d: number) {
  const what =
    o.purpose === "entry" || o.purpose === "reverse" ? `${o.side} order` : o.purpose === "exit" ? "exit" : o.purpose;
  return `${what} ${verb(assumed)} ${qty} @ ${px(price, d)} (P&L ${formatDollars(net)})`;
}
/** An opening fill; `avg` the position's average after it when it added to one (else undefined). */
export function opened(
  purpose: Purpose,
  side: Side,
  qty: number,
  price: Nanos,
  assumed: boolean,
  after: { qty: number; avg: Nanos } | undefined,
  d: number,
): string {
  const late = purpose !== "entry" && purpose !== "reverse";
  return `${late ? `${purpose} order filled after the position was already flat — ` : ""}${after ? "added" : "opened"} ${side} ${qty} @ ${px(price, d)} (${verb(assumed)})${after ? `; position ${after.qty} @ ${px(after.avg, d)} avg` : ""}${late ? "; check it with the broker" : ""}`;
}
export const reverseInto = (side: Side, qty: number) => `reverse into ${side} ${qty}`;
export const tradeClosed = (side: Side, qty: number, realized: bigint, commissions: bigint) =>
  `trade closed: ${side} ${qty}, P&L ${formatDollars(realized - commissions)} net (${formatDollars(realized)} gross, ${formatDollars(commissions)} commission)`;

/* ---------- failures ---------- */

export const tpFailed = (n: number, kind: string, attempts: number, why: string) =>
  `TP${n} exit ${kind} ${attempts}×: ${why} — position still open, act by hand`;
export const tpRetry = (n: number, kind: string, why: string, attempt: number, max: number) =>
  `TP${n} exit ${kind}: ${why} — armed again (attempt ${attempt} of ${max})`;
export const exitFailed = (attempts: number, reason: string, why: string) =>
  `EXIT FAILED ${attempts}× (${reason}): ${why} — position still open, act by hand`;
export const exitRetry = (kind: string, why: string, attempt: number, max: number) =>
  `exit ${kind}: ${why} — retrying (attempt ${attempt} of ${max})`;
export const orderFailed = (o: WorkingOrder, kind: string, why: string) =>
  `${o.purpose} order ${o.side} ${o.qty} ${kind}: ${why}`;

/* ---------- risk limits (R10) ---------- */

const contracts = (n: number) => `${n} contract${n === 1 ? "" : "s"}`;
/** "3 ES (30 micro-equivalent)" where a weight applies, else "3 MES". */
const sized = (qty: number, symbol: string, weight: number) =>
  weight === 1 ? `${qty} ${symbol}` : `${qty} ${symbol} (${qty * weight} micro-equivalent)`;
export const maxOrderRefused = (qty: number, symbol: string, weight: number, max: number) =>
  `order refused: ${sized(qty, symbol, weight)} is above this account's maximum order of ${contracts(max)} (micro-equivalent)`;
export const maxPositionRefused = (group: string, after: number, max: number) =>
  `order refused: it would make the ${group} position ${contracts(Math.abs(after))} (micro-equivalent, mini and micro together), above this account's maximum of ${max}`;
export const lockedRefused = (reason: string, untilMs: number) =>
  `new entries are locked until ${clockCT(untilMs)}: ${reason}. Exits still work`;
export const closeWindowRefused = (min: number) =>
  `new entries are closed: this account flattens ${min} min before the daily close and takes no entries until the next session`;
export const dailyLossReached = (limit: bigint, day: bigint) =>
  `daily loss limit ${formatDollars(limit)} reached (day ${formatDollars(day)}, realized and open)`;
export const flattenBeforeClose = (min: number, closeMs: number) =>
  `${min} min before the daily close (${clockCT(closeMs)})`;
export const KILL_SWITCH = "kill switch";
export const killedBy = (by: string) => `kill switch by ${by}`;
export const lockedBy = (reason: string, untilMs: number) =>
  `${reason} → flatten everything; new entries locked until ${clockCT(untilMs)}`;
export const resumedBy = (by: string) => `trading resumed by ${by} after the kill switch`;
export const LOSS_LOCK_STAYS =
  "the daily loss limit locks this account until the next session; it cannot be lifted early";
export const NOT_LOCKED = "this account is not locked";
