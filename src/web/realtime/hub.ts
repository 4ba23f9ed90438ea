/**
 * Fans live prices out to browser sockets. A client that keeps up is served by Bun's topic
 * publish (one serialisation for all). A client whose socket backs up, or that asked for a
 * maximum rate, is switched to "pull" delivery: it receives only the newest message per
 * symbol when its socket drains or its rate allows, so a slow or stalled browser costs a
 * bounded amount of memory and never holds the feed back.
 *
 * Bursts: the feed decodes a whole TCP chunk (many records) synchronously. The prints and
 * quotes a symbol gets during one such burst are gathered and published together at its end
 * (a microtask queued by the burst's first publish, so nothing waits for a timer): a push
 * client receives one message per symbol and burst instead of one per record.
 *
 * Messages (JSON; their types are the union in messages.ts, see also README):
 * - `{"t":"trade","s":"MES","p":5012.25,"q":1,"side":"B","ts":…}`: one print. A burst with a
 *   single print of a symbol and an unchanged book is sent in this form; it is also the
 *   "latest" trade that pull clients and new subscribers get.
 * - `{"t":"quote","s":"MES","b":…,"a":…,"bs":…,"as":…,"ts":…}`: the top of book. A burst in
 *   which only the book moved is sent in this form; it is also the "latest" quote.
 * - `{"t":"trades","s":"MES","p":[…],"q":[…],"side":"BAB…","ts":…,"dt":[…],"quote":{"b","a","bs","as","ts"}}`:
 *   any other burst. Every print, oldest first: print i is price p[i], size q[i], aggressor
 *   side[i] (one character: A, B or N) at ts + dt[i] (UTC ms; ts is the first print's time,
 *   so dt[0] is 0); the last one is the current price. `quote` (present only if the book
 *   moved during the burst) is the book as it stands at the end of the burst.
 * - `{"event":"price_changed","data":{"symbol":"MES","price":…}}` (the original client's
 *   form, legacy subscribers only): the price at the end of each burst with a print.
 */

import type { QuoteMessage, Side, TradeMessage } from "./messages";
import { legacyTopic, pxTopic, Sym } from "./symbol-state";

export type { QuoteMessage, Side, TradeMessage } from "./messages";

export interface HubSocket {
  send(data: string): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  bufferedAmount(): number;
}

export interface HubPublisher {
  publish(topic: string, data: string): void;
}

export interface HubClientStats {
  coalesced: number;
  sent: number;
}

class Client {
  symbols = new Set<string>();
  legacy = false;
  pull = false;
  minIntervalMs = 0;
  lastFlush = Number.NEGATIVE_INFINITY;
  seen = new Map<string, number>();
  stats: HubClientStats = { coalesced: 0, sent: 0 };
  constructor(readonly socket: HubSocket) {}
}

const ALL_TOPIC = "all";

export interface PriceHubOptions {
  /** Bytes queued on a socket beyond which it is served latest-only. */
  highWaterBytes?: number;
  now?: () => number;
}

export class PriceHub {
  private readonly latest = new Map<string, Sym>();
  private readonly clients = new Map<HubSocket, Client>();
  private readonly high: number;
  private readonly now: () => number;
  private publisher: HubPublisher | undefined;
  /** Bytes published since the sockets' backlogs were last looked at. */
  private sinceCheck = 0;
  /** Look at the backlogs again once this many bytes went out (half the high-water mark). */
  private readonly checkBytes: number;
  /** Sockets that asked for `price_changed` (none: it is not built). */
  private legacyClients = 0;
  /** Symbols with a burst not yet published, in the order they first printed. */
  private readonly dirty: Sym[] = [];
  private flushQueued = false;
  /** A symbol's burst goes out once it holds this many prints, which bounds one message's size. */
  static readonly MAX_BATCH = 512;

  constructor(opts: PriceHubOptions = {}) {
    this.high = opts.highWaterBytes ?? 64 * 1024;
    this.checkBytes = this.high / 2;
    this.now = opts.now ?? Date.now;
  }

