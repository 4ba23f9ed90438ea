/** The take-profit ladder: levels priced from the entry, edited, rebased, and fired by a print. */
import { tpRule } from "./actors";
import { emit, type Step, touch } from "./context";
import { pendingExitQty, submitExit } from "./orders";
import { entryRef, formatPrice, onTick, profitPrice } from "./price-math";
import * as say from "./reasons";
import {
  type Actor,
  EngineError,
  type Nanos,
  PART,
  type Position,
  type Target,
  type TpLevel,
  type EngineSpec,
} from "./types";

/** `n`: the number the trader knows the level by (kept when free); `keep`: the level it edits. */
export type LevelEdit = { enabled: boolean; qty: number; target: Target; n?: number; keep?: TpLevel };

/** A level's number (TP1 …): its own, or for state stored before levels had one, its place. */
export const levelNo = (p: Position, l: TpLevel): number => l.n ?? p.ladder.indexOf(l) + 1;

const byPriceUp = (a: TpLevel, b: TpLevel) => a.price - b.price;
const byPriceDown = (a: TpLevel, b: TpLevel) => b.price - a.price;

function sameLadder(a: readonly TpLevel[], b: readonly TpLevel[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.price !== y.price || x.qty !== y.qty || x.enabled !== y.enabled || x.status !== y.status) return false;
  }
  return true;
}

