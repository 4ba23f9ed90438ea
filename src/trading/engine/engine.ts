import { clockCT } from "../../shared/exchange-time";
import type { Actor } from "./types";
import { fitLadder } from "./ladder-fit";
import {
  averageNearest,
  betterStop,
  ceilTick,
  distanceOf,
  entryRef,
  floorTick,
  formatDollars,
  formatPrice,
  formatTarget,
  lossPrice,
  onTick,
  profitPrice,
} from "./price-math";
import {
  EngineError,
  type AccountConfig,
  type Bracket,
  type ClosedTrade,
  type Command,
  type CommandInput,
  type Effect,
  type EngineInput,
  type FeedInput,
  type InstrumentSpec,
  type Nanos,
  type OrderRequest,
  type Position,
  type Purpose,
  type ReportInput,
  type Side,
  type StopConfig,
  type StopState,
  type Target,
  type TpLevel,
  type WorkingOrder,
  PART,
} from "./types";

interface PendingEntry {
  orderId: string;
  bracket: Bracket;
}

/** Per symbol: its positions and the price band inside which a print changes nothing. */
interface Book {
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
  last: Nanos;
  /** Since when no prices have come for this symbol (0: they are coming). */
  downSince: number;
  /** Orders of this symbol the broker took with no price known: filled at the next print. */
  awaiting: number;
  /** A print at or above this may trigger something; at or below `down` likewise. */
  up: Nanos;
  down: Nanos;
}

export const MAX_ATTEMPTS = 3;
/** The most contracts one order, record or position may hold: far above any real order, far below what the database can store. */
export const MAX_QTY = 10_000;

function checkQty(qty: number | undefined): void {
  if (!Number.isInteger(qty) || qty! <= 0) throw new EngineError(400, "quantity: a whole number of contracts ≥ 1");
  if (qty! > MAX_QTY) throw new EngineError(400, `quantity: at most ${MAX_QTY.toLocaleString("en-US")} contracts`);
}
const RULE: Actor = { kind: "rule", label: "engine", userId: null };
const ruleActors = new Map<string, Actor>();
/** One frozen actor per rule name: every automated event carries one. */
function rule(name: string): Actor {
  let a = ruleActors.get(name);
  if (!a) ruleActors.set(name, (a = Object.freeze({ kind: "rule", label: `rule ${name}`, userId: null })));
  return a;
}
const tpRules: Actor[] = [];
/** The actor of take-profit level n (1-based). */
const tpRule = (n: number): Actor => (tpRules[n] ??= rule(`tp${n}`));

export interface EngineSnapshot {
  positions: Position[];
  orders: WorkingOrder[];
  entries: [string, PendingEntry][];
}

/** The part of a snapshot that belongs to the accounts `keep` accepts (entries go with their orders). */
export function snapshotOf(s: EngineSnapshot, keep: (accountId: number) => boolean): EngineSnapshot {
  const orders = s.orders.filter((o) => keep(o.accountId));
  const kept = new Set(orders.map((o) => o.id));
  return {
    positions: s.positions.filter((p) => keep(p.accountId)),
    orders,
    entries: s.entries.filter(([id]) => kept.has(id)),
  };
}

/**
 * The trade manager: `step(input)` applies one input — a print, the clock, a trader's command
 * or an execution report — and returns the effects (orders to submit, events to record,
 * positions that changed, trades that closed). No I/O and no clock of its own, so live and
 * replay run the same code and a recorded input sequence always produces the same effects.
 * An invalid command throws EngineError before anything is changed.
 */
export class TradingEngine {
  private readonly books = new Map<string, Book>();
  /** The book of the previous print: a feed sends runs of one symbol, so most prints skip the lookup. */
  private lastBook: Book | undefined;
  private readonly positions = new Map<string, Position>();
  private readonly orders = new Map<string, WorkingOrder>();
  private readonly entries = new Map<string, PendingEntry>();
  private readonly accounts = new Map<number, AccountConfig>();
  private readonly timed = new Set<Position>();
  private out: Effect[] = [];

  constructor(
    private readonly spec: (symbol: string) => (InstrumentSpec & { decimals: number }) | undefined,
    /**
     * Announce trailing-stop ratchets only when `announceRatchets()` is called instead of per
     * print. The stop itself moves on the print either way; only the "changed" effect waits. For
     * replay, whose positions are not stored and whose screens refresh a few times a second
     * however fast the tape plays; the live engine stores every ratchet before anything else happens.
     */
    private readonly opts: { deferRatchets?: boolean } = {},
  ) {}

  setAccount(a: AccountConfig): void {
    this.accounts.set(a.id, a);
  }

  position(accountId: number, symbol: string): Readonly<Position> | undefined {
    return this.positions.get(`${accountId}:${symbol}`);
  }

  positionByKey(key: string): Position | undefined {
    return this.positions.get(key);
  }

  allPositions(): readonly Position[] {
    return [...this.positions.values()];
  }

  order(id: string): Readonly<WorkingOrder> | undefined {
    return this.orders.get(id);
  }

  /** The bracket an entry order will apply when it fills. */
  bracketFor(orderId: string): Bracket | undefined {
    return this.entries.get(orderId)?.bracket;
  }

  workingOrders(): readonly WorkingOrder[] {
    return [...this.orders.values()];
  }

  lastPrice(symbol: string): Nanos | undefined {
    const b = this.books.get(symbol);
    return b && b.last > 0 ? b.last : undefined;
  }

  /** The hot path: a print. Inside the book's quiet band it costs two comparisons. */
  onTrade(symbol: string, price: Nanos, tsMs: number): Effect[] {
    let book = this.lastBook;
    if (!book || book.symbol !== symbol) book = this.lastBook = this.bookOf(symbol);
    book.last = price;
    if (book.staleCount) this.rebuild(book);
    if (price < book.up && price > book.down && !book.downSince && !book.awaiting) return NONE;
    this.out = [];
    // Prices are back (R7.1), and exits the broker took without a price get this one (R1.2).
    if (book.downSince) this.feedUp(book, tsMs, tsMs);
    if (book.awaiting) this.fillAwaiting(book, price, tsMs);
    // Only the positions whose own band the print left are looked at.
    const ps = book.positions;
    const ups = book.ups;
    const downs = book.downs;
    const stale = book.stale;
    const spec = this.spec(symbol)!;
    for (let i = 0; i < ps.length; i++) {
      if (price >= ups[i]! || price <= downs[i]!) {
        const p = ps[i]!;
        this.evaluate(p, price, tsMs, spec, book, i);
        positionBand(p);
        ups[i] = bandUp;
        downs[i] = bandDown;
        if (stale[i]) {
          stale[i] = 0;
          book.staleCount--;
        }
      }
    }
    this.rebuild(book);
    return this.out;
  }

  step(input: EngineInput): Effect[] {
    switch (input.type) {
      case "trade":
        return this.onTrade(input.symbol, input.price, input.tsMs);
      case "clock":
        return this.onClock(input.nowMs);
      case "command":
        return this.onCommand(input);
      case "report":
        return this.onReport(input);
      case "feed":
        return this.onFeed(input);
    }
  }

  /** Since when a symbol has had no prices (its positions are unprotected), if it has none now. */
  feedDownSince(symbol: string): number | undefined {
    return this.books.get(symbol)?.downSince || undefined;
  }

  /* ---------------- feed ---------------- */

  private onFeed(f: FeedInput): Effect[] {
    this.out = [];
    const book = this.bookOf(f.symbol);
    if (f.up) {
      if (book.downSince) this.feedUp(book, f.sinceMs, f.tsMs);
    } else if (!book.downSince) {
      book.downSince = f.sinceMs || f.tsMs;
      for (const p of book.positions) {
        if (p.qty === 0) continue;
        this.event(
          p,
          "feed.unprotected",
          rule("feed"),
          `unprotected: no prices for ${p.symbol} since ${clockCT(book.downSince)} — stops and take-profits cannot fire until prices return; exits are still sent`,
          { sinceMs: book.downSince },
          f.tsMs,
        );
        this.touch(p, PART.state);
      }
    }
    return this.out;
  }

  private feedUp(book: Book, atMs: number, tsMs: number): void {
    const since = book.downSince;
    book.downSince = 0;
    for (const p of book.positions) {
      if (p.qty === 0) continue;
      this.event(
        p,
        "feed.protected",
        rule("feed"),
        `prices for ${p.symbol} again after ${fmtDuration(Math.max(0, atMs - since))} without: stops and take-profits act again`,
        { sinceMs: since },
        tsMs,
      );
      this.touch(p, PART.state);
    }
  }

