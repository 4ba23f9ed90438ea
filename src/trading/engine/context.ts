/**
 * What every rule works on: the engine's state and the step under way (its effects and its
 * time). Rules are functions of this context, so nothing hides in a class field or a module
 * variable, and a step's effects are exactly what its rules pushed onto `out`.
 */
import {
  type AccountConfig,
  type AccountDay,
  type Actor,
  type Effect,
  EngineError,
  type EngineSpec,
  type Nanos,
  type PendingEntry,
  type Position,
  type SessionCalendar,
  type WorkingOrder,
} from "./types";

/** Per symbol: its positions and the price band inside which a print changes nothing. */
export interface Book {
  symbol: string;
  positions: Position[];
  /** Each position's index in `positions`. */
  slot: Map<Position, number>;
  /** Each position's own band, by index (derived, never persisted). */
  ups: number[];
  downs: number[];
  /** 1 where a position changed and its band must be recomputed before the next print. */
  stale: number[];
  staleCount: number;
  /** The effects list in which the position was last reported "changed" (once per step each). */
  changedIn: (Effect[] | undefined)[];
  /** 1 where a trailing-stop ratchet is not yet announced (deferRatchets). */
  ratcheted: number[];
  ratchetCount: number;
  /** Each position's loss price (risk.ts), by index; NaN: no daily loss limit applies. */
  lossAt: number[];
  last: Nanos;
  /** Since when no prices have come for this symbol (0: they are coming). */
  downSince: number;
  /** Orders of this symbol the broker took with no price known: filled at the next print. */
  awaiting: number;
  /** A print at or above this may trigger something; at or below `down` likewise. */
  up: Nanos;
  down: Nanos;
}

export interface Step {
  readonly books: Map<string, Book>;
  readonly positions: Map<string, Position>;
  readonly orders: Map<string, WorkingOrder>;
  readonly entries: Map<string, PendingEntry>;
  readonly accounts: Map<number, AccountConfig>;
  /** Each account's trading day (risk.ts): realized P&L, lock. */
  readonly days: Map<number, AccountDay>;
  /** Trading days and daily closes; absent, a day never ends. */
  readonly calendar: SessionCalendar | undefined;
  /** Positions whose timer still runs (the clock looks only at these). */
  readonly timed: Set<Position>;
  readonly spec: (symbol: string) => EngineSpec | undefined;
  /** See the engine's constructor: ratchets wait for `announceRatchets()`. */
  readonly deferRatchets: boolean;
  /** The step's effects, in order: a new list per step (`touch` tells steps apart by it). */
  out: Effect[];
  /** The step's time: of the print, report, command or clock input being applied. */
  now: number;
}

export const NONE: Effect[] = [];
export const MAX_ATTEMPTS = 3;
/** The most contracts one order, record or position may hold: far above any real order, far below what the database can store. */
export const MAX_QTY = 10_000;

export function checkQty(qty: number | undefined): void {
  if (!Number.isInteger(qty) || qty! <= 0) throw new EngineError(400, "quantity: a whole number of contracts ≥ 1");
  if (qty! > MAX_QTY) throw new EngineError(400, `quantity: at most ${MAX_QTY.toLocaleString("en-US")} contracts`);
}

export function need(p: Position | undefined, symbol: string): Position {
  if (!p) throw new EngineError(404, `no ${symbol} position`);
  return p;
}

/** The symbol's last print (0: none yet). */
export const lastPrice = (ctx: Step, symbol: string): Nanos => ctx.books.get(symbol)?.last ?? 0;

export function emit(
  ctx: Step,
  p: Position,
  kind: string,
  actor: Actor,
  reason: string,
  data: Record<string, unknown>,
): void {
  const at = { key: p.key, accountId: p.accountId, symbol: p.symbol, tradeId: p.tradeId || null };
  emitAt(ctx, at, kind, actor, reason, data);
}

/** An event of a position (`emit`), or of a whole account (key `${accountId}:`, no symbol, no trade). */
export function emitAt(
  ctx: Step,
  at: { key: string; accountId: number; symbol: string; tradeId: string | null },
  kind: string,
  actor: Actor,
  reason: string,
  data: Record<string, unknown>,
): void {
  const { key, ...where } = at;
  ctx.out.push({ type: "event", key, event: { kind, ...where, actor, reason, data, tsMs: ctx.now } });
}

/** A change of the position (`parts`: what it touched, PART bits; R8.1). */
export function touch(ctx: Step, p: Position, parts: number): void {
  p.version++;
  const log = (p.edits ??= []);
  const lastRun = log[log.length - 1];
  // Runs of the same kind (a stop trailing print after print) extend one entry: nothing allocated.
  if (lastRun && lastRun[2] === parts && lastRun[1] === p.version - 1) lastRun[1] = p.version;
  else {
    log.push([p.version, p.version, parts]);
    if (log.length > 32) log.shift();
  }
  const b = ctx.books.get(p.symbol)!;
  const i = b.slot.get(p)!;
  if (!b.stale[i]) {
    b.stale[i] = 1;
    b.staleCount++;
  }
  if (b.ratcheted[i]) {
    b.ratcheted[i] = 0;
    b.ratchetCount--;
  }
  if (b.changedIn[i] !== ctx.out) {
    b.changedIn[i] = ctx.out;
    ctx.out.push({ type: "changed", key: p.key, accountId: p.accountId, symbol: p.symbol });
  }
}

export function bookOf(books: Map<string, Book>, symbol: string): Book {
  let b = books.get(symbol);
  if (!b) {
    b = {
      symbol,
      positions: [],
      slot: new Map(),
      ups: [],
      downs: [],
      stale: [],
      staleCount: 0,
      changedIn: [],
      ratcheted: [],
      ratchetCount: 0,
      lossAt: [],
      last: 0,
      downSince: 0,
      awaiting: 0,
      up: Infinity,
      down: -Infinity,
    };
    books.set(symbol, b);
  }
  return b;
}

export function addToBook(books: Map<string, Book>, p: Position): void {
  const b = bookOf(books, p.symbol);
  b.slot.set(p, b.positions.length);
  b.positions.push(p);
  b.ups.push(Infinity);
  b.downs.push(-Infinity);
  b.stale.push(1);
  b.staleCount++;
  b.ratcheted.push(0);
  b.lossAt.push(Number.NaN);
  b.changedIn.push(undefined);
}
