/**
 * The trade manager: `step(input)` applies one input — a print, the clock, a trader's command
 * or an execution report — and returns the effects (orders to submit, events to record,
 * positions that changed, trades that closed). No I/O and no clock of its own, so live and
 * replay run the same code and a recorded input sequence always produces the same effects.
 * An invalid command throws EngineError before anything is changed.
 *
 * This file dispatches; each rule lives in its own module as a function of the step context
 * (context.ts): bands, prints, fills, reports, ladder, stops, trailing, timer, bracket, feed,
 * commands, with the English in reasons.ts.
 */
import { rebuild } from "./bands";
import { onCommand } from "./commands";
import { addToBook, type Book, bookOf, NONE, type Step, touch } from "./context";
import { onFeed } from "./feed";
import { onPrint } from "./prints";
import { onReport } from "./reports";
import { onAccount, openPnl, refreshLossPrices, riskClock } from "./risk";
import { onClock } from "./timer";
import {
  type AccountConfig,
  type AccountDay,
  type Bracket,
  type Effect,
  type EngineInput,
  type Nanos,
  PART,
  type Position,
  type WorkingOrder,
  type EngineSpec,
  type PendingEntry,
  type SessionCalendar,
} from "./types";

export { MAX_ATTEMPTS, MAX_QTY } from "./context";
export { closesContracts } from "./positions";
export { IDEMPOTENCY_MS } from "./versions";

export interface EngineSnapshot {
  positions: Position[];
  orders: WorkingOrder[];
  entries: [string, PendingEntry][];
  /** Each account's trading day (risk limits); absent in snapshots from before them. */
  days?: [number, AccountDay][];
}

/** The part of a snapshot that belongs to the accounts `keep` accepts (entries go with their orders). */
export function snapshotOf(s: EngineSnapshot, keep: (accountId: number) => boolean): EngineSnapshot {
  const orders = s.orders.filter((o) => keep(o.accountId));
  const kept = new Set(orders.map((o) => o.id));
  return {
    positions: s.positions.filter((p) => keep(p.accountId)),
    orders,
    entries: s.entries.filter(([id]) => kept.has(id)),
    days: (s.days ?? []).filter(([id]) => keep(id)),
  };
}

export class TradingEngine {
  /** The state and the step under way, handed to every rule. */
  private readonly ctx: Step;
  /** The book of the previous print: a feed sends runs of one symbol, so most prints skip the lookup. */
  private lastBook: Book | undefined;

  constructor(
    spec: (symbol: string) => EngineSpec | undefined,
    /**
     * Announce trailing-stop ratchets only when `announceRatchets()` is called instead of per
     * print. The stop itself moves on the print either way; only the "changed" effect waits. For
     * replay, whose positions are not stored and whose screens refresh a few times a second
     * however fast the tape plays; the live engine stores every ratchet before anything else happens.
     */
    opts: { deferRatchets?: boolean; calendar?: SessionCalendar } = {},
  ) {
    this.ctx = {
      books: new Map(),
      positions: new Map(),
      orders: new Map(),
      entries: new Map(),
      accounts: new Map(),
      days: new Map(),
      calendar: opts.calendar,
      timed: new Set(),
      spec,
      deferRatchets: opts.deferRatchets ?? false,
      out: NONE,
      now: 0,
    };
  }

  /** A new effects list for a step at `now` (a new list: `touch` reports each position once per list). */
  private begin(now: number): Effect[] {
    const out: Effect[] = [];
    this.ctx.out = out;
    this.ctx.now = now;
    return out;
  }

  setAccount(a: AccountConfig): void {
    this.ctx.accounts.set(a.id, a);
    // Its limits may have changed: the loss prices follow (nothing is emitted outside a step).
    this.begin(this.ctx.now);
    refreshLossPrices(this.ctx, a.id);
    this.ctx.out = NONE;
  }

  /** An account's trading day as of `nowMs` (realized P&L net of commissions, lock); reading changes nothing. */
  day(accountId: number, nowMs: number): Readonly<AccountDay> {
    const d = this.ctx.days.get(accountId);
    if (d && nowMs < d.untilMs) return d;
    return { untilMs: this.ctx.calendar?.dayEnd(nowMs) ?? Number.MAX_SAFE_INTEGER, realized: 0n, lock: null };
  }

  /** The account's open positions at their last prints, 1e-9 dollars. */
  openPnl(accountId: number): bigint {
    return openPnl(this.ctx, accountId);
  }

  position(accountId: number, symbol: string): Readonly<Position> | undefined {
    return this.ctx.positions.get(`${accountId}:${symbol}`);
  }

  positionByKey(key: string): Position | undefined {
    return this.ctx.positions.get(key);
  }

  allPositions(): readonly Position[] {
    return [...this.ctx.positions.values()];
  }

  order(id: string): Readonly<WorkingOrder> | undefined {
    return this.ctx.orders.get(id);
  }

  /** The bracket an entry order will apply when it fills. */
  bracketFor(orderId: string): Bracket | undefined {
    return this.ctx.entries.get(orderId)?.bracket;
  }