  /** Orders the broker took while no price was known are filled at this print, marked assumed. */
  private fillAwaiting(book: Book, price: Nanos, tsMs: number): void {
    for (const o of [...this.orders.values()]) {
      if (o.symbol !== book.symbol || !o.awaitingPrice) continue;
      const qty = o.awaitingPrice;
      o.awaitingPrice = 0;
      o.filled += qty;
      if (o.filled >= o.qty) this.orders.delete(o.id);
      // Its row must stop saying "working", or a restart (or another instance) would send it again.
      this.out.push({
        type: "filled",
        orderId: o.id,
        filled: o.filled,
        done: o.filled >= o.qty,
        note: "sent without a price; filled (assumed) at the first print after",
      });
      const p = this.positions.get(o.posKey);
      if (p) this.applyFill(p, o, qty, price, tsMs, true);
    }
    book.awaiting = 0;
  }

  /* ---------------- snapshot ---------------- */

  snapshot(): EngineSnapshot {
    return structuredClone({
      positions: [...this.positions.values()],
      orders: [...this.orders.values()],
      entries: [...this.entries],
    });
  }

  restore(s: EngineSnapshot): void {
    // What the market said is not part of the stored state: the last prices and outages stay.
    const market = [...this.books.values()].map((b) => [b.symbol, b.last, b.downSince] as const);
    this.positions.clear();
    this.orders.clear();
    this.entries.clear();
    this.books.clear();
    this.lastBook = undefined;
    this.timed.clear();
    for (const [symbol, last, downSince] of market) {
      const b = this.bookOf(symbol);
      b.last = last;
      b.downSince = downSince;
    }
    for (const p of structuredClone(s.positions)) {
      this.positions.set(p.key, p);
      this.addToBook(p);
      if (p.timer && p.timer.phase !== "done") this.timed.add(p);
    }
    for (const o of structuredClone(s.orders)) {
      this.orders.set(o.id, o);
      if (o.awaitingPrice) this.bookOf(o.symbol).awaiting++;
    }
    for (const [k, v] of structuredClone(s.entries)) this.entries.set(k, v);
  }

  /** Another instance runs these accounts now: their state leaves this engine (the market's prices stay). */
  forgetAccounts(ids: ReadonlySet<number>): void {
    const s = this.snapshot();
    for (const id of ids) this.accounts.delete(id);
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
    this.restore({ positions: [...positions.values()], orders: [...orders.values()], entries: [...entries] });
  }

  /* ---------------- clock ---------------- */

  /** With deferRatchets: a "changed" effect for each position whose trailing stop moved since the last call. */
  announceRatchets(): Effect[] {
    this.out = [];
    for (const b of this.books.values()) {
      if (!b.ratchetCount) continue;
      // touch() clears each flag.
      for (let i = 0; i < b.positions.length; i++) if (b.ratcheted[i]) this.touch(b.positions[i]!, PART.trail);
    }
    return this.out;
  }

  private onClock(nowMs: number): Effect[] {
    this.out = [];
    for (const p of this.timed) {
      const t = p.timer;
      if (t?.phase !== "running" || nowMs < t.deadlineMs || p.qty === 0) continue;
      const last = this.books.get(p.symbol)?.last ?? 0;
      const inProfit = last > 0 && this.pnlAt(p, last) > 0n;
      if (t.mode === "unless-profit" && inProfit) {
        t.phase = "waiting-for-entry";
        this.touch(p, PART.timer);
        this.event(
          p,
          "timer.waiting",
          rule("timer"),
          `timer ${fmtDuration(t.durationMs)} expired in profit → ${t.action} when price returns to entry`,
          { action: t.action },
          nowMs,
        );
        continue;
      }
      this.fireTimer(p, last, nowMs, inProfit ? "expired (act regardless)" : "expired, not in profit");
    }
    return this.out;
  }

  private fireTimer(p: Position, price: Nanos, tsMs: number, why: string): void {
    const t = p.timer!;
    t.phase = "done";
    this.timed.delete(p);
    const what = `timer ${fmtDuration(t.durationMs)} ${why}`;
    switch (t.action) {
      case "hold":
        this.event(p, "timer.hold", rule("timer"), `${what} → hold`, {}, tsMs);
        break;
      case "exit":
        this.startClosing(p, "timer", `${what} → exit`, price, tsMs, rule("timer"));
        break;
      case "reverse":
        p.reverseTo = { side: p.side === "long" ? "short" : "long", qty: p.qty };
        this.startClosing(p, "timer", `${what} → reverse`, price, tsMs, rule("timer"));
        break;
      case "breakeven":
        this.toBreakeven(p, 1, `${what} → stop to breakeven`, tsMs);
        break;
    }
    this.touch(p, PART.timer | PART.stop);
  }

  /* ---------------- prints ---------------- */

  private evaluate(p: Position, price: Nanos, tsMs: number, spec: InstrumentSpec, book: Book, slot: number): void {
    if (p.closing) return;
    const long = p.side === "long";
    const s = p.stop;
    // Trailing ratchets first, so a print that makes a new best cannot also hit the old stop.
    if (
      s?.trailing &&
      s.status === "armed" &&
      (long ? price > p.best : price < p.best) &&
      ratchet(p, s, price, spec.tick)
    ) {
      if (!this.opts.deferRatchets) this.touch(p, PART.trail);
      else if (!book.ratcheted[slot]) {
        book.ratcheted[slot] = 1;
        book.ratchetCount++;
      }
    }
    if (s && s.status === "armed" && (long ? price <= s.price : price >= s.price)) {
      this.fireStop(p, price, tsMs);
      return;
    }
    let fired = false;
    for (const l of p.ladder) {
      if (l.status !== "armed" || !l.enabled) continue;
      if (long ? price >= l.price : price <= l.price) {
        this.fireLevel(p, l, price, tsMs);
        fired = true;
      }
    }
    const t = p.timer;
    if (!fired && t && t.phase === "waiting-for-entry" && this.pnlAt(p, price) <= 0n) {
      this.fireTimer(p, price, tsMs, "expired earlier; price back at entry");
    }
  }

  private fireLevel(p: Position, l: TpLevel, price: Nanos, tsMs: number): void {
    const free = p.qty - this.pendingExitQty(p);
    const qty = Math.min(l.qty - l.filledQty, free);
    if (qty <= 0) return;
    const n = p.ladder.indexOf(l) + 1;
    const spec = this.spec(p.symbol)!;
    l.attempts++;
    l.status = "pending";
    const reason = `TP${n} ${formatPrice(l.price, spec.decimals)} reached (print ${formatPrice(price, spec.decimals)}) → exit ${qty}`;
    // A take-profit is a limit at its level (R2.2): a print beyond it does not give a better price.
    l.orderId = this.submit(
      p,
      `${l.id}:o${p.nextOrder}`,
      p.side === "long" ? "sell" : "buy",
      qty,
      "tp",
      reason,
      price,
      tsMs,
      l.id,
    );
    this.event(
      p,
      "tp.triggered",
      tpRule(n),
      reason,
      { level: n, price: l.price, print: price, qty, orderId: l.orderId },
      tsMs,
    );
    this.touch(p, PART.ladder);
  }

  private fireStop(p: Position, price: Nanos, tsMs: number): void {
    const s = p.stop!;
    const spec = this.spec(p.symbol)!;
    s.status = "pending";
    const reason = `stop ${formatPrice(s.price, spec.decimals)} hit (print ${formatPrice(price, spec.decimals)}; ${s.basis})`;
    this.startClosing(p, "stop", reason, price, tsMs, rule("stop"));
  }

  /**
   * An exit of everything not already being exited. From here on no other rule may exit this
   * position; what remains of the ladder is cancelled.
   */
  private startClosing(
    p: Position,
    purpose: Purpose,
    reason: string,
    price: Nanos,
    tsMs: number,
    actor: Actor,
    market = false,
  ): void {
    // While no prices come the last one is stale: the exit goes out without one and fills at the next print (R1.2).
    if (this.books.get(p.symbol)?.downSince) price = 0;
    // Resting orders are withdrawn first (R4.1); orders in flight cannot be, so the exit is sized around them.
    this.cancelResting(p, `${reason} → exit all`, tsMs);
    const qty = p.qty - this.pendingExitQty(p);
    for (const l of p.ladder) if (l.status === "armed") l.status = "cancelled";
    if (p.stop && p.stop.status !== "done" && p.stop.status !== "failed" && purpose !== "stop") p.stop.status = "done";
    if (p.timer && p.timer.phase !== "done" && purpose !== "timer") {
      p.timer.phase = "done";
      this.timed.delete(p);
    }
    const attempts = p.closing?.purpose === purpose ? p.closing.attempts + 1 : 1;
    p.closing = { orderId: "", purpose, reason, attempts };
    if (qty > 0) {
      // Market, with or without a price: an exit never waits for the feed (R1.2).
      p.closing.orderId = this.submit(
        p,
        `${p.tradeId}:${purpose}:o${p.nextOrder}`,
        p.side === "long" ? "sell" : "buy",
        qty,
        purpose,
        reason,
        price,
        tsMs,
        undefined,
        market,
      );
    }
    const at = price > 0 ? `print ${formatPrice(price, this.spec(p.symbol)!.decimals)}` : "no price";
    this.event(
      p,
      `${purpose}.triggered`,
      actor,
      `${reason} → exit ${qty}${price > 0 ? "" : " at market (no price now: it fills at the next print)"}`,
      { qty, print: price, at, orderId: p.closing.orderId },
      tsMs,
    );
    this.touch(p, PART.ladder | PART.stop | PART.timer | PART.state);
  }

