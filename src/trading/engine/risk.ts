/**
 * Risk limits (docs/trading-rules.md R10): the most one order may open, the most a product may
 * hold (a mini and its micro netted), the day's loss that flattens the account and locks new
 * entries until the next session, the kill switch, and flattening before the daily close.
 * Checked when an entry is placed (a refusal throws before anything changes) and as prices move.
 */
import { rule } from "./actors";
import { startClosing } from "./closing";
import { type Book, emitAt, lastPrice, type Step } from "./context";
import { cancelResting, closingRests } from "./orders";
import { pnlAt } from "./positions";
import * as say from "./reasons";
import {
  type AccountDay,
  type AccountInput,
  type Actor,
  EngineError,
  type EngineSpec,
  type Position,
  type Side,
} from "./types";

const RISK = rule("risk");
/** Without a calendar (tests, tools) a trading day never ends. */
const NEVER = Number.MAX_SAFE_INTEGER;

/** The account's trading day now: a new one, at zero and unlocked, once the last has ended. */
export function dayOf(ctx: Step, accountId: number): AccountDay {
  let d = ctx.days.get(accountId);
  if (!d) {
    d = { untilMs: ctx.calendar?.dayEnd(ctx.now) ?? NEVER, realized: 0n, lock: null };
    ctx.days.set(accountId, d);
  } else if (ctx.now >= d.untilMs) {
    d.untilMs = ctx.calendar?.dayEnd(ctx.now) ?? NEVER;
    d.realized = 0n;
    d.lock = null;
    noteDay(ctx, accountId, d);
  }
  return d;
}

function noteDay(ctx: Step, accountId: number, d: AccountDay): void {
  ctx.out.push({ type: "day", accountId, day: { ...d, lock: d.lock && { ...d.lock } } });
}

/** A fill's realized P&L net of its commission joins the day's. */
export function addRealized(ctx: Step, accountId: number, net: bigint): void {
  if (net === 0n) return;
  const d = dayOf(ctx, accountId);
  d.realized += net;
  noteDay(ctx, accountId, d);
}

const groupOf = (symbol: string, s: EngineSpec) => s.riskGroup ?? symbol;
const weightOf = (s: EngineSpec) => s.riskWeight ?? 1;
const sign = (side: Side | "buy" | "sell") => (side === "long" || side === "buy" ? 1 : -1);

/** The account's net micro-equivalent position in a product (long +), with the entries still working. */
function exposure(ctx: Step, accountId: number, group: string): number {
  let n = 0;
  for (const p of ctx.positions.values()) {
    if (p.accountId !== accountId || p.qty === 0) continue;
    const s = ctx.spec(p.symbol);
    if (s && groupOf(p.symbol, s) === group) n += sign(p.side) * p.qty * weightOf(s);
  }
  for (const o of ctx.orders.values()) {
    if (o.accountId !== accountId || (o.purpose !== "entry" && o.purpose !== "reverse")) continue;
    const s = ctx.spec(o.symbol);
    if (s && groupOf(o.symbol, s) === group) n += sign(o.side) * (o.qty - o.filled) * weightOf(s);
  }
  return n;
}

/**
 * An order, a recorded or a synced trade of `qty` on `side`: refused (throws, nothing changed)
 * when what it opens breaks a limit. What only reduces the position is never refused.
 */