  /** The latest trade and quote messages of a symbol (pages render them before the socket opens). */
  snapshot(symbol: string): { trade?: TradeMessage; quote?: QuoteMessage } {
    const l = this.latest.get(symbol);
    return {
      trade: l?.hasTrade ? { t: "trade", s: symbol, p: l.p, q: l.q, side: l.side, ts: l.ts } : undefined,
      quote: l?.hasQuote ? { t: "quote", s: symbol, b: l.b, a: l.a, bs: l.bs, as: l.as, ts: l.qts } : undefined,
    };
  }

  /** The server whose topic publish reaches push-mode clients. */
  attach(publisher: HubPublisher): void {
    this.publisher = publisher;
  }

  add(socket: HubSocket): void {
    this.clients.set(socket, new Client(socket));
    // Status goes to every socket, whatever its mode.
    socket.subscribe(ALL_TOPIC);
  }

  remove(socket: HubSocket): void {
    if (this.clients.get(socket)?.legacy) this.legacyClients--;
    this.clients.delete(socket);
  }

  get size(): number {
    return this.clients.size;
  }

  stats(socket: HubSocket): HubClientStats | undefined {
    return this.clients.get(socket)?.stats;
  }

  subscribe(socket: HubSocket, symbols: readonly string[], legacy = false): void {
    const c = this.clients.get(socket);
    if (!c) return;
    // What was published before it subscribed is in the state it gets now, not sent again.
    this.flush();
    if (legacy && !c.legacy) {
      c.legacy = true;
      this.legacyClients++;
    }
    for (const s of symbols) {
      c.symbols.add(s);
      if (!c.pull) this.subscribeTopics(c, s);
      // A new subscriber gets the current state at once rather than waiting for the next print.
      const l = this.latest.get(s);
      if (l) {
        this.sendLatest(c, l);
        c.seen.set(s, l.version);
      }
    }
  }

  unsubscribe(socket: HubSocket, symbols: readonly string[]): void {
    const c = this.clients.get(socket);
    if (!c) return;
    for (const s of symbols) {
      c.symbols.delete(s);
      c.seen.delete(s);
      socket.unsubscribe(pxTopic(s));
      socket.unsubscribe(legacyTopic(s));
    }
  }

  /** At most `perSecond` messages per symbol; null restores live push. */
  setRate(socket: HubSocket, perSecond: number | null): void {
    const c = this.clients.get(socket);
    if (!c) return;
    this.flush();
    c.minIntervalMs = perSecond ? Math.ceil(1000 / perSecond) : 0;
    if (perSecond) this.toPull(c);
    else if (c.socket.bufferedAmount() < this.high) this.toPush(c);
  }

  /** A print of `symbol` (price in points), published with the rest of its burst. */
  publishTrade(symbol: string, price: number, size: number, side: Side, tsMs: number): void {
    const l = this.sym(symbol);
    l.trade(price, size, side, tsMs);
    if (l.ps.length >= PriceHub.MAX_BATCH) this.flushSymbol(l);
    else this.queue(l);
  }

  /** The top of book of `symbol` moved; push clients get where it stands at the end of the burst. */
  publishQuote(
    symbol: string,
    bid: number | null,
    ask: number | null,
    bidSize: number,
    askSize: number,
    tsMs: number,
  ): void {
    const l = this.sym(symbol);
    l.quote(bid, ask, bidSize, askSize, tsMs);
    this.queue(l);
  }

  /**
   * Publishes every burst gathered so far now. Runs by itself in a microtask after the first
   * publish of a burst; everything that changes who gets what (and tests) calls it first.
   */
  flush(): void {
    this.flushQueued = false;
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    for (let i = 0; i < dirty.length; i++) this.flushSymbol(dirty[i]!);
    dirty.length = 0;
  }

  /**
   * A user's own state changes (positions, orders, events) to every socket of that user. Never
   * coalesced: they are few and each one matters.
   */
  publishUser(userId: number, message: string): void {
    // The prints that caused it go first.
    this.flush();
    this.publisher?.publish(`user:${userId}`, message);
  }