  /** Withdraws every resting order of the position (R4.1, R4.3); the adapters drop them. */
  private cancelResting(p: Position, why: string, tsMs: number): void {
    const spec = this.spec(p.symbol)!;
    for (const o of [...this.orders.values()]) {
      if (o.posKey !== p.key || o.status !== "resting" || o.awaitingPrice) continue;
      this.orders.delete(o.id);
      this.entries.delete(o.id);
      const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
      if (level && level.status === "pending") level.status = level.filledQty > 0 ? "filled" : "cancelled";
      if (p.closing?.orderId === o.id) p.closing.orderId = "";
      const left = o.qty - o.filled;
      const what = `${o.purpose === "stop" && o.type === "limit" ? "stop-limit" : o.purpose} ${o.side} ${left} ${o.type === "limit" ? `limit ${formatPrice(o.limitPrice!, spec.decimals)}` : "at market"}`;
      this.out.push({ type: "cancel", order: o, reason: why });
      this.event(p, "order.cancelled", RULE, `${what} cancelled (${why})`, { orderId: o.id, qty: left }, tsMs);
    }
  }

  /* ---------------- commands ---------------- */

  private onCommand(input: CommandInput): Effect[] {
    const { accountId, command: c, actor, tsMs } = input;
    const symbol = input.symbol;
    const spec = this.spec(symbol);
    if (!spec) throw new EngineError(404, `unknown symbol ${symbol}`);
    const account = this.accounts.get(accountId);
    if (!account) throw new EngineError(404, `unknown account ${accountId}`);
    const key = `${accountId}:${symbol}`;
    const p = this.positions.get(key);
    if (input.idempotencyKey && p?.recentCommands && seenKey(p.recentCommands, input.idempotencyKey, tsMs)) return NONE;
    if (input.expectedVersion !== undefined && (p?.version ?? 0) !== input.expectedVersion) {
      const touched = p ? changedSince(p, input.expectedVersion) : PART.all;
      const clash = touched & INTENT[c.kind];
      if (clash)
        throw new EngineError(
          409,
          `the ${symbol} position changed meanwhile (${partNames(clash)}; version ${p?.version ?? 0}, you edited ${input.expectedVersion})`,
          p,
        );
    }
    this.out = [];
    switch (c.kind) {
      case "order":
        this.cmdOrder(accountId, symbol, spec, c, actor, tsMs);
        break;
      case "record":
        this.cmdRecord(accountId, symbol, spec, c, actor, tsMs);
        break;
      case "exit":
        this.cmdExit(need(p, symbol), c, actor, tsMs);
        break;
      case "convert-to-market":
        this.cmdConvert(need(p, symbol), actor, tsMs);
        break;
      case "sync":
        this.cmdSync(accountId, symbol, spec, c, actor, tsMs);
        break;
      case "clear": {
        const pos = need(p, symbol);
        const had = pos.qty;
        this.cancelResting(pos, "trade cleared", tsMs);
        this.event(pos, "trade.cleared", actor, `trade cleared by hand (${had} ${pos.side}, no order sent)`, {}, tsMs);
        this.flatten(pos);
        break;
      }
      case "set-ladder":
        this.cmdSetLadder(need(p, symbol), spec, c.levels, actor, tsMs);
        break;
      case "update-level": {
        const pos = need(p, symbol);
        const l = pos.ladder[c.index];
        if (!l) throw new EngineError(404, `TP${c.index + 1} does not exist (${pos.ladder.length} levels)`);
        if (l.status !== "armed" && l.status !== "cancelled" && l.status !== "failed")
          throw new EngineError(409, `TP${c.index + 1} is ${l.status} and can no longer change`);
        // The other editable levels stay as they are; pending and filled ones are kept by the ladder itself (R2.1).
        const levels: { enabled: boolean; qty: number; target: Target; keep?: TpLevel }[] = [];
        for (let i = 0; i < pos.ladder.length; i++) {
          const x = pos.ladder[i]!;
          if (x.status === "pending" || x.status === "filled") continue;
          levels.push(
            i === c.index
              ? {
                  enabled: c.patch.enabled ?? x.enabled,
                  qty: c.patch.qty ?? x.qty,
                  target: c.patch.target ?? x.target,
                  keep: x,
                }
              : { enabled: x.enabled, qty: x.qty, target: x.target, keep: x },
          );
        }
        this.cmdSetLadder(pos, spec, levels, actor, tsMs);
        break;
      }
      case "set-stop":
        this.cmdSetStop(need(p, symbol), spec, c.stop, c.atr, actor, tsMs);
        break;
      case "move-stop":
        this.cmdMoveStop(need(p, symbol), spec, c.price, actor, tsMs);
        break;
      case "set-timer":
        this.cmdSetTimer(need(p, symbol), c.timer, actor, tsMs);
        break;
    }
    const after = this.positions.get(key);
    if (input.idempotencyKey && after) {
      after.recentCommands = rememberKey(after.recentCommands ?? [], input.idempotencyKey, tsMs);
      this.touch(after, 0);
    }
    return this.out;
  }

  private cmdOrder(
    accountId: number,
    symbol: string,
    spec: InstrumentSpec & { decimals: number },
    c: Extract<Command, { kind: "order" }>,
    actor: Actor,
    tsMs: number,
  ): void {
    checkQty(c.qty);
    if (
      c.orderType === "limit" &&
      (c.limitPrice === undefined || !onTick(c.limitPrice, spec.tick) || c.limitPrice <= 0)
    ) {
      throw new EngineError(400, `limit price: must be on ${symbol}'s tick grid (${formatPrice(spec.tick, 0)})`);
    }
    if (!onTick(c.refPrice, spec.tick) || c.refPrice <= 0)
      throw new EngineError(400, `price: ${symbol} has no valid price yet`);
    const existing = this.positions.get(`${accountId}:${symbol}`);
    if (existing?.closing)
      throw new EngineError(
        409,
        `an exit of ${symbol} is under way (${existing.closing.reason}); wait for it to finish`,
      );
    if (c.bracket) this.checkBracket(existing, symbol, spec, c);
    const p = this.ensurePosition(accountId, symbol, tsMs);
    const n = p.nextOrder;
    const id = `${p.key}:o${n}`;
    this.submitRaw(p, {
      id,
      side: c.side,
      qty: c.qty,
      type: c.orderType ?? "market",
      limitPrice: c.limitPrice,
      refPrice: c.refPrice,
      purpose: "entry",
      reason: `${c.side} ${c.qty} by ${actor.label}`,
      tsMs,
    });
    this.entries.set(id, { orderId: id, bracket: c.bracket ?? {} });
    this.event(
      p,
      "order.submitted",
      actor,
      `${c.side} ${c.qty} ${symbol} ${c.orderType === "limit" ? `limit ${formatPrice(c.limitPrice!, spec.decimals)}` : "at market"}`,
      { orderId: id, qty: c.qty, side: c.side },
      tsMs,
    );
    this.touch(p, PART.state);
  }

