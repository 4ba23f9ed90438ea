/**
 * Fans live prices out to browser sockets. A client that keeps up is served by Bun's topic
 * publish (one serialisation for all). A client whose socket backs up, or that asked for a
 * maximum rate, is switched to "pull" delivery: it receives only the newest message per
 * symbol when its socket drains or its rate allows, so a slow or stalled browser costs a
 * bounded amount of memory and never holds the feed back.
 */

export interface HubSocket {
  send(data: string): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  bufferedAmount(): number;
}

export interface HubPublisher {
  publish(topic: string, data: string): void;
}

type Kind = "trade" | "quote" | "legacy";

interface Latest {
  version: number;
  trade?: string;
  quote?: string;
  legacy?: string;
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

const topicOf = (kind: Kind, symbol: string) => `${kind === "legacy" ? "legacy" : "px"}:${symbol}`;

export interface PriceHubOptions {
  /** Bytes queued on a socket beyond which it is served latest-only. */
  highWaterBytes?: number;
  now?: () => number;
}

export class PriceHub {
  private readonly latest = new Map<string, Latest>();
  private readonly clients = new Map<HubSocket, Client>();
  private readonly high: number;
  private readonly now: () => number;
  private publisher: HubPublisher | undefined;
  private sinceCheck = 0;
  /** A burst between two ticks could otherwise fill a stalled socket; check every this many publishes. */
  private static readonly CHECK_EVERY = 64;

  constructor(opts: PriceHubOptions = {}) {
    this.high = opts.highWaterBytes ?? 64 * 1024;
    this.now = opts.now ?? Date.now;
  }

  /** The latest trade and quote messages of a symbol (pages render them before the socket opens). */
  snapshot(symbol: string): { trade?: Record<string, unknown>; quote?: Record<string, unknown> } {
    const l = this.latest.get(symbol);
    return { trade: l?.trade ? JSON.parse(l.trade) : undefined, quote: l?.quote ? JSON.parse(l.quote) : undefined };
  }

  /** The server whose topic publish reaches push-mode clients. */
  attach(publisher: HubPublisher): void {
    this.publisher = publisher;
  }

  add(socket: HubSocket): void {
    this.clients.set(socket, new Client(socket));
  }

  remove(socket: HubSocket): void {
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
    c.legacy ||= legacy;
    for (const s of symbols) {
      c.symbols.add(s);
      if (!c.pull) this.subscribeTopics(c, s);
      // A new subscriber gets the current state at once rather than waiting for the next print.
      const l = this.latest.get(s);
      if (l) {
        for (const m of [l.quote, l.trade, c.legacy ? l.legacy : undefined]) if (m) this.sendDirect(c, m);
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
      socket.unsubscribe(topicOf("trade", s));
      socket.unsubscribe(topicOf("legacy", s));
    }
  }

  /** At most `perSecond` messages per symbol; null restores live push. */
  setRate(socket: HubSocket, perSecond: number | null): void {
    const c = this.clients.get(socket);
    if (!c) return;
    c.minIntervalMs = perSecond ? Math.ceil(1000 / perSecond) : 0;
    if (perSecond) this.toPull(c);
    else if (c.socket.bufferedAmount() < this.high) this.toPush(c);
  }

  /** A price for `symbol`; `legacyMessage` is the original `price_changed` form of a trade. */
  publish(symbol: string, kind: "trade" | "quote", message: string, legacyMessage?: string): void {
    let l = this.latest.get(symbol);
    if (!l) this.latest.set(symbol, (l = { version: 0 }));
    l.version++;
    l[kind] = message;
    if (++this.sinceCheck >= PriceHub.CHECK_EVERY) this.checkBackpressure();
    this.publisher?.publish(topicOf("trade", symbol), message);
    if (legacyMessage) {
      l.legacy = legacyMessage;
      this.publisher?.publish(topicOf("legacy", symbol), legacyMessage);
    }
  }

  /**
   * A user's own state changes (positions, orders, events) to every socket of that user. Never
   * coalesced: they are few and each one matters.
   */
  publishUser(userId: number, message: string): void {
    this.publisher?.publish(`user:${userId}`, message);
  }

  /** Bars and status go to everyone subscribed, whatever their mode (they are few). */
  broadcast(symbol: string | null, message: string): void {
    for (const c of this.clients.values()) {
      if (symbol === null || c.symbols.has(symbol)) this.sendDirect(c, message);
    }
  }

  /** Called periodically (and on drain): moves backed-up clients to pull, serves pull clients. */
  tick(): void {
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

  private checkBackpressure(): void {
    this.sinceCheck = 0;
    for (const c of this.clients.values()) if (!c.pull && c.socket.bufferedAmount() > this.high) this.toPull(c);
  }

  drained(socket: HubSocket): void {
    const c = this.clients.get(socket);
    if (c?.pull) this.servePull(c, this.now(), socket.bufferedAmount());
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
      for (const m of [l.quote, l.trade, c.legacy ? l.legacy : undefined]) if (m) this.sendDirect(c, m);
      c.seen.set(s, l.version);
    }
    if (!c.minIntervalMs && c.socket.bufferedAmount() === 0) this.toPush(c);
  }

  private toPull(c: Client): void {
    if (c.pull) return;
    c.pull = true;
    for (const s of c.symbols) {
      c.socket.unsubscribe(topicOf("trade", s));
      c.socket.unsubscribe(topicOf("legacy", s));
      // Everything published so far is already queued on the socket.
      c.seen.set(s, this.latest.get(s)?.version ?? 0);
    }
  }

  private toPush(c: Client): void {
    if (!c.pull) return;
    c.pull = false;
    for (const s of c.symbols) this.subscribeTopics(c, s);
  }

  private subscribeTopics(c: Client, s: string): void {
    c.socket.subscribe(topicOf("trade", s));
    if (c.legacy) c.socket.subscribe(topicOf("legacy", s));
  }

  private sendDirect(c: Client, message: string): void {
    c.socket.send(message);
    c.stats.sent++;
  }
}