export function checkEntry(
  ctx: Step,
  accountId: number,
  symbol: string,
  spec: EngineSpec,
  side: "buy" | "sell",
  qty: number,
): void {
  const a = ctx.accounts.get(accountId);
  const p = ctx.positions.get(`${accountId}:${symbol}`);
  const opens = p && p.qty > 0 && sign(p.side) !== sign(side) ? Math.max(0, qty - p.qty) : qty;
  if (opens === 0) return;
  const day = dayOf(ctx, accountId);
  if (day.lock) throw refusal(say.lockedRefused(day.lock.reason, day.untilMs));
  const r = a?.risk;
  if (!r) return;
  if (r.flattenBeforeCloseMin && inCloseWindow(ctx, r.flattenBeforeCloseMin))
    throw refusal(say.closeWindowRefused(r.flattenBeforeCloseMin));
  const w = weightOf(spec);
  if (r.maxOrder !== undefined && opens * w > r.maxOrder)
    throw refusal(say.maxOrderRefused(qty, symbol, w, r.maxOrder));
  if (r.maxPosition !== undefined) {
    const group = groupOf(symbol, spec);
    const before = exposure(ctx, accountId, group);
    const after = before + sign(side) * qty * w;
    if (Math.abs(after) > r.maxPosition && Math.abs(after) > Math.abs(before))
      throw refusal(say.maxPositionRefused(group, after, r.maxPosition));
  }
}

const refusal = (message: string) => new EngineError(409, message, undefined, "risk_limit");

function inCloseWindow(ctx: Step, minutes: number): boolean {
  const close = ctx.calendar?.nextClose(ctx.now);
  return close !== undefined && ctx.now >= close - minutes * 60_000;
}

/** The account's day: realized net plus every open position at its last print, 1e-9 dollars. */
function dayPnl(ctx: Step, accountId: number): bigint {
  return dayOf(ctx, accountId).realized + openPnl(ctx, accountId);
}

/** Every open position of the account at its last print, 1e-9 dollars (read only). */
export function openPnl(ctx: Step, accountId: number): bigint {
  let v = 0n;
  for (const p of ctx.positions.values()) if (p.accountId === accountId && p.qty > 0) v += openDollars(ctx, p);
  return v;
}

/** One position at its symbol's last print (0 without one), 1e-9 dollars. */
function openDollars(ctx: Step, p: Position): bigint {
  const last = lastPrice(ctx, p.symbol);
  return last > 0 ? (pnlAt(p, last) * ctx.spec(p.symbol)!.pointValue) / 1_000_000_000n : 0n;
}

/** The daily loss limit, checked now (after a fill, on a print past a position's loss price, on the clock). */
export function checkLoss(ctx: Step, accountId: number): void {
  const limit = ctx.accounts.get(accountId)?.risk?.dailyLoss;
  if (limit === undefined) return;
  const d = dayOf(ctx, accountId);
  if (d.lock) return;
  const pnl = dayPnl(ctx, accountId);
  if (pnl > -limit) refreshLossPrices(ctx, accountId);
  else lock(ctx, accountId, "loss", say.dailyLossReached(limit, pnl), RISK);
}

/** Locks new entries and flattens every position of the account (daily loss limit, kill switch). */
function lock(ctx: Step, accountId: number, kind: "loss" | "kill", reason: string, actor: Actor): void {
  const d = dayOf(ctx, accountId);
  d.lock = { kind, reason, atMs: ctx.now };
  noteDay(ctx, accountId, d);
  emitAccount(ctx, accountId, "risk.locked", actor, say.lockedBy(reason, d.untilMs), { kind, untilMs: d.untilMs });
  flattenAccount(ctx, accountId, reason, actor);
}

function flattenAccount(ctx: Step, accountId: number, reason: string, actor: Actor): void {
  for (const p of [...ctx.positions.values()]) {
    if (p.accountId !== accountId) continue;
    if (p.qty === 0) {
      // Resting entry orders would open again what was just flattened.
      cancelResting(ctx, p, reason);
      continue;
    }
    // An exit already on its way is enough; a jumped stop-limit resting at the venue is replaced by a market exit.
    if (p.closing && !closingRests(ctx, p)) continue;
    startClosing(ctx, p, "risk", reason, lastPrice(ctx, p.symbol), actor, true);
  }
}