  /**
   * An order's bracket is all or nothing (R6.1): checked now against what the order will open
   * and the price it is placed at, so a bracket that cannot be applied refuses the order.
   */
  private checkBracket(
    p: Position | undefined,
    symbol: string,
    spec: InstrumentSpec & { decimals: number },
    c: Extract<Command, { kind: "order" }>,
  ): void {
    const b = c.bracket!;
    const side: Side = c.side === "buy" ? "long" : "short";
    const held = p && p.qty > 0 ? (p.side === side ? -1 : p.qty) : 0;
    // Adding to a position keeps its own bracket (R6.2): nothing of this one is applied.
    if (held < 0) return;
    const opens = c.qty - held;
    if (opens <= 0) return;
    const ref = c.orderType === "limit" ? c.limitPrice! : c.refPrice;
    const probe = {
      ...(p ?? this.blank(0, symbol, 0)),
      side,
      qty: opens,
      cost: BigInt(ref) * BigInt(opens),
      ladder: [],
      stop: null,
    } as Position;
    const levels = b.ladder ?? [];
    if (levels.length > 20) throw new EngineError(400, "bracket: at most 20 take-profit levels");
    let sum = 0;
    const entry = entryRef(side, probe.cost, opens, spec.tick);
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      if (!Number.isInteger(l.qty) || l.qty <= 0)
        throw new EngineError(400, `bracket TP${i + 1} quantity: a whole number ≥ 1`);
      this.levelPrice(probe, spec, entry, ref, l.target, i + 1);
      if (l.enabled) sum += l.qty;
    }
    if (sum > opens)
      throw new EngineError(
        400,
        `bracket: the take-profit quantities (${sum}) exceed the ${opens} contract${opens === 1 ? "" : "s"} this order opens; nothing was sent`,
      );
    if (b.stop) this.initialStop(probe, spec, b.stop, b.atr, b.atr === undefined ? "no ATR given" : undefined);
    const t = b.timer;
    if (t && (!Number.isInteger(t.durationMs) || t.durationMs < 1000 || t.durationMs > 7 * 86_400_000))
      throw new EngineError(400, "bracket timer: between 1 second and 7 days");
  }

  private cmdRecord(
    accountId: number,
    symbol: string,
    spec: InstrumentSpec & { decimals: number },
    c: Extract<Command, { kind: "record" }>,
    actor: Actor,
    tsMs: number,
  ): void {
    checkQty(c.qty);
    if (!onTick(c.entryPrice, spec.tick) || c.entryPrice <= 0)
      throw new EngineError(400, `entry price: must be on ${symbol}'s tick grid (${formatPrice(spec.tick, 0)})`);
    const existing = this.positions.get(`${accountId}:${symbol}`);
    if (existing && existing.qty > 0)
      throw new EngineError(
        409,
        `${symbol} already has an open ${existing.side} position of ${existing.qty}; exit or clear it first`,
      );
    const p = this.ensurePosition(accountId, symbol, tsMs);
    this.open(p, c.side, c.qty, c.entryPrice, tsMs);
    this.event(
      p,
      "trade.recorded",
      actor,
      `position recorded by hand: ${c.side} ${c.qty} @ ${formatPrice(c.entryPrice, spec.decimals)} (no order sent)`,
      { side: c.side, qty: c.qty, price: c.entryPrice },
      tsMs,
    );
  }

  private cmdSync(
    accountId: number,
    symbol: string,
    spec: InstrumentSpec & { decimals: number },
    c: Extract<Command, { kind: "sync" }>,
    actor: Actor,
    tsMs: number,
  ): void {
    checkQty(c.qty);
    if (!(c.entryPrice > 0) || !Number.isSafeInteger(c.entryPrice))
      throw new EngineError(400, "entry price: must be positive");
    const p = this.ensurePosition(accountId, symbol, tsMs);
    const cost = BigInt(c.entryPrice) * BigInt(c.qty);
    if (p.qty === c.qty && p.side === c.side && p.cost === cost) return;
    if (p.closing) throw new EngineError(409, `an exit of ${symbol} is under way (${p.closing.reason})`);
    const text = `${c.side} ${c.qty} @ ${formatPrice(c.entryPrice, spec.decimals)}`;
    if (p.qty === 0 || p.side !== c.side) {
      this.open(p, c.side, c.qty, c.entryPrice, c.openedAtMs ?? tsMs);
      this.event(
        p,
        "trade.synced",
        actor,
        `position reported by the original API: ${text} (no order sent)`,
        { side: c.side, qty: c.qty, price: c.entryPrice },
        tsMs,
      );
      return;
    }
    // Same trade, new size or average: the ladder and stop stay, priced from the new entry.
    p.qty = c.qty;
    p.cost = cost;
    p.entryQty = Math.max(p.entryQty, c.qty);
    p.entryCost = p.entryQty === c.qty ? cost : p.entryCost;
    this.rebaseLadder(p);
    this.event(
      p,
      "trade.synced",
      actor,
      `position updated by the original API: ${text} (no order sent)`,
      { side: c.side, qty: c.qty, price: c.entryPrice },
      tsMs,
    );
    this.touch(p, PART.size | PART.ladder);
  }

  private cmdExit(p: Position, c: Extract<Command, { kind: "exit" }>, actor: Actor, tsMs: number): void {
    if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
    // No price is no reason not to exit: the market order goes out and fills at the next print (R1.2).
    const price = c.refPrice ?? this.books.get(p.symbol)?.last ?? 0;
    const all = c.qty === undefined || c.qty >= p.qty;
    if (p.closing) {
      // A resting stop-limit (its limit passed) is replaced by a market exit; a market exit already working is enough.
      if (!all || !this.closingRests(p))
        throw new EngineError(
          409,
          `a market exit of ${p.symbol} is already working (${p.closing.reason}); it fills at the next print`,
        );
    }
    const free = p.qty - this.pendingExitQty(p);
    if (all || c.qty === undefined) {
      this.startClosing(p, "exit", `exit all by ${actor.label}`, price, tsMs, actor);
      return;
    }
    checkQty(c.qty);
    if (c.qty > free) throw new EngineError(409, `only ${free} of ${p.qty} contracts are not already being exited`);
    const reason = `take profit ${c.qty} by ${actor.label}`;
    const id = this.submit(
      p,
      `${p.key}:o${p.nextOrder}`,
      p.side === "long" ? "sell" : "buy",
      c.qty,
      "exit",
      reason,
      price,
      tsMs,
    );
    this.event(p, "exit.submitted", actor, `${reason} (of ${p.qty})`, { qty: c.qty, orderId: id }, tsMs);
    this.touch(p, PART.state);
  }

  /** The resting stop-limit exit becomes a market order for the same contracts (R3.2). */
  private cmdConvert(p: Position, actor: Actor, tsMs: number): void {
    if (p.closing?.purpose !== "stop" || !this.closingRests(p))
      throw new EngineError(409, `no resting stop-limit exit of ${p.symbol} to convert`);
    const price = this.books.get(p.symbol)?.last ?? 0;
    this.startClosing(
      p,
      "stop",
      `${p.closing.reason}; converted to market by ${actor.label}`,
      price,
      tsMs,
      actor,
      true,
    );
  }

  /** The position's closing order rests at the venue as a limit (a jumped stop-limit), so it can be withdrawn. */
  private closingRests(p: Position): boolean {
    const o = p.closing?.orderId ? this.orders.get(p.closing.orderId) : undefined;
    return o !== undefined && o.status === "resting" && o.type === "limit";
  }

  private cmdSetLadder(
    p: Position,
    spec: InstrumentSpec & { decimals: number },
    levels: { enabled: boolean; qty: number; target: Target; keep?: TpLevel }[],
    actor: Actor,
    tsMs: number,
  ): void {
    if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position to attach take-profit levels to`);
    if (p.closing) throw new EngineError(409, `an exit of ${p.symbol} is under way`);
    if (levels.length > 20) throw new EngineError(400, "at most 20 take-profit levels");
    const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
    const avg = Number(p.cost / BigInt(p.qty));
    // Levels already pending or filled stay as they are; the new list replaces the others.
    const ladder: TpLevel[] = [];
    let committed = 0;
    for (const l of p.ladder) {
      if (l.status !== "pending" && l.status !== "filled") continue;
      ladder.push(l);
      if (l.status === "pending") committed += l.qty - l.filledQty;
    }
    let seq = p.nextLevel;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      if (!Number.isInteger(l.qty) || l.qty <= 0) throw new EngineError(400, `TP${i + 1} quantity: a whole number ≥ 1`);
      const price = this.levelPrice(p, spec, ref, avg, l.target, i + 1);
      if (l.enabled) committed += l.qty;
      const kept = l.keep && l.keep.price === price && l.keep.qty === l.qty ? l.keep : undefined;
      ladder.push(
        kept
          ? {
              ...kept,
              enabled: l.enabled,
              status: l.enabled ? "armed" : kept.status === "failed" ? "failed" : "armed",
              attempts: kept.status === "failed" && l.enabled ? 0 : kept.attempts,
            }
          : {
              id: `${p.tradeId}:tp${++seq}`,
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
    if (sameLadder(ladder, p.ladder)) return;
    p.nextLevel = seq;
    p.ladder = ladder;
    let text = "";
    const shown: { qty: number; price: Nanos; enabled: boolean; status: TpLevel["status"] }[] = [];
    for (let i = 0; i < ladder.length; i++) {
      const l = ladder[i]!;
      text += `${i ? ", " : ""}TP${i + 1} ${l.qty}@${formatPrice(l.price, spec.decimals)}${l.enabled ? "" : " (off)"}${l.status !== "armed" ? ` (${l.status})` : ""}`;
      shown.push({ qty: l.qty, price: l.price, enabled: l.enabled, status: l.status });
    }
    this.event(
      p,
      "ladder.set",
      actor,
      ladder.length ? `take-profit ladder: ${text}` : "take-profit ladder removed",
      { levels: shown },
      tsMs,
    );
    this.touch(p, PART.ladder);
  }

  private levelPrice(
    p: Position,
    spec: InstrumentSpec & { decimals: number },
    ref: Nanos,
    avg: Nanos,
    target: Target,
    n: number,
  ): Nanos {
    const name = `TP${n}`;
    if (target.unit === "price") {
      if (!onTick(target.value, spec.tick))
        throw new EngineError(
          400,
          `${name}: ${formatPrice(target.value, spec.decimals)} is not on ${p.symbol}'s tick grid (${formatPrice(spec.tick, 0)})`,
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
        `${name}: ${formatPrice(price, spec.decimals)} is not on the profit side of a ${p.side} entry at ${formatPrice(avg, spec.decimals)}`,
      );
    }
    return price;
  }

  private cmdSetStop(
    p: Position,
    spec: InstrumentSpec & { decimals: number },
    cfg: StopConfig | null,
    atr: { value: Nanos } | { unavailable: string } | undefined,
    actor: Actor,
    tsMs: number,
  ): void {
    if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
    if (p.closing) throw new EngineError(409, `an exit of ${p.symbol} is under way`);
    if (p.stop?.status === "pending") throw new EngineError(409, "the stop has fired and its exit is under way");
    if (!cfg) {
      p.stop = null;
      this.event(p, "stop.removed", actor, "stop removed", {}, tsMs);
      this.touch(p, PART.stop);
      return;
    }
    const state = this.initialStop(
      p,
      spec,
      cfg,
      atr && "value" in atr ? atr.value : undefined,
      atr && "unavailable" in atr ? atr.unavailable : undefined,
    );
    const old = p.stop;
    const trails = Boolean(
      cfg.trailBy && (cfg.kind === "trailing" || cfg.trailAfterTp1 || cfg.breakevenAfterTp1?.thenTrail),
    );
    let text = `stop ${cfg.kind} ${formatPrice(state.price, spec.decimals)} (${state.basis})`;
    if (old?.trailing && old.status === "armed") {
      // Edited while trailing (R3.7): the stop as it is now, unless the trail distance changed;
      // an edit that no longer trails leaves the stop where it trailed to.
      state.trailing = trails;
      if (!trails || sameTarget(old.config.trailBy, cfg.trailBy)) {
        state.price = old.price;
        state.basis = trails ? old.basis : `trailed to ${formatPrice(old.price, spec.decimals)}, no longer trailing`;
        text = `stop ${cfg.kind} kept at ${formatPrice(old.price, spec.decimals)} (${trails ? `trailing ${formatTarget(cfg.trailBy!, spec.decimals)}` : "no longer trailing"}; settings changed)`;
      } else {
        state.price = trailPrice(p.side, p.best, distanceOf(cfg.trailBy!, spec.tick)!, spec.tick);
        state.basis = TRAIL_BASIS[p.side];
        text = `stop ${cfg.kind} ${formatPrice(state.price, spec.decimals)} (now trailing ${formatTarget(cfg.trailBy!, spec.decimals)} from ${formatPrice(p.best, spec.decimals)})`;
      }
    } else if (state.trailing) {
      // Trailing starts now, from the last print, the print itself included (R3.3).
      p.best = this.books.get(p.symbol)?.last || Number(p.cost / BigInt(p.qty));
      if (ratchet(p, state, p.best, spec.tick))
        text += `; trailing ${formatTarget(cfg.trailBy ?? (cfg.initial as Target), spec.decimals)} from ${formatPrice(p.best, spec.decimals)}: ${formatPrice(state.price, spec.decimals)}`;
    }
    p.stop = state;
    this.event(p, "stop.set", actor, text, { kind: cfg.kind, price: state.price }, tsMs);
    this.touch(p, PART.stop);
  }

  private initialStop(
    p: Position,
    spec: InstrumentSpec & { decimals: number },
    cfg: StopConfig,
    atr: Nanos | undefined,
    atrMissing?: string,
  ): StopState {
    const ref = entryRef(p.side === "long" ? "short" : "long", p.cost, p.qty, spec.tick);
    let price: Nanos;
    let basis: string;
    const init = cfg.initial;
    if (init.unit === "atr") {
      if (atr === undefined || !(atr > 0))
        throw new EngineError(
          400,
          `ATR stop refused: ATR is unavailable (${atrMissing ?? "no ATR given"}); set the stop by points or ticks`,
        );
      if (!(init.multiplier > 0 && init.multiplier <= 50))
        throw new EngineError(400, "ATR multiplier: between 0 and 50");
      const dist = ceilTick(Math.round(atr * init.multiplier), spec.tick);
      price = lossPrice(p.side, ref, dist);
      basis = `${init.multiplier} × ATR ${formatPrice(Math.round(atr), spec.decimals)} = ${formatPrice(dist, spec.decimals)} from entry`;
    } else if (init.unit === "price") {
      if (!onTick(init.value, spec.tick))
        throw new EngineError(400, `stop: ${formatPrice(init.value, spec.decimals)} is not on ${p.symbol}'s tick grid`);
      price = init.value;
      basis = "set by price";
    } else {
      if (!(init.value > 0)) throw new EngineError(400, "stop: the distance must be positive");
      const dist = distanceOf(init, spec.tick)!;
      price = lossPrice(p.side, ref, dist);
      basis = `${formatTarget(init, spec.decimals)} from entry`;
    }
    const last = this.books.get(p.symbol)?.last ?? 0;
    const avg = Number(p.cost / BigInt(p.qty));
    if (price <= 0) throw new EngineError(400, "stop: below zero");
    if (
      p.side === "long" ? price >= Math.max(avg, last || 0) && last > 0 && price >= last : last > 0 && price <= last
    ) {
      throw new EngineError(
        400,
        `stop ${formatPrice(price, spec.decimals)} is on the wrong side of the market (${formatPrice(last, spec.decimals)}); it would fire at once`,
      );
    }
    if (cfg.kind === "stop-limit" && !(Number.isInteger(cfg.limitOffsetTicks) && cfg.limitOffsetTicks! >= 0))
      throw new EngineError(400, "stop-limit: limit offset in whole ticks ≥ 0");
    if (
      (cfg.kind === "trailing" || cfg.trailAfterTp1 || cfg.breakevenAfterTp1?.thenTrail) &&
      cfg.kind === "trailing" &&
      !cfg.trailBy &&
      init.unit === "atr"
    ) {
      throw new EngineError(400, "trailing stop: give the trailing distance (trailBy) in points or ticks");
    }
    if (cfg.trailBy && (cfg.trailBy.unit === "price" || !(cfg.trailBy.value > 0)))
      throw new EngineError(400, "trail by: a positive distance in points or ticks");
    return { config: cfg, price, trailing: cfg.kind === "trailing", status: "armed", attempts: 0, basis };
  }

  private cmdMoveStop(
    p: Position,
    spec: InstrumentSpec & { decimals: number },
    price: Nanos,
    actor: Actor,
    tsMs: number,
  ): void {
    if (p.stop?.status !== "armed") throw new EngineError(409, `no armed stop on ${p.symbol} to move`);
    if (!onTick(price, spec.tick) || price <= 0)
      throw new EngineError(400, `stop: ${formatPrice(price, spec.decimals)} is not on ${p.symbol}'s tick grid`);
    const last = this.books.get(p.symbol)?.last ?? 0;
    if (last > 0 && (p.side === "long" ? price >= last : price <= last)) {
      throw new EngineError(
        400,
        `stop ${formatPrice(price, spec.decimals)} is on the wrong side of the market (${formatPrice(last, spec.decimals)})`,
      );
    }
    const from = p.stop.price;
    p.stop.price = price;
    p.stop.basis = `moved by hand from ${formatPrice(from, spec.decimals)}`;
    this.event(
      p,
      "stop.moved",
      actor,
      `stop moved ${formatPrice(from, spec.decimals)} → ${formatPrice(price, spec.decimals)}`,
      { from, to: price },
      tsMs,
    );
    this.touch(p, PART.stop);
  }

  private cmdSetTimer(
    p: Position,
    t: Extract<Command, { kind: "set-timer" }>["timer"],
    actor: Actor,
    tsMs: number,
  ): void {
    if (p.qty === 0) throw new EngineError(409, `no open ${p.symbol} position`);
    if (!t) {
      p.timer = null;
      this.timed.delete(p);
      this.event(p, "timer.cancelled", actor, "trade timer cancelled", {}, tsMs);
    } else {
      if (!Number.isInteger(t.durationMs) || t.durationMs < 1000 || t.durationMs > 7 * 86_400_000)
        throw new EngineError(400, "timer: between 1 second and 7 days");
      p.timer = {
        durationMs: t.durationMs,
        deadlineMs: p.openedAtMs + t.durationMs,
        action: t.action,
        mode: t.mode,
        phase: "running",
      };
      if (p.timer.deadlineMs < tsMs) p.timer.deadlineMs = tsMs + t.durationMs;
      this.timed.add(p);
      this.event(
        p,
        "timer.set",
        actor,
        `trade timer ${fmtDuration(t.durationMs)} → ${t.action}${t.mode === "regardless" ? " (regardless of profit)" : " (unless in profit)"}`,
        { deadlineMs: p.timer.deadlineMs },
        tsMs,
      );
    }
    this.touch(p, PART.timer);
  }

  /* ---------------- reports ---------------- */

  private onReport(r: ReportInput): Effect[] {
    this.out = [];
    const o = this.orders.get(r.orderId);
    if (!o) return this.out; // unknown or already complete: a duplicate report changes nothing
    const p = this.positions.get(o.posKey)!;
    if (r.kind === "working") {
      if (o.status !== "resting") {
        o.status = "resting";
        this.touch(p, PART.state);
      }
    } else if (r.kind === "filled") {
      const remaining = o.qty - o.filled - (o.awaitingPrice ?? 0);
      const qty = Math.min(r.qty, remaining);
      if (!(qty > 0) || !Number.isInteger(qty)) return this.out;
      if (!(r.price > 0)) {
        // Taken by the broker with no price known (sent while the feed was down): the next print prices it (R1.2).
        o.awaitingPrice = (o.awaitingPrice ?? 0) + qty;
        o.status = "sent";
        this.bookOf(p.symbol).awaiting++;
        this.event(
          p,
          "order.sent",
          RULE,
          `${o.purpose === "entry" ? `${o.side} order` : o.purpose} ${o.side} ${qty} sent with no price; its fill is taken at the next print`,
          { orderId: o.id, qty },
          r.tsMs,
        );
        this.touch(p, PART.state);
        return this.out;
      }
      o.filled += qty;
      if (qty === remaining && !o.awaitingPrice) this.orders.delete(o.id);
      this.applyFill(p, o, qty, r.price, r.tsMs, r.assumed ?? false);
    } else {
      this.orders.delete(o.id);
      this.onFailure(p, o, r.kind, r.reason, r.tsMs);
    }
    return this.out;
  }

  private applyFill(p: Position, o: WorkingOrder, qty: number, price: Nanos, tsMs: number, assumed: boolean): void {
    const spec = this.spec(p.symbol)!;
    const buy = o.side === "buy";
    const perContract = this.accounts.get(p.accountId)?.commission ?? 0n;
    const verb = assumed ? "sent (fill assumed)" : "filled";
    const closeQty = p.qty > 0 && (p.side === "long") !== buy ? Math.min(qty, p.qty) : 0;
    const openQty = qty - closeQty;

    if (closeQty > 0) {
      // Reduce first; whatever is left opens the other side (netting).
      const removed = (p.cost * BigInt(closeQty)) / BigInt(p.qty);
      const points =
        p.side === "long" ? BigInt(price) * BigInt(closeQty) - removed : removed - BigInt(price) * BigInt(closeQty);
      const pnl = (points * spec.pointValue) / 1_000_000_000n;
      const commission = perContract * BigInt(closeQty);
      p.cost -= removed;
      p.qty -= closeQty;
      p.realized += pnl;
      p.commissions += commission;
      p.exitQty += closeQty;
      p.exitCost += BigInt(price) * BigInt(closeQty);
      p.fills.push({
        orderId: o.id,
        qty: closeQty,
        price,
        purpose: o.purpose,
        reason: o.reason,
        tsMs,
        pnl,
        commission,
        assumed,
        closes: true,
      });
      const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
      const net = formatDollars(pnl - commission);
      if (level) {
        const n = p.ladder.indexOf(level) + 1;
        const first = level.filledQty === 0;
        level.filledQty += closeQty;
        level.fillPrice = price;
        if (level.filledQty >= level.qty || p.qty === 0) level.status = "filled";
        this.event(
          p,
          "tp.filled",
          tpRule(n),
          `TP${n} ${verb} ${closeQty} @ ${formatPrice(price, spec.decimals)} (P&L ${net})`,
          { level: n, levelPrice: level.price, qty: closeQty, price, pnl: pnl.toString(), assumed },
          tsMs,
        );
        if (first && ++p.tpFilled === 1 && p.qty > 0) this.afterFirstTp(p, price, tsMs);
      } else {
        const what =
          o.purpose === "entry" || o.purpose === "reverse"
            ? `${o.side} order`
            : o.purpose === "exit"
              ? "exit"
              : o.purpose;
        this.event(
          p,
          `${o.purpose}.filled`,
          o.purpose === "entry" ? RULE : rule(o.purpose),
          `${what} ${verb} ${closeQty} @ ${formatPrice(price, spec.decimals)} (P&L ${net})`,
          { qty: closeQty, price, pnl: pnl.toString(), assumed },
          tsMs,
        );
      }
      if (p.qty === 0) this.closeTrade(p, tsMs);
    }

    if (openQty > 0) {
      const side: Side = buy ? "long" : "short";
      const fresh = p.qty === 0;
      if (fresh) this.open(p, side, openQty, price, tsMs);
      else {
        p.cost += BigInt(price) * BigInt(openQty);
        p.qty += openQty;
        p.entryQty += openQty;
        p.entryCost += BigInt(price) * BigInt(openQty);
        this.rebaseLadder(p);
      }
      const commission = perContract * BigInt(openQty);
      p.commissions += commission;
      p.fills.push({
        orderId: o.id,
        qty: openQty,
        price,
        purpose: o.purpose,
        reason: o.reason,
        tsMs,
        pnl: 0n,
        commission,
        assumed,
        closes: false,
      });
      const late = o.purpose !== "entry" && o.purpose !== "reverse";
      this.event(
        p,
        late ? "order.late_fill" : fresh ? "trade.opened" : "trade.added",
        RULE,
        `${late ? `${o.purpose} order filled after the position was already flat — ` : ""}${fresh ? "opened" : "added"} ${side} ${openQty} @ ${formatPrice(price, spec.decimals)} (${verb})${fresh ? "" : `; position ${p.qty} @ ${formatPrice(Number(p.cost / BigInt(p.qty)), spec.decimals)} avg`}${late ? "; check it with the broker" : ""}`,
        { qty: openQty, price, assumed },
        tsMs,
      );
      if (fresh) this.applyBracket(p, o, tsMs);
      else this.entries.delete(o.id);
    } else if (p.qty === 0 && p.reverseTo && !this.hasWorking(p)) {
      const r = p.reverseTo;
      p.reverseTo = null;
      const id = `${p.key}:o${p.nextOrder}`;
      this.submitRaw(p, {
        id,
        side: r.side === "long" ? "buy" : "sell",
        qty: r.qty,
        type: "market",
        refPrice: price,
        purpose: "reverse",
        reason: `reverse into ${r.side} ${r.qty}`,
        tsMs,
      });
      this.entries.set(id, { orderId: id, bracket: p.lastBracket ?? {} });
    } else if (p.qty > 0 && p.closing && !this.hasWorking(p)) {
      // The closing order filled only in part, or a TP in flight failed meanwhile: exit the rest.
      this.startClosing(p, p.closing.purpose, p.closing.reason, price, tsMs, rule(p.closing.purpose));
    }
    if (p.qty === 0) this.entries.delete(o.id);
    this.touch(p, PART.size | PART.ladder);
  }

  private applyBracket(p: Position, o: WorkingOrder, tsMs: number): void {
    const orderId = o.id;
    const entry = this.entries.get(orderId);
    this.entries.delete(orderId);
    const b = entry?.bracket;
    if (!b) return;
    p.lastBracket = b;
    const spec = this.spec(p.symbol)!;
    const actor = rule("bracket");
    try {
      if (b.stop) this.cmdSetStop(p, spec, b.stop, b.atr !== undefined ? { value: b.atr } : undefined, actor, tsMs);
    } catch (err) {
      this.event(p, "stop.refused", actor, `stop not placed: ${(err as Error).message}`, {}, tsMs);
    }
    try {
      let ladder = b.ladder ?? [];
      if (ladder.length && o.purpose === "reverse") {
        // A reversed trade carries its ladder, cut to the quantity it holds (R5.4).
        const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
        const fit = fitLadder(ladder, p.qty, (t) => Math.abs(profitPrice(p.side, ref, t, spec.tick) - ref));
        ladder = fit.levels;
        if (fit.cut.length)
          this.event(
            p,
            "ladder.fitted",
            actor,
            `take-profit ladder fitted to ${p.qty}: ${fit.cut.join(", ")}`,
            {},
            tsMs,
          );
      }
      if (ladder.length) this.cmdSetLadder(p, spec, ladder, actor, tsMs);
    } catch (err) {
      this.event(p, "ladder.refused", actor, `take-profit ladder not placed: ${(err as Error).message}`, {}, tsMs);
    }
    if (b.timer) this.cmdSetTimer(p, b.timer, actor, tsMs);
  }

  private afterFirstTp(p: Position, price: Nanos, tsMs: number): void {
    const s = p.stop;
    if (s?.status !== "armed") return;
    const be = s.config.breakevenAfterTp1;
    if (be) {
      this.toBreakeven(p, be.offsetTicks, "TP1 filled → stop to breakeven", tsMs);
      if (be.thenTrail) this.startTrailing(p, price, tsMs);
    } else if (s.config.trailAfterTp1) {
      this.startTrailing(p, price, tsMs);
    }
  }

  private toBreakeven(p: Position, offsetTicks: number, why: string, tsMs: number): void {
    const s = p.stop;
    const spec = this.spec(p.symbol)!;
    const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
    const target = p.side === "long" ? ref + offsetTicks * spec.tick : ref - offsetTicks * spec.tick;
    const last = this.books.get(p.symbol)?.last ?? 0;
    if (!s) {
      this.event(p, "stop.breakeven_skipped", rule("breakeven"), `${why}: no stop to move`, {}, tsMs);
      return;
    }
    if (last > 0 && (p.side === "long" ? target >= last : target <= last)) {
      this.event(
        p,
        "stop.breakeven_skipped",
        rule("breakeven"),
        `${why}: breakeven ${formatPrice(target, spec.decimals)} is beyond the market ${formatPrice(last, spec.decimals)}; stop left at ${formatPrice(s.price, spec.decimals)}`,
        {},
        tsMs,
      );
      return;
    }
    if (!betterStop(p.side, target, s.price)) return;
    const from = s.price;
    s.price = target;
    s.basis = `breakeven ${offsetTicks >= 0 ? "+" : ""}${offsetTicks} tick${Math.abs(offsetTicks) === 1 ? "" : "s"}`;
    this.event(
      p,
      "stop.breakeven",
      rule("breakeven"),
      `${why}: ${formatPrice(from, spec.decimals)} → ${formatPrice(target, spec.decimals)}`,
      { from, to: target },
      tsMs,
    );
    this.touch(p, PART.stop);
  }

  private startTrailing(p: Position, price: Nanos, tsMs: number): void {
    const s = p.stop!;
    if (s.trailing) return;
    if (!s.config.trailBy) {
      this.event(
        p,
        "stop.trail_skipped",
        rule("trail"),
        "trailing after TP1 asked but no trailing distance set",
        {},
        tsMs,
      );
      return;
    }
    s.trailing = true;
    // From the last print (the one that filled TP1, in paper), and at once (R3.4).
    const last = this.books.get(p.symbol)?.last ?? 0;
    p.best = last > 0 ? last : price;
    const spec = this.spec(p.symbol)!;
    const from = s.price;
    const moved = ratchet(p, s, p.best, spec.tick);
    this.touch(p, PART.stop);
    this.event(
      p,
      "stop.trailing",
      rule("trail"),
      `trailing ${formatTarget(s.config.trailBy, spec.decimals)} from ${formatPrice(p.best, spec.decimals)}${moved ? `: stop ${formatPrice(from, spec.decimals)} → ${formatPrice(s.price, spec.decimals)}` : `; stop stays at ${formatPrice(s.price, spec.decimals)}`}`,
      {},
      tsMs,
    );
  }

  private onFailure(p: Position, o: WorkingOrder, kind: "rejected" | "failed", reason: string, tsMs: number): void {
    const spec = this.spec(p.symbol)!;
    const level = o.levelId ? p.ladder.find((l) => l.id === o.levelId) : undefined;
    if (level) {
      const n = p.ladder.indexOf(level) + 1;
      level.lastError = reason;
      if (level.attempts >= MAX_ATTEMPTS) {
        level.status = "failed";
        this.event(
          p,
          "tp.failed",
          tpRule(n),
          `TP${n} exit ${kind} ${level.attempts}×: ${reason} — position still open, act by hand`,
          { level: n, reason },
          tsMs,
        );
      } else {
        level.status = level.filledQty > 0 ? "pending" : "armed";
        if (level.filledQty > 0) level.status = "armed";
        this.event(
          p,
          "tp.retry",
          tpRule(n),
          `TP${n} exit ${kind}: ${reason} — armed again (attempt ${level.attempts} of ${MAX_ATTEMPTS})`,
          { level: n, reason },
          tsMs,
        );
      }
    } else if (p.closing && o.id === p.closing.orderId) {
      if (p.closing.attempts >= MAX_ATTEMPTS) {
        const c = p.closing;
        p.closing = null;
        if (p.stop && p.stop.status === "pending") p.stop.status = "failed";
        this.event(
          p,
          "exit.failed",
          rule(c.purpose),
          `EXIT FAILED ${c.attempts}× (${c.reason}): ${reason} — position still open, act by hand`,
          { reason },
          tsMs,
        );
      } else {
        this.event(
          p,
          "exit.retry",
          rule(p.closing.purpose),
          `exit ${kind}: ${reason} — retrying (attempt ${p.closing.attempts + 1} of ${MAX_ATTEMPTS})`,
          { reason },
          tsMs,
        );
        this.startClosing(p, p.closing.purpose, p.closing.reason, o.refPrice, tsMs, rule(p.closing.purpose));
      }
    } else {
      this.entries.delete(o.id);
      this.event(
        p,
        "order.failed",
        RULE,
        `${o.purpose} order ${o.side} ${o.qty} ${kind}: ${reason}`,
        { reason, orderId: o.id },
        tsMs,
      );
      if (p.closing && !this.hasWorking(p) && p.qty > 0)
        this.startClosing(p, p.closing.purpose, p.closing.reason, o.refPrice, tsMs, rule(p.closing.purpose));
    }
    void spec;
    this.touch(p, PART.ladder | PART.state);
  }

  /* ---------------- helpers ---------------- */

  private ensurePosition(accountId: number, symbol: string, tsMs: number): Position {
    const key = `${accountId}:${symbol}`;
    let p = this.positions.get(key);
    if (!p) {
      p = this.blank(accountId, symbol, tsMs);
      this.positions.set(key, p);
      this.addToBook(p);
    }
    return p;
  }

  private blank(accountId: number, symbol: string, tsMs: number): Position {
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

  private open(p: Position, side: Side, qty: number, price: Nanos, tsMs: number): void {
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
    this.touch(p, PART.all);
  }

  private closeTrade(p: Position, tsMs: number): void {
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
      closedAtMs: tsMs,
      realized: p.realized,
      commissions: p.commissions,
      fills: p.fills.slice(),
      exitReasons: p.fills.filter(closesContracts).map((f) => f.reason),
    };
    this.event(
      p,
      "trade.closed",
      RULE,
      `trade closed: ${p.side} ${p.entryQty}, P&L ${formatDollars(p.realized - p.commissions)} net (${formatDollars(p.realized)} gross, ${formatDollars(p.commissions)} commission)`,
      { realized: p.realized.toString(), commissions: p.commissions.toString() },
      tsMs,
    );
    this.out.push({ type: "closed", trade });
    this.flatten(p);
  }

  private flatten(p: Position): void {
    p.qty = 0;
    p.cost = 0n;
    p.ladder = [];
    p.stop = null;
    p.timer = null;
    p.closing = null;
    p.tpFilled = 0;
    this.timed.delete(p);
    // Orders still in flight stay known: if the broker fills one anyway, the fill is applied.
    this.touch(p, PART.all);
  }

  private rebaseLadder(p: Position): void {
    const spec = this.spec(p.symbol)!;
    const ref = entryRef(p.side, p.cost, p.qty, spec.tick);
    for (const l of p.ladder)
      if (l.status === "armed" && l.target.unit !== "price") l.price = profitPrice(p.side, ref, l.target, spec.tick);
  }

  /**
   * Contracts that orders in flight will take off the position: exits, and entry orders of the
   * other side (they net). Exits are sized from what is left, so in-flight orders can never
   * together flip a position that no one asked to reverse.
   */
  private pendingExitQty(p: Position): number {
    let n = 0;
    const reducing = p.side === "long" ? "sell" : "buy";
    for (const o of this.orders.values()) {
      if (o.posKey !== p.key) continue;
      if (o.purpose !== "entry" && o.purpose !== "reverse") n += o.qty - o.filled;
      else if (o.side === reducing) n += o.qty - o.filled;
    }
    return Math.min(n, p.qty);
  }

  private hasWorking(p: Position): boolean {
    for (const o of this.orders.values()) if (o.posKey === p.key) return true;
    return false;
  }

  /** P&L of the open quantity at a price, in 1e-9 points × contracts. */
  private pnlAt(p: Position, price: Nanos): bigint {
    const v = BigInt(price) * BigInt(p.qty) - p.cost;
    return p.side === "long" ? v : -v;
  }

  /**
   * An exit order: a take-profit is a limit at its level, a stop-limit's a limit the offset
   * beyond the stop (unless converted to market), everything else a market order.
   */
  private submit(
    p: Position,
    id: string,
    side: "buy" | "sell",
    qty: number,
    purpose: Purpose,
    reason: string,
    refPrice: Nanos,
    tsMs: number,
    levelId?: string,
    market = false,
  ): string {
    let type: OrderRequest["type"] = "market";
    let limitPrice: Nanos | undefined;
    const level = levelId ? p.ladder.find((l) => l.id === levelId) : undefined;
    if (level) {
      type = "limit";
      limitPrice = level.price;
    } else if (purpose === "stop" && p.stop?.config.kind === "stop-limit" && !market) {
      const off = (p.stop.config.limitOffsetTicks ?? 0) * this.spec(p.symbol)!.tick;
      type = "limit";
      limitPrice = p.side === "long" ? p.stop.price - off : p.stop.price + off;
    }
    this.submitRaw(p, { id, side, qty, type, limitPrice, refPrice, purpose, reason, tsMs }, levelId);
    return id;
  }

  private submitRaw(
    p: Position,
    o: Omit<OrderRequest, "accountId" | "accountKind" | "symbol">,
    levelId?: string,
  ): void {
    const acct = this.accounts.get(p.accountId)!;
    const order: OrderRequest = { ...o, accountId: p.accountId, accountKind: acct.kind, symbol: p.symbol };
    if (order.limitPrice === undefined) delete order.limitPrice;
    p.nextOrder++;
    this.orders.set(order.id, { ...order, posKey: p.key, levelId, status: "submitted", filled: 0 });
    this.out.push({ type: "submit", order });
  }

  private event(
    p: Position,
    kind: string,
    actor: Actor,
    reason: string,
    data: Record<string, unknown>,
    tsMs: number,
  ): void {
    this.out.push({
      type: "event",
      key: p.key,
      event: { kind, accountId: p.accountId, symbol: p.symbol, tradeId: p.tradeId || null, actor, reason, data, tsMs },
    });
  }

  /** A change of the position (`parts`: what it touched, PART bits; R8.1). */
  private touch(p: Position, parts: number = PART.all): void {
    p.version++;
    const log = (p.edits ??= []);
    const lastRun = log[log.length - 1];
    // Runs of the same kind (a stop trailing print after print) extend one entry: nothing allocated.
    if (lastRun && lastRun[2] === parts && lastRun[1] === p.version - 1) lastRun[1] = p.version;
    else {
      log.push([p.version, p.version, parts]);
      if (log.length > 32) log.shift();
    }
    const b = this.books.get(p.symbol)!;
    const i = b.slot.get(p)!;
    if (!b.stale[i]) {
      b.stale[i] = 1;
      b.staleCount++;
    }
    if (b.ratcheted[i]) {
      b.ratcheted[i] = 0;
      b.ratchetCount--;
    }
    if (b.changedIn[i] !== this.out) {
      b.changedIn[i] = this.out;
      this.out.push({ type: "changed", key: p.key, accountId: p.accountId, symbol: p.symbol });
    }
  }

  private bookOf(symbol: string): Book {
    let b = this.books.get(symbol);
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
        last: 0,
        downSince: 0,
        awaiting: 0,
        up: Infinity,
        down: -Infinity,
      };
      this.books.set(symbol, b);
    }
    return b;
  }

  private addToBook(p: Position): void {
    const b = this.bookOf(p.symbol);
    b.slot.set(p, b.positions.length);
    b.positions.push(p);
    b.ups.push(Infinity);
    b.downs.push(-Infinity);
    b.stale.push(1);
    b.staleCount++;
    b.ratcheted.push(0);
    b.changedIn.push(undefined);
  }

  /** The quiet band: the nearest price above and below at which any rule of any position acts. */
  private rebuild(b: Book): void {
    let up = Infinity;
    let down = -Infinity;
    const ps = b.positions;
    const ups = b.ups;
    const downs = b.downs;
    const stale = b.stale;
    const check = b.staleCount > 0;
    for (let i = 0; i < ps.length; i++) {
      if (check && stale[i]) {
        positionBand(ps[i]!);
        ups[i] = bandUp;
        downs[i] = bandDown;
        stale[i] = 0;
      }
      if (ups[i]! < up) up = ups[i]!;
      if (downs[i]! > down) down = downs[i]!;
    }
    b.up = up;
    b.down = down;
    b.staleCount = 0;
  }
}

