import type { Bar, Nanos } from "../bars/bar";
import type { FeedStatus } from "../service/feed-types";

export interface TradeTick {
  instrumentId: number;
  /** Exchange time of the print (DBN ts_event), UTC ms. */
  tsMs: number;
  /** Databento's receive time (DBN ts_recv), UTC ms, where the record has one: bars are bucketed on it. */
  recvMs?: number;
  price: Nanos;
  size: number;
  /** Aggressor: 'A' sell, 'B' buy, 'N' unknown. */
  side: "A" | "B" | "N";
}

export interface QuoteTick {
  instrumentId: number;
  tsMs: number;
  bid: Nanos | null;
  ask: Nanos | null;
  bidSize: number;
  askSize: number;
}

/** A root's prices moved to another contract: the old one's instrument id no longer prints for it. */
export interface ContractRetired {
  root: string;
  instrumentId: number;
}

/**
 * The bus's topics and what each carries: domain events only (prints, book, bars, the feed's
 * status), never a consumer's format — the web layer's realtime module makes browser messages of
 * them. Topics after NautilusTrader's data topics: one name per kind of event, typed.
 */
export interface BusTopics {
  trade: TradeTick;
  quote: QuoteTick;
  bar: Bar;
  /** The feed's state, once a second while its clocks run (the status bar's heartbeat). */
  status: FeedStatus;
  retired: ContractRetired;
}

export type BusEvents = { [K in keyof BusTopics]?: (event: BusTopics[K]) => void };

/** What a coalesced consumer receives: the newest trade and quote per instrument, and every bar. */
export interface Batch {
  trades: Map<number, TradeTick>;
  quotes: Map<number, QuoteTick>;
  bars: Bar[];
  /** Trades and quotes that were replaced by a newer one before this consumer took them. */
  coalesced: number;
}

/** Bars are kept, not coalesced; past this many pending the oldest go (a consumer that stopped). */
const MAX_PENDING_BARS = 10_000;

class CoalescingConsumer {
  private pending: Batch = { trades: new Map(), quotes: new Map(), bars: [], coalesced: 0 };
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly handler: (batch: Batch) => void | Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  trade(t: TradeTick) {
    if (this.pending.trades.has(t.instrumentId)) this.pending.coalesced++;
    this.pending.trades.set(t.instrumentId, t);
    this.schedule();
  }

  quote(q: QuoteTick) {
    if (this.pending.quotes.has(q.instrumentId)) this.pending.coalesced++;
    this.pending.quotes.set(q.instrumentId, q);
    this.schedule();
  }

  bar(b: Bar) {
    if (this.pending.bars.length >= MAX_PENDING_BARS) this.pending.bars.shift();
    this.pending.bars.push(b);
    this.schedule();
  }

  private schedule() {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.run());
  }

  private async run() {
    this.scheduled = false;
    if (this.busy) return;
    const batch = this.pending;
    if (batch.trades.size === 0 && batch.quotes.size === 0 && batch.bars.length === 0) return;
    this.pending = { trades: new Map(), quotes: new Map(), bars: [], coalesced: 0 };
    this.busy = true;
    try {
      await this.handler(batch);
    } catch (err) {
      this.onError(err);
    } finally {
      this.busy = false;
      // Whatever arrived while the handler ran is delivered next, newest values only.
      this.schedule();
    }
  }
}

/**
 * In-process publish/subscribe for market data. Synchronous subscribers (the trading engine) see
 * every event in order and must be fast; coalesced subscribers (browsers, persistence) get
 * batches with the latest value per instrument, so a slow one never holds the feed back and
 * never queues without bound. Synchronous subscribers are called in the order they subscribed:
 * the app subscribes them in one place (app/subscribers.ts), where that order is written down.
 */
export class PriceBus {
  private readonly sync: BusEvents[] = [];
  private readonly coalesced = new Set<CoalescingConsumer>();
  private readonly lastTrade = new Map<number, TradeTick>();
  private readonly lastQuote = new Map<number, QuoteTick>();
  errors = 0;

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  subscribe(events: BusEvents): () => void {
    this.sync.push(events);
    return () => {
      const i = this.sync.indexOf(events);
      if (i >= 0) this.sync.splice(i, 1);
    };
  }

  subscribeCoalesced(handler: (batch: Batch) => void | Promise<void>): () => void {
    const c = new CoalescingConsumer(handler, (e) => this.fail(e));
    this.coalesced.add(c);
    return () => this.coalesced.delete(c);
  }

  private fail(err: unknown) {
    this.errors++;
    this.onError(err);
  }

  publishTrade(t: TradeTick): void {
    this.lastTrade.set(t.instrumentId, t);
    this.dispatch("trade", t);
    for (const c of this.coalesced) c.trade(t);
  }

  publishQuote(q: QuoteTick): void {
    this.lastQuote.set(q.instrumentId, q);
    this.dispatch("quote", q);
    for (const c of this.coalesced) c.quote(q);
  }

  publishBar(b: Bar): void {
    this.dispatch("bar", b);
    for (const c of this.coalesced) c.bar(b);
  }

  /** Synchronous subscribers only: a status or a retired contract is not a price to coalesce. */
  publishStatus(s: FeedStatus): void {
    this.dispatch("status", s);
  }

  publishRetired(r: ContractRetired): void {
    this.dispatch("retired", r);
  }

  /** Every synchronous subscriber of a topic, in the order they subscribed; one that throws is counted, not fatal. */
  private dispatch<K extends keyof BusTopics>(topic: K, event: BusTopics[K]): void {
    for (const s of this.sync) {
      const handler = s[topic];
      if (handler === undefined) continue;
      try {
        handler.call(s, event);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  last(instrumentId: number): { trade?: TradeTick; quote?: QuoteTick } {
    return { trade: this.lastTrade.get(instrumentId), quote: this.lastQuote.get(instrumentId) };
  }
}