  /**
   * Bars (of `symbol`) and status (`null`: every socket) go to everyone subscribed, whatever
   * their mode: they are few. Push clients get them through the topic publish (one
   * serialisation, written together with the prices), pull clients directly.
   */
  broadcast(symbol: string | null, message: string): void {
    // A bar closes on a print of the next one: the prints it holds go out before it.
    this.flush();
    if (symbol === null) {
      this.publisher?.publish(ALL_TOPIC, message);
      return;
    }
    this.publisher?.publish(pxTopic(symbol), message);
    for (const c of this.clients.values()) if (c.pull && c.symbols.has(symbol)) this.sendDirect(c, message);
  }

  /** Called periodically (and on drain): moves backed-up clients to pull, serves pull clients. */
  tick(): void {
    this.flush();
    this.sinceCheck = 0;
    const now = this.now();
    for (const c of this.clients.values()) {
      const buffered = c.socket.bufferedAmount();
      if (!c.pull) {
        if (buffered > this.high) this.toPull(c);
        continue;
      }
      this.servePull(c, now, buffered);
    }
  }

  drained(socket: HubSocket): void {
    const c = this.clients.get(socket);
    if (!c?.pull) return;
    this.flush();
    this.servePull(c, this.now(), socket.bufferedAmount());
  }

  private sym(symbol: string): Sym {
    let l = this.latest.get(symbol);
    if (!l) this.latest.set(symbol, (l = new Sym(symbol)));
    return l;
  }

  private queue(l: Sym): void {
    if (l.queued) return;
    l.queued = true;
    this.dirty.push(l);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
  }

  private readonly flushTask = () => this.flush();

  private flushSymbol(l: Sym): void {
    l.queued = false;
    const pub = this.publisher;
    const message = l.burstMessage();
    if (pub && message !== undefined) {
      // Bursts between two ticks could otherwise fill a stalled socket: every so many bytes,
      // before publishing, a socket already over the mark gets this burst as its latest instead.
      this.sinceCheck += message.length;
      if (this.sinceCheck >= this.checkBytes) this.checkBackpressure();
      pub.publish(l.topic, message);
      if (l.ps.length && this.legacyClients) pub.publish(l.legacyTopic, l.legacyMessage()!);
    }
    l.clearBurst();
    l.published = l.version;
  }

  private checkBackpressure(): void {
    this.sinceCheck = 0;
    for (const c of this.clients.values()) if (!c.pull && c.socket.bufferedAmount() > this.high) this.toPull(c);
  }

  private servePull(c: Client, now: number, buffered: number): void {
    if (buffered > this.high) return;
    if (c.minIntervalMs && now - c.lastFlush < c.minIntervalMs) return;
    c.lastFlush = now;
    for (const s of c.symbols) {
      const l = this.latest.get(s);
      if (!l) continue;
      const seen = c.seen.get(s) ?? 0;
      if (l.version === seen) continue;
      c.stats.coalesced += Math.max(0, l.version - seen - 1);
      this.sendLatest(c, l);
      c.seen.set(s, l.version);
    }
    if (!c.minIntervalMs && c.socket.bufferedAmount() === 0) this.toPush(c);
  }

  private sendLatest(c: Client, l: Sym): void {
    const quote = l.quoteMessage();
    const trade = l.tradeMessage();
    if (quote) this.sendDirect(c, quote);
    if (trade) this.sendDirect(c, trade);
    if (trade && c.legacy) this.sendDirect(c, l.legacyMessage()!);
  }

  private toPull(c: Client): void {
    if (c.pull) return;
    c.pull = true;
    for (const s of c.symbols) {
      c.socket.unsubscribe(pxTopic(s));
      c.socket.unsubscribe(legacyTopic(s));
      // Everything published so far is already queued on the socket; a burst not yet
      // published reaches it as its latest value instead.
      c.seen.set(s, this.latest.get(s)?.published ?? 0);
    }
  }

  private toPush(c: Client): void {
    if (!c.pull) return;
    c.pull = false;
    for (const s of c.symbols) this.subscribeTopics(c, s);
  }

  private subscribeTopics(c: Client, s: string): void {
    c.socket.subscribe(pxTopic(s));
    if (c.legacy) c.socket.subscribe(legacyTopic(s));
  }

  private sendDirect(c: Client, message: string): void {
    c.socket.send(message);
    c.stats.sent++;
  }
}