/**
 * A trailing stop and a print: the new reference, and the stop moved to reference ∓ distance
 * (floored/ceiled to the tick) when that is better (R3.3). True when the stop moved.
 */
function ratchet(p: Position, s: StopState, price: Nanos, tick: Nanos): boolean {
  p.best = price;
  const dist = distanceOf(s.config.trailBy ?? (s.config.initial as Target), tick) ?? 0;
  if (!(dist > 0)) return false;
  const candidate = trailPrice(p.side, price, dist, tick);
  if (!betterStop(p.side, candidate, s.price)) return false;
  s.price = candidate;
  s.basis = TRAIL_BASIS[p.side];
  return true;
}

/** A trailing stop's place: the reference less the distance for a long (floored to the tick), plus it for a short (ceiled). */
const trailPrice = (side: Side, best: Nanos, dist: Nanos, tick: Nanos): Nanos =>
  side === "long" ? floorTick(best - dist, tick) : ceilTick(best + dist, tick);
/** Constants, not a new string per ratchet: the UI shows best and distance itself. */
const TRAIL_BASIS: Record<Side, string> = { long: "trailing below the high", short: "trailing above the low" };

const sameTarget = (a: Target | undefined, b: Target | undefined) => a?.unit === b?.unit && a?.value === b?.value;