/** The kill switch, and resuming after it (a loss lock stays until the next session). */
export function onAccount(ctx: Step, input: AccountInput): void {
  if (!ctx.accounts.get(input.accountId)) throw new EngineError(404, `unknown account ${input.accountId}`);
  const d = dayOf(ctx, input.accountId);
  if (input.action === "kill") {
    if (d.lock) flattenAccount(ctx, input.accountId, say.KILL_SWITCH, input.actor);
    else lock(ctx, input.accountId, "kill", say.killedBy(input.actor.label), input.actor);
    return;
  }
  if (!d.lock) throw new EngineError(409, say.NOT_LOCKED);
  if (d.lock.kind === "loss") throw new EngineError(409, say.LOSS_LOCK_STAYS, undefined, "risk_limit");
  d.lock = null;
  noteDay(ctx, input.accountId, d);
  emitAccount(ctx, input.accountId, "risk.resumed", input.actor, say.resumedBy(input.actor.label), {});
}

/** The clock: a new trading day, flattening before the close, the loss limit as other symbols move. */
export function riskClock(ctx: Step): void {
  for (const a of ctx.accounts.values()) {
    const r = a.risk;
    if (!r || (r.dailyLoss === undefined && !r.flattenBeforeCloseMin)) continue;
    dayOf(ctx, a.id);
    if (r.flattenBeforeCloseMin && inCloseWindow(ctx, r.flattenBeforeCloseMin)) {
      const close = ctx.calendar!.nextClose(ctx.now);
      const why = say.flattenBeforeClose(r.flattenBeforeCloseMin, close);
      for (const p of ctx.positions.values())
        if (p.accountId === a.id && p.qty > 0 && !p.closing)
          startClosing(ctx, p, "risk", why, lastPrice(ctx, p.symbol), RISK, true);
    }
    checkLoss(ctx, a.id);
  }
}

/**
 * Each open position's loss price: the print at or beyond which the account's day reaches its
 * loss limit, the other positions at their last prints. Part of the position's trigger band, so
 * the limit acts on the print that reaches it; the clock refreshes it as the others move.
 */
export function refreshLossPrices(ctx: Step, accountId: number): void {
  const limit = ctx.accounts.get(accountId)?.risk?.dailyLoss;
  const locked = ctx.days.get(accountId)?.lock;
  let total = 0n;
  const open: Position[] = [];
  for (const p of ctx.positions.values()) {
    if (p.accountId !== accountId) continue;
    if (p.qty > 0 && limit !== undefined && !locked) {
      open.push(p);
      total += openDollars(ctx, p);
    } else setLossPrice(ctx, p, Number.NaN);
  }
  if (!open.length) return;
  const realized = dayOf(ctx, accountId).realized;
  for (const p of open) {
    const pv = ctx.spec(p.symbol)!.pointValue;
    const mine = openDollars(ctx, p);
    // What this position may lose before the day reaches −limit, in price × contracts.
    const room = ((-limit! - realized - (total - mine)) * 1_000_000_000n) / pv;
    const q = BigInt(p.qty);
    const at = p.side === "long" ? (p.cost + room) / q : (p.cost - room + q - 1n) / q;
    setLossPrice(ctx, p, Number(at));
  }
}

function setLossPrice(ctx: Step, p: Position, at: number): void {
  const b: Book = ctx.books.get(p.symbol)!;
  const i = b.slot.get(p)!;
  const cur = b.lossAt[i]!;
  if (cur === at || (Number.isNaN(cur) && Number.isNaN(at))) return;
  b.lossAt[i] = at;
  if (!b.stale[i]) {
    b.stale[i] = 1;
    b.staleCount++;
  }
}

/** An account-wide event (no position of its own): stored with the account and no symbol. */
function emitAccount(
  ctx: Step,
  accountId: number,
  kind: string,
  actor: Actor,
  reason: string,
  data: Record<string, unknown>,
): void {
  emitAt(ctx, { key: `${accountId}:`, accountId, symbol: "", tradeId: null }, kind, actor, reason, data);
}