export function setLadder(ctx: Step, p: Position, spec: EngineSpec, levels: LevelEdit[], actor: Actor): void {
  if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position to attach take-profit levels to`);
  if (p.closing) throw new EngineError(409, `an exit of ${p.symbol} is under way`);
  if (levels.length > 20) throw new EngineError(400, "at most 20 take-profit levels");
  const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
  const avg = Number(p.cost / BigInt(p.qty));
  // Levels already pending or filled stay as they are; the new list replaces the others.
  const ladder: TpLevel[] = [];
  // Numbers taken: by the levels that stay, then by the edited ones in turn (R2.5).
  const taken = new Set<number>();
  let committed = 0;
  for (const l of p.ladder) {
    if (l.status !== "pending" && l.status !== "filled") continue;
    ladder.push(l.n === undefined ? { ...l, n: levelNo(p, l) } : l);
    taken.add(levelNo(p, l));
    if (l.status === "pending") committed += l.qty - l.filledQty;
  }
  const wanted: (number | undefined)[] = levels.map((l) => {
    const n = l.keep ? levelNo(p, l.keep) : l.n;
    if (n === undefined || taken.has(n)) return undefined;
    taken.add(n);
    return n;
  });
  let seq = p.nextLevel;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    const name = wanted[i] ?? i + 1;
    if (!Number.isInteger(l.qty) || l.qty <= 0) throw new EngineError(400, `TP${name} quantity: a whole number ≥ 1`);
    const price = levelPrice(p, spec, ref, avg, l.target, name);
    if (l.enabled) committed += l.qty;
    const kept = l.keep && l.keep.price === price && l.keep.qty === l.qty ? l.keep : undefined;
    ladder.push(
      kept
        ? {
            ...kept,
            n: wanted[i],
            enabled: l.enabled,
            status: l.enabled ? "armed" : kept.status === "failed" ? "failed" : "armed",
            attempts: kept.status === "failed" && l.enabled ? 0 : kept.attempts,
          }
        : {
            id: `${p.tradeId}:tp${++seq}`,
            n: wanted[i],
            enabled: l.enabled,
            qty: l.qty,
            target: l.target,
            price,
            status: "armed",
            filledQty: 0,
            attempts: 0,
          },
    );
  }
  if (committed > p.qty)
    throw new EngineError(
      400,
      `take-profit quantities (${committed} enabled or pending) exceed the position (${p.qty})`,
    );
  ladder.sort(p.side === "long" ? byPriceUp : byPriceDown);
  // A level new to the trade takes the next free number, nearest target first.
  let next = Math.max(0, ...taken);
  for (const l of ladder) if (l.n === undefined) l.n = ++next;
  if (sameLadder(ladder, p.ladder)) return;
  p.nextLevel = seq;
  p.ladder = ladder;
  const shown = ladder.map((l) => ({ qty: l.qty, price: l.price, enabled: l.enabled, status: l.status }));
  emit(ctx, p, "ladder.set", actor, say.ladderSet(ladder, spec.decimals), { levels: shown });
  touch(ctx, p, PART.ladder);
}

/** One level changed; the other editable levels stay as they are, pending and filled ones are kept by the ladder itself (R2.1). */
export function updateLevel(
  ctx: Step,
  p: Position,
  spec: EngineSpec,
  index: number,
  patch: { enabled?: boolean; qty?: number; target?: Target },
  actor: Actor,
): void {
  const l = p.ladder[index];
  if (!l) throw new EngineError(404, `TP${index + 1} does not exist (${p.ladder.length} levels)`);
  if (l.status !== "armed" && l.status !== "cancelled" && l.status !== "failed")
    throw new EngineError(409, `TP${index + 1} is ${l.status} and can no longer change`);
  const levels: LevelEdit[] = [];
  for (let i = 0; i < p.ladder.length; i++) {
    const x = p.ladder[i]!;
    if (x.status === "pending" || x.status === "filled") continue;
    levels.push(
      i === index
        ? {
            enabled: patch.enabled ?? x.enabled,
            qty: patch.qty ?? x.qty,
            target: patch.target ?? x.target,
            keep: x,
          }
        : { enabled: x.enabled, qty: x.qty, target: x.target, keep: x },
    );
  }
  setLadder(ctx, p, spec, levels, actor);
}

export function levelPrice(p: Position, spec: EngineSpec, ref: Nanos, avg: Nanos, target: Target, n: number): Nanos {
  const name = `TP${n}`;
  const d = spec.decimals;
  if (target.unit === "price") {
    if (!onTick(target.value, spec.tick))
      throw new EngineError(
        400,
        `${name}: ${formatPrice(target.value, d)} is not on ${p.symbol}'s tick grid (${formatPrice(spec.tick, 0)})`,
      );
  } else if (!(target.value > 0) || (target.unit === "ticks" && !Number.isInteger(target.value))) {
    throw new EngineError(
      400,
      `${name}: the distance must be positive${target.unit === "ticks" ? " whole ticks" : ""}`,
    );
  }
  const price = profitPrice(p.side, ref, target, spec.tick);
  if (p.side === "long" ? price <= avg : price >= avg) {
    throw new EngineError(
      400,
      `${name}: ${formatPrice(price, d)} is not on the profit side of a ${p.side} entry at ${formatPrice(avg, d)}`,
    );
  }
  return price;
}

/** The entry moved (added to, or synced): levels given as distances follow it. */
export function rebaseLadder(ctx: Step, p: Position): void {
  const spec = ctx.spec(p.symbol)!;
  const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
  for (const l of p.ladder)
    if (l.status === "armed" && l.target.unit !== "price") l.price = profitPrice(p.side, ref, l.target, spec.tick);
}

export function fireLevel(ctx: Step, p: Position, l: TpLevel, price: Nanos): void {
  const free = p.qty - pendingExitQty(ctx, p);
  const qty = Math.min(l.qty - l.filledQty, free);
  if (qty <= 0) return;
  const n = levelNo(p, l);
  l.attempts++;
  l.status = "pending";
  const reason = say.tpReached(n, l.price, price, qty, ctx.spec(p.symbol)!.decimals);
  // A take-profit is a limit at its level (R2.2): a print beyond it does not give a better price.
  l.orderId = submitExit(ctx, p, `${l.id}:o${p.nextOrder}`, qty, "tp", reason, price, l.id);
  const data = { level: n, price: l.price, print: price, qty, orderId: l.orderId };
  emit(ctx, p, "tp.triggered", tpRule(n), reason, data);
  touch(ctx, p, PART.ladder);
}