let bandUp = Infinity;
let bandDown = -Infinity;
/**
 * Prices at or beyond which a print makes one of this position's rules act (∓∞: none), left in
 * bandUp/bandDown: this runs for every position a print touches, so it allocates nothing.
 */
function positionBand(p: Position): void {
  let up = Infinity;
  let down = -Infinity;
  if (p.qty > 0 && !p.closing) {
    const long = p.side === "long";
    const s = p.stop;
    if (s && s.status === "armed") {
      if (long) down = s.price;
      else up = s.price;
      if (s.trailing) {
        if (long) up = Math.min(up, p.best + 1);
        else down = Math.max(down, p.best - 1);
      }
    }
    const ladder = p.ladder;
    for (let i = 0; i < ladder.length; i++) {
      const l = ladder[i]!;
      if (l.status !== "armed" || !l.enabled) continue;
      if (long) up = Math.min(up, l.price);
      else down = Math.max(down, l.price);
    }
    if (p.timer?.phase === "waiting-for-entry") {
      const q = BigInt(p.qty);
      if (long) down = Math.max(down, Number(p.cost / q));
      else up = Math.min(up, Number((p.cost + q - 1n) / q));
    }
  }
  bandUp = up;
  bandDown = down;
}

const NONE: Effect[] = [];

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