  workingOrders(): readonly WorkingOrder[] {
    return [...this.ctx.orders.values()];
  }

  lastPrice(symbol: string): Nanos | undefined {
    const b = this.ctx.books.get(symbol);
    return b && b.last > 0 ? b.last : undefined;
  }

  /** The hot path: a print. Inside the book's quiet band it costs two comparisons. */
  onTrade(symbol: string, price: Nanos, tsMs: number): Effect[] {
    let book = this.lastBook;
    if (!book || book.symbol !== symbol) book = this.lastBook = bookOf(this.ctx.books, symbol);
    book.last = price;
    if (book.staleCount) rebuild(book);
    if (price < book.up && price > book.down && !book.downSince && !book.awaiting) return NONE;
    const out = this.begin(tsMs);
    onPrint(this.ctx, book, price);
    return out;
  }

  step(input: EngineInput): Effect[] {
    switch (input.type) {
      case "trade":
        return this.onTrade(input.symbol, input.price, input.tsMs);
      case "clock": {
        const out = this.begin(input.nowMs);
        onClock(this.ctx);
        riskClock(this.ctx);
        return out;
      }
      case "command": {
        const out = this.begin(input.tsMs);
        return onCommand(this.ctx, input) ? out : NONE;
      }
      case "report": {
        const out = this.begin(input.tsMs);
        onReport(this.ctx, input);
        return out;
      }
      case "feed": {
        const out = this.begin(input.tsMs);
        onFeed(this.ctx, input);
        return out;
      }
      case "account": {
        const out = this.begin(input.tsMs);
        onAccount(this.ctx, input);
        return out;
      }
    }
  }

  /** Since when a symbol has had no prices (its positions are unprotected), if it has none now. */
  feedDownSince(symbol: string): number | undefined {
    return this.ctx.books.get(symbol)?.downSince || undefined;
  }

  /** With deferRatchets: a "changed" effect for each position whose trailing stop moved since the last call. */
  announceRatchets(): Effect[] {
    const out = this.begin(this.ctx.now);
    for (const b of this.ctx.books.values()) {
      if (!b.ratchetCount) continue;
      // touch() clears each flag.
      for (let i = 0; i < b.positions.length; i++) if (b.ratcheted[i]) touch(this.ctx, b.positions[i]!, PART.trail);
    }
    return out;
  }

  /* ---------------- snapshot ---------------- */

  snapshot(): EngineSnapshot {
    const { positions, orders, entries, days } = this.ctx;
    return structuredClone({
      positions: [...positions.values()],
      orders: [...orders.values()],
      entries: [...entries],
      days: [...days],
    });
  }

  restore(s: EngineSnapshot): void {
    const { books, positions, orders, entries, timed, days } = this.ctx;
    // What the market said is not part of the stored state: the last prices and outages stay.
    const market = [...books.values()].map((b) => [b.symbol, b.last, b.downSince] as const);
    positions.clear();
    orders.clear();
    entries.clear();
    days.clear();
    books.clear();
    this.lastBook = undefined;
    timed.clear();
    for (const [symbol, last, downSince] of market) {
      const b = bookOf(books, symbol);
      b.last = last;
      b.downSince = downSince;
    }
    for (const p of structuredClone(s.positions)) {
      positions.set(p.key, p);
      addToBook(books, p);
      if (p.timer && p.timer.phase !== "done") timed.add(p);
    }
    for (const o of structuredClone(s.orders)) {
      orders.set(o.id, o);
      if (o.awaitingPrice) bookOf(books, o.symbol).awaiting++;
    }
    for (const [k, v] of structuredClone(s.entries)) entries.set(k, v);
    for (const [k, v] of structuredClone(s.days ?? [])) days.set(k, v);
    this.begin(this.ctx.now);
    for (const id of this.ctx.accounts.keys()) refreshLossPrices(this.ctx, id);
    this.ctx.out = NONE;
  }

  /** Another instance runs these accounts now: their state leaves this engine (the market's prices stay). */
  forgetAccounts(ids: ReadonlySet<number>): void {
    const s = this.snapshot();
    for (const id of ids) this.ctx.accounts.delete(id);
    this.restore(snapshotOf(s, (id) => !ids.has(id)));
  }

  /** The stored state of accounts taken over from another instance, beside what this engine has. */
  adopt(s: EngineSnapshot): void {
    const cur = this.snapshot();
    // The stored state wins where the engine already has the position or order (never two copies in a book).
    const positions = new Map(cur.positions.map((p) => [p.key, p]));
    for (const p of s.positions) positions.set(p.key, p);
    const orders = new Map(cur.orders.map((o) => [o.id, o]));
    for (const o of s.orders) orders.set(o.id, o);
    const entries = new Map(cur.entries);
    for (const [k, v] of s.entries) entries.set(k, v);
    const days = new Map(cur.days);
    for (const [k, v] of s.days ?? []) days.set(k, v);
    this.restore({
      positions: [...positions.values()],
      orders: [...orders.values()],
      entries: [...entries],
      days: [...days],
    });
  }
}