/** What each command touches: a stale command is refused only when the change meanwhile touched the same (R8.1). */
const INTENT: Record<Command["kind"], number> = {
  order: PART.size | PART.trade,
  record: PART.size | PART.trade,
  sync: 0,
  exit: PART.trade,
  "convert-to-market": PART.trade,
  clear: PART.trade,
  "set-ladder": PART.ladder | PART.size | PART.trade,
  "update-level": PART.ladder | PART.size | PART.trade,
  "set-stop": PART.stop | PART.trade,
  "move-stop": PART.stop | PART.trade,
  "set-timer": PART.timer | PART.trade,
};

/** The parts changed after `version` (all of them when the log does not reach back that far). */
function changedSince(p: Position, version: number): number {
  if (version > p.version) return PART.all;
  const log = p.edits ?? [];
  let parts = 0;
  let covered = p.version;
  for (let i = log.length - 1; i >= 0 && covered > version; i--) {
    const [from, to, bits] = log[i]!;
    if (to < covered) return PART.all; // a gap: not known what changed
    parts |= bits;
    covered = from - 1;
  }
  return covered > version ? PART.all : parts;
}

const PART_NAMES: [number, string][] = [
  [PART.trade, "a new trade"],
  [PART.size, "its size"],
  [PART.ladder, "the take-profits"],
  [PART.stop, "the stop"],
  [PART.timer, "the timer"],
];
const partNames = (bits: number) =>
  PART_NAMES.filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(", ") || "it changed";

/** A fill that took contracts off (older stored fills lack the flag: an exit purpose or a P&L says so). */
export const closesContracts = (f: { closes?: boolean; pnl: bigint; purpose: Purpose }) =>
  f.closes ?? (f.pnl !== 0n || (f.purpose !== "entry" && f.purpose !== "reverse"));

/** How long a command's Idempotency-Key is remembered: a retry within a day is applied once, however many commands came between. */
export const IDEMPOTENCY_MS = 24 * 3_600_000;
/** A bound on the memory a position spends on keys, far above a day of a trader's clicks. */
const IDEMPOTENCY_MAX = 10_000;

type KeyLog = NonNullable<Position["recentCommands"]>;
const keyOf = (e: KeyLog[number]) => (typeof e === "string" ? e : e[0]);
const timeOf = (e: KeyLog[number], now: number) => (typeof e === "string" ? now : e[1]);

function seenKey(log: KeyLog, key: string, now: number): boolean {
  for (const e of log) if (keyOf(e) === key && now - timeOf(e, now) < IDEMPOTENCY_MS) return true;
  return false;
}

function rememberKey(log: KeyLog, key: string, now: number): KeyLog {
  const kept = log.filter((e) => now - timeOf(e, now) < IDEMPOTENCY_MS).slice(-(IDEMPOTENCY_MAX - 1));
  kept.push([key, now]);
  return kept;
}

function need(p: Position | undefined, symbol: string): Position {
  if (!p) throw new EngineError(404, `no ${symbol} position`);
  return p;
}

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
