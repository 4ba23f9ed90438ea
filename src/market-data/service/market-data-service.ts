import type { Logger } from "../../log/logger";
import type { Bar } from "../bars/bar";
import { BarAggregator, barTimeMs } from "../bars/bar-aggregator";
import { PriceBus } from "../bus/price-bus";
import { RType } from "../dbn/constants";
import type { RecordCursor } from "../dbn/cursor";
import { LiveClient, type LiveEvent } from "../databento/live-client";
import { startSimulatedGateway, type SimStart, type SimulatedGateway } from "../feeds/simulated-gateway";
import { CATALOGUE } from "../instruments/catalogue";
import { resolveSymbol } from "../instruments/symbols";
import { InstrumentRegistry } from "../instruments/instrument-registry";
import { decodeRecord } from "../dbn/record-codec";
import type { PriceHub } from "../stream/price-hub";
import { continuousSymbol, DEFAULT_ROLL_RULES, nextResubscribeMs, type RollRules } from "../instruments/roll-rule";

/** A continuous symbol moved to another contract, or will once its open positions are closed. */
export interface RollEvent {
  symbol: string;
  from: string;
  to: string;
  /** held: positions are open on `from`; its prices keep flowing for them until every one is flat. */
  state: "held" | "rolled";
}

/**
 * The timers the service's own clocks run on (bar closes, held rolls, status, the daily
 * re-subscription). The process's timers by default; a test that runs the service on a
 * simulated `now` (soak.test.ts: a week in seconds) passes timers driven by that clock, since
 * real ones would fire on real time while `now` says days have passed.
 */
export interface ServiceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const PROCESS_TIMERS: ServiceTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.(); // only the daily re-subscription uses it: it must not keep the process alive
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** One-second bars kept per root for charts: 15 minutes. */
const SECONDS_KEPT = 900;

export type FeedKind = "simulated" | "databento";
export type FeedState = "connecting" | "live" | "reconnecting" | "stopped" | "auth-failed";

export interface FeedConfig {
  kind: FeedKind;
  /** Databento key (live) — never logged. */
  apiKey?: string;
  /** host:port of a gateway other than Databento's (tests, a proxy). */
  gateway?: { host: string; port: number };
  dataset?: string;
  simSeed?: number;
  /** Which contract each continuous symbol follows (default: by volume). */
  rollRules?: RollRules;
}

export interface FeedStatus {
  kind: FeedKind;
  state: FeedState;
  lastTickAgeMs: number | null;
  symbols: number;
  reconnects: number;
  message?: string;
  /** In a cluster: whether this instance holds the session or follows the one that does. */
  role?: "leader" | "follower";
  /** Rolls held while positions are open on the old contract. */
  rolls?: { symbol: string; from: string; to: string }[];
}

/**
 * Socket → decoder → this service → bus → engine and browsers. It runs one feed (Databento
 * Live when a key is configured, else the simulated market through the same gateway protocol),
 * keeps the instrument_id → product map current from symbol mappings, publishes trades and
 * quotes on the bus, builds 1 s / 1 min bars, and pushes prices to browser sockets.
 */
export class MarketDataService {
  readonly bus: PriceBus;
  private client: LiveClient | undefined;
  private sim: SimulatedGateway | undefined;
  private readonly rootById = new Map<number, string>();
  private readonly contractById = new Map<number, string>();
  private readonly connectedListeners: ((info: { attempt: number }) => void)[] = [];
  private readonly watched = new Set<string>();
  private readonly lastQuote = new Map<
    number,
    { bid: number | null; ask: number | null; bidSize: number; askSize: number }
  >();
  private state: FeedState = "stopped";
  private lastTick: number | null = null;
  private message: string | undefined;
  private readonly bars1s: BarAggregator;
  private readonly seconds = new Map<string, Readonly<Bar>[]>();
  private readonly bars1m: BarAggregator;
  private barTimer: unknown;
  private statusTimer: unknown;
  /** In a cluster: the feed leader hands every record on (cluster/feed-relay.ts); a follower receives them. */
  private tap: ((root: string, c: RecordCursor) => void) | undefined;
  private relayed: { version: number; tsOut: boolean } | undefined;
  /** In a cluster: "leader" holds the Databento session, "follower" gets its records; undefined alone. */
  role: "leader" | "follower" | undefined;
  /** Per root, the contract whose prints flow (engine, bars, browsers). */
  private readonly activeByRoot = new Map<string, number>();
  /** A newer mapping that waits while positions are open on the active contract. */
  private readonly pendingRoll = new Map<string, { id: number; told: boolean }>();
  private readonly rollListeners: ((r: RollEvent) => void)[] = [];
  private resubscribeTimer: unknown;
  private rollTimer: unknown;
  /** Set before start() to run the clocks on other timers (see ServiceTimers). */
  timers: ServiceTimers = PROCESS_TIMERS;
  /** Are positions open on this root's current contract? (The app answers from the engine's stored state.) */
  holdRoll: ((root: string) => Promise<boolean>) | undefined;
  /** What the status message says of the instance besides the feed (its role in a cluster). */
  describeInstance: (() => unknown) | undefined;
  /** Simulated feed: where the market starts at each connection (the app: where the stored past ends). */
  simStart: (() => SimStart | undefined) | undefined;

  constructor(
    private readonly cfg: FeedConfig,
    private readonly hub: PriceHub,
    private readonly logger: Logger,
    roots: readonly string[] = CATALOGUE.map((i) => i.root),
    private readonly now: () => number = Date.now,
    readonly instruments: InstrumentRegistry = new InstrumentRegistry(),
  ) {
    for (const r of roots) this.watched.add(r);
    this.bus = new PriceBus((err) => logger.error("bus.subscriber_failed", { error: err }));
    const onBar = (b: Bar) => this.bus.publishBar(b);
    this.bars1s = new BarAggregator("1s", onBar);
    this.bars1m = new BarAggregator("1m", onBar);
    this.bus.subscribe({
      trade: (t) => {
        this.bars1s.onTrade(t.instrumentId, barTimeMs(t), t.price, t.size);
        this.bars1m.onTrade(t.instrumentId, barTimeMs(t), t.price, t.size);
        const root = this.rootById.get(t.instrumentId);
        if (!root) return;
        // The hub gathers the prints of one decoded chunk into one message per symbol.
        hub.publishTrade(root, t.price / 1e9, t.size, t.side, t.tsMs);
      },
      quote: (q) => {
        const root = this.rootById.get(q.instrumentId);
        if (!root) return;
        // MBP-1 repeats the top of book on every trade; browsers only need it when it moved.
        const last = this.lastQuote.get(q.instrumentId);
        if (last) {
          if (last.bid === q.bid && last.ask === q.ask && last.bidSize === q.bidSize && last.askSize === q.askSize)
            return;
          last.bid = q.bid;
          last.ask = q.ask;
          last.bidSize = q.bidSize;
          last.askSize = q.askSize;
        } else this.lastQuote.set(q.instrumentId, { bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize });
        hub.publishQuote(
          root,
          q.bid === null ? null : q.bid / 1e9,
          q.ask === null ? null : q.ask / 1e9,
          q.bidSize,
          q.askSize,
          q.tsMs,
        );
      },
      bar: (b) => {
        const root = this.rootById.get(b.instrumentId);
        if (!root) return;
        if (b.interval === "1s") this.keepSecond(root, b);
        hub.broadcast(
          root,
          JSON.stringify({
            t: "bar",
            s: root,
            i: b.interval,
            ts: b.startMs,
            o: b.open / 1e9,
            h: b.high / 1e9,
            l: b.low / 1e9,
            c: b.close / 1e9,
            v: b.volume,
          }),
        );
      },
    });
  }

  /** The product root for an instrument id seen on the feed. */
  rootOf(instrumentId: number): string | undefined {
    return this.rootById.get(instrumentId);
  }

  /** The raw contract (e.g. MESZ6) an instrument id maps to, once its symbol mapping arrived. */
  contractOf(instrumentId: number): string | undefined {
    return this.contractById.get(instrumentId);
  }

  /** Called after every (re)connection; attempt > 0 means the feed was out and came back. */
  onConnected(listener: (info: { attempt: number }) => void): void {
    this.connectedListeners.push(listener);
  }

  /** The one-minute bar still forming for a root (charts draw it), if any. */
  formingBar(root: string): Readonly<Bar> | undefined {
    return this.forming(this.bars1m, root);
  }

  /** The newest bar an aggregator is building for any instrument id mapped to a root (a roll maps two). */
  private forming(bars: BarAggregator, root: string): Readonly<Bar> | undefined {
    let newest: Readonly<Bar> | undefined;
    for (const [id, r] of this.rootById) {
      if (r !== root) continue;
      const b = bars.current(id);
      if (b && (!newest || b.startMs > newest.startMs)) newest = b;
    }
    return newest;
  }

  /** Closed one-second bars of the last ~15 minutes and the one forming, oldest first (charts' 1-second view). */
  recentSeconds(root: string, count: number): Readonly<Bar>[] {
    const kept = this.seconds.get(root) ?? [];
    const out = kept.slice(Math.max(0, kept.length - count));
    const forming = this.forming(this.bars1s, root);
    if (forming && (!out.length || forming.startMs > out[out.length - 1]!.startMs)) out.push({ ...forming });
    return out;
  }

  private keepSecond(root: string, b: Readonly<Bar>): void {
    let list = this.seconds.get(root);
    if (!list) this.seconds.set(root, (list = []));
    list.push(b);
    // Trimmed in batches so a bar costs O(1) amortised.
    if (list.length > SECONDS_KEPT + 100) list.splice(0, list.length - SECONDS_KEPT);
  }

  /** When the last record arrived (UTC ms), if any. */
  get lastTickMs(): number | null {
    return this.lastTick;
  }

  /** Event time (ms) of a root's latest print on the bus (any contract of it, a roll maps two), if any. */
  lastPrintMs(root: string): number | undefined {
    let newest: number | undefined;
    for (const [id, r] of this.rootById) {
      if (r !== root) continue;
      const t = this.bus.last(id).trade?.tsMs;
      if (t !== undefined && (newest === undefined || t > newest)) newest = t;
    }
    return newest;
  }

  /** Roots streamed now. */
  get symbols(): string[] {
    return [...this.watched];
  }

  /**
   * Makes sure these roots stream (open trades, a watch list): only the missing ones are added,
   * as one more subscription on the running session — nothing is torn down for the others.
   */
  watch(roots: readonly string[]): string[] {
    const added = roots.filter((r) => !this.watched.has(r));
    if (added.length === 0) return [];
    for (const r of added) this.watched.add(r);
    if (this.client) {
      for (const s of this.subscriptionsOf(
        added.map((r) => this.continuous(r)),
        "continuous",
      ))
        this.client.subscribe(s);
      this.logger.info("feed.subscribed", { symbols: added.join(","), reason: "watch list or open trade" });
    }
    return added;
  }

  private continuous(root: string): string {
    return continuousSymbol(this.cfg.rollRules ?? DEFAULT_ROLL_RULES, root);
  }

  onRoll(listener: (r: RollEvent) => void): void {
    this.rollListeners.push(listener);
  }

  /** Each root's contract now, and the one it moves to once its positions are closed. */
  contracts(): {
    symbol: string;
    instrumentId: number;
    contract: string;
    next?: { instrumentId: number; contract: string };
  }[] {
    return [...this.activeByRoot].map(([symbol, id]) => {
      const p = this.pendingRoll.get(symbol);
      return {
        symbol,
        instrumentId: id,
        contract: this.contractById.get(id) ?? symbol,
        ...(p ? { next: { instrumentId: p.id, contract: this.contractById.get(p.id) ?? symbol } } : {}),
      };
    });
  }

  /** A follower takes the feed leader's contracts (the leader saw the mappings and decided the rolls). */
  followContracts(list: ReturnType<MarketDataService["contracts"]>): void {
    for (const c of list) {
      this.rootById.set(c.instrumentId, c.symbol);
      this.contractById.set(c.instrumentId, c.contract);
      const before = this.activeByRoot.get(c.symbol);
      this.activeByRoot.set(c.symbol, c.instrumentId);
      if (c.next) {
        this.rootById.set(c.next.instrumentId, c.symbol);
        this.contractById.set(c.next.instrumentId, c.next.contract);
        if (!this.pendingRoll.has(c.symbol)) {
          this.pendingRoll.set(c.symbol, { id: c.next.instrumentId, told: true });
          this.emitRoll({ symbol: c.symbol, from: c.contract, to: c.next.contract, state: "held" });
        }
      } else this.pendingRoll.delete(c.symbol);
      if (before !== undefined && before !== c.instrumentId)
        this.emitRoll({
          symbol: c.symbol,
          from: this.contractById.get(before) ?? c.symbol,
          to: c.contract,
          state: "rolled",
        });
    }
  }

  private emitRoll(r: RollEvent): void {
    for (const l of this.rollListeners) l(r);
  }

  /** Raw-symbol subscriptions that keep a held contract streaming across sessions, by root. */
  private readonly heldSubs = new Map<string, string>();

  /**
   * Trades and top of book; with Databento also its own 1-minute bars (they replace the ones
   * built here from trades; the simulated market has none) and definitions (tick size and point
   * value from the exchange override the static catalogue).
   */
  private subscriptionsOf(symbols: string[], stypeIn: "continuous" | "raw_symbol") {
    return [
      { schema: "mbp-1" as const, stypeIn, symbols },
      ...(this.cfg.kind === "databento"
        ? [
            { schema: "ohlcv-1m" as const, stypeIn, symbols },
            { schema: "definition" as const, stypeIn, symbols },
          ]
        : []),
    ];
  }

  private subscribeHeld(root: string, raw: string): void {
    if (this.heldSubs.get(root) === raw || !/^[A-Z0-9]+[FGHJKMNQUVXZ]\d{1,2}$/.test(raw)) return;
    this.heldSubs.set(root, raw);
    for (const s of this.subscriptionsOf([raw], "raw_symbol")) this.client?.subscribe(s);
  }

  /** The subscriptions a new client starts with: the watch list's continuous symbols, and the held contracts by name. */
  private initialSubscriptions() {
    const symbols = [...this.watched].map((r) => this.continuous(r));
    const held = [...this.heldSubs.values()];
    return [
      ...this.subscriptionsOf(symbols, "continuous"),
      ...(held.length ? this.subscriptionsOf(held, "raw_symbol") : []),
    ].map((s, i) => ({ ...s, id: i + 1 }));
  }

  private releaseHeld(root: string): void {
    const raw = this.heldSubs.get(root);
    if (raw === undefined) return;
    this.heldSubs.delete(root);
    this.client?.forget([raw]);
  }

  /** Contracts held before a restart (stored), by root: until their mapping arrives, no other contract of the root prints. */
  private readonly heldAtStart = new Map<string, string>();

  /**
   * A roll that was waiting when the server stopped: the root streams `contract` again, by its own
   * name, and only it, until every position is closed; then the continuous symbol's contract takes over.
   */
  resumeHeld(root: string, contract: string): void {
    this.heldAtStart.set(root, contract);
    this.subscribeHeld(root, contract);
  }

  /** The contract a root is held on by a waiting roll (its positions' contract), if any: the archive fills gaps with it. */
  heldContract(root: string): string | undefined {
    const active = this.activeByRoot.get(root);
    return this.pendingRoll.has(root) && active !== undefined ? this.contractById.get(active) : undefined;
  }

  /** A new mapping for a root: the contract changes now, or once no position is open on the old one. */
  private async considerRoll(root: string): Promise<void> {
    const p = this.pendingRoll.get(root);
    const active = this.activeByRoot.get(root);
    if (!p || active === undefined) return;
    const from = this.contractById.get(active) ?? root;
    const to = this.contractById.get(p.id) ?? root;
    const held = await (this.holdRoll?.(root) ?? Promise.resolve(false)).catch(() => true);
    if (this.pendingRoll.get(root) !== p) return;
    if (held) {
      if (!p.told) {
        p.told = true;
        // By its own name too: a new session (a reconnect, Saturday's restart) maps the continuous symbol to the new contract only.
        this.subscribeHeld(root, from);
        this.logger.warn("feed.roll_held", {
          symbol: root,
          from,
          to,
          reason:
            "positions are open on the current contract: its prices keep flowing for them; the symbol rolls once every one is closed",
        });
        this.emitRoll({ symbol: root, from, to, state: "held" });
      }
      return;
    }
    this.pendingRoll.delete(root);
    this.releaseHeld(root);
    this.activeByRoot.set(root, p.id);
    this.lastQuote.delete(active);
    this.logger.info("feed.roll", {
      symbol: root,
      from,
      to,
      instrument_id: p.id,
      reason: `${this.continuous(root)} now maps to ${to}`,
    });
    this.emitRoll({ symbol: root, from, to, state: "rolled" });
  }

  /** The gateway never re-points a running continuous subscription: the same one is sent again daily. */
  private scheduleResubscribe(): void {
    this.timers.clearTimeout(this.resubscribeTimer);
    const at = nextResubscribeMs(this.now());
    this.resubscribeTimer = this.timers.setTimeout(
      () => {
        if (this.client && this.role !== "follower") {
          this.client.resubscribe();
          this.logger.info("feed.resubscribed", {
            symbols: [...this.watched].map((r) => this.continuous(r)).join(","),
            reason:
              "daily, after Globex reopened: a continuous subscription is never re-mapped at a roll, an identical new one is",
          });
        }
        this.scheduleResubscribe();
      },
      Math.max(1000, at - this.now()),
    );
  }

  status(): FeedStatus {
    return {
      kind: this.cfg.kind,
      state: this.state,
      lastTickAgeMs: this.lastTick === null ? null : Math.max(0, this.now() - this.lastTick),
      symbols: this.rootById.size,
      reconnects: this.client?.stats.reconnects ?? 0,
      ...(this.role ? { role: this.role } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.pendingRoll.size
        ? {
            rolls: this.contracts()
              .filter((c) => c.next)
              .map((c) => ({ symbol: c.symbol, from: c.contract, to: c.next!.contract })),
          }
        : {}),
    };
  }

  /** Alone: the bar clocks and the feed's session. */
  async start(): Promise<void> {
    this.startClocks();
    await this.connect();
  }

  /** Bars close and the status goes out on time whether this instance holds the session or follows. */
  startClocks(): void {
    if (this.barTimer) return;
    this.barTimer = this.timers.setInterval(() => {
      const t = this.now();
      this.bars1s.closeDue(t);
      this.bars1m.closeDue(t);
    }, 250);
    this.scheduleResubscribe();
    // A held roll goes ahead as soon as the last position on the old contract is closed.
    this.rollTimer = this.timers.setInterval(() => {
      if (this.role !== "follower") for (const root of this.pendingRoll.keys()) void this.considerRoll(root);
    }, 1000);
    this.statusTimer = this.timers.setInterval(
      () =>
        this.hub.broadcast(
          null,
          JSON.stringify({
            t: "status",
            feed: this.status(),
            ...(this.describeInstance ? { instance: this.describeInstance() } : {}),
          }),
        ),
      1000,
    );
  }

  /** Every record this instance receives from its session is handed on too (the cluster's feed leader). */
  relayTo(tap: ((root: string, c: RecordCursor) => void) | undefined): void {
    this.tap = tap;
  }

  /** A record from the cluster's feed leader: the same path as one from a session of this instance's own. */
  injectRecord(root: string, c: RecordCursor, stream: { version: number; tsOut: boolean }): void {
    if (!this.rootById.has(c.instrumentId)) this.rootById.set(c.instrumentId, root);
    this.relayed = stream;
    this.onRecord(c);
  }

  /** The session ends (another instance holds it now); bars and clocks go on with relayed records. */
  disconnect(): void {
    this.client?.stop();
    this.client = undefined;
    this.sim?.stop();
    this.sim = undefined;
    this.state = "connecting";
  }

  /** Opens the feed's session (a simulated gateway of its own for the simulated market). */
  async connect(): Promise<void> {
    if (this.client) return;
    let host: string | undefined;
    let port: number | undefined;
    let apiKey = this.cfg.apiKey ?? "";
    if (this.cfg.kind === "simulated") {
      this.sim = startSimulatedGateway({ seed: this.cfg.simSeed, now: this.now, start: this.simStart?.() });
      host = this.sim.host;
      port = this.sim.port;
      apiKey = this.sim.apiKey;
    } else if (this.cfg.gateway) {
      host = this.cfg.gateway.host;
      port = this.cfg.gateway.port;
    }
    this.state = "connecting";
    this.client = new LiveClient({
      apiKey,
      dataset: this.cfg.dataset ?? "GLBX.MDP3",
      host,
      port,
      heartbeatIntervalS: 10,
      // The service's clock: the replay window and a session's age are judged on the same time as
      // everything else here (the wall clock, unless a test runs the service on a simulated one).
      now: this.now,
      subscriptions: this.initialSubscriptions(),
      onRecord: (c) => {
        if (this.tap) {
          const root = this.rootById.get(c.instrumentId);
          if (root) this.tap(root, c);
        }
        this.onRecord(c);
      },
      onEvent: (e) => this.onEvent(e),
    });
    try {
      await this.client.start();
    } catch (err) {
      this.logger.error("feed.start_failed", { kind: this.cfg.kind, reason: (err as Error).message });
    }
  }

  stop(): void {
    this.timers.clearInterval(this.barTimer);
    this.timers.clearInterval(this.statusTimer);
    this.timers.clearInterval(this.rollTimer);
    this.timers.clearTimeout(this.resubscribeTimer);
    this.barTimer = undefined;
    this.disconnect();
    this.state = "stopped";
  }

  /** DBN version and ts_out of the records now arriving (own session, or the leader's). */
  get stream(): { version: number; tsOut: boolean } {
    return this.client?.stream ?? this.relayed ?? { version: 3, tsOut: false };
  }

  private onRecord(c: RecordCursor): void {
    this.lastTick = this.now();
    if (this.state !== "live") this.state = "live";
    const rtype = c.rtype;
    const id = c.instrumentId;
    if (rtype === RType.INSTRUMENT_DEF) {
      this.onDefinition(c);
      return;
    }
    // Only the root's current contract prints: after a re-subscription the old one streams too until it expires.
    const root = this.rootById.get(id);
    if (root !== undefined) {
      const active = this.activeByRoot.get(root);
      if (active === undefined) {
        // Held before a restart: only that contract may become the root's.
        const want = this.heldAtStart.get(root);
        if (want !== undefined && this.contractById.get(id) !== want) return;
        this.activeByRoot.set(root, id);
      } else if (active !== id) return;
    }
    if (rtype === RType.OHLCV_1M) {
      this.bus.publishBar({
        instrumentId: id,
        interval: "1m",
        startMs: c.tsEventMs,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
        source: "databento",
      });
      return;
    }
    if (rtype === RType.MBP_1 || rtype === RType.MBP_0) {
      const ts = c.tsEventMs;
      const side = c.sideCode === 66 ? "B" : c.sideCode === 65 ? "A" : "N";
      // In MBP-1, action 'T' is a trade print; anything else changed the book.
      const action = c.view.getUint8(c.offset + 28);
      if (rtype === RType.MBP_0 || action === 84)
        this.bus.publishTrade({ instrumentId: id, tsMs: ts, recvMs: c.tsRecvMs, price: c.price, size: c.size32, side });
      if (rtype === RType.MBP_1) {
        const bid = c.bidPx;
        const ask = c.askPx;
        this.bus.publishQuote({
          instrumentId: id,
          tsMs: ts,
          bid: Number.isNaN(bid) ? null : bid,
          ask: Number.isNaN(ask) ? null : ask,
          bidSize: c.bidSz,
          askSize: c.askSz,
        });
      }
    }
  }

  private onDefinition(c: RecordCursor): void {
    const root = this.rootById.get(c.instrumentId);
    const stream = this.stream;
    const bytes = new Uint8Array(c.view.buffer, c.view.byteOffset, c.view.byteLength);
    const def = decodeRecord(c.view, bytes, c.offset, stream.version, stream.tsOut);
    if (!root || !def) return;
    const r = this.instruments.applyDefinition(root, def);
    if (!r.ok) this.logger.debug("feed.definition_ignored", { symbol: root, reason: r.reason });
    else if (r.changed.length)
      this.logger.warn("feed.definition_override", {
        symbol: root,
        contract: String(def.raw_symbol ?? ""),
        changed: r.changed.join("; "),
        reason: "the exchange's definition differs from the catalogue",
      });
  }

  private onEvent(e: LiveEvent): void {
    switch (e.type) {
      case "connected":
        this.logger.info("feed.connected", {
          kind: this.cfg.kind,
          session: e.sessionId,
          attempt: e.attempt,
          replay_from_ns: e.replayFromNs,
        });
        this.message = undefined;
        for (const l of this.connectedListeners) l({ attempt: e.attempt });
        break;
      case "mapping": {
        const r = resolveSymbol(e.requested);
        if (r.ok) {
          const root = r.value.instrument.root;
          this.rootById.set(e.instrumentId, root);
          this.contractById.set(e.instrumentId, e.raw);
          const active = this.activeByRoot.get(root);
          // A contract asked for by its own name (a held roll's) maps only itself; a continuous symbol's new contract is a roll.
          const byName = r.value.contract !== undefined;
          const want = this.heldAtStart.get(root);
          if (want !== undefined) {
            // A roll that waited when the server stopped: the held contract prints, the continuous symbol's waits.
            if (e.raw === want) {
              this.heldAtStart.delete(root);
              this.activeByRoot.set(root, e.instrumentId);
              if (active !== undefined && active !== e.instrumentId)
                this.pendingRoll.set(root, { id: active, told: true });
            } else if (!byName && this.pendingRoll.get(root)?.id !== e.instrumentId) {
              this.activeByRoot.delete(root);
              this.pendingRoll.set(root, { id: e.instrumentId, told: true });
            }
          } else if (active === undefined) this.activeByRoot.set(root, e.instrumentId);
          else if (byName) {
            // Nothing to decide: the held contract streams on under its own subscription.
          } else if (active !== e.instrumentId && this.pendingRoll.get(root)?.id !== e.instrumentId) {
            this.pendingRoll.set(root, { id: e.instrumentId, told: false });
            void this.considerRoll(root);
          } else if (active === e.instrumentId && this.pendingRoll.has(root)) {
            // The continuous symbol points back at the held contract: nothing waits any more.
            this.pendingRoll.delete(root);
            this.releaseHeld(root);
          }
        }
        this.logger.debug("feed.mapping", { instrument_id: e.instrumentId, raw: e.raw, requested: e.requested });
        break;
      }
      case "disconnected":
        this.state = "reconnecting";
        this.message = e.reason;
        this.logger.warn("feed.disconnected", { kind: this.cfg.kind, reason: e.reason, retry_in_ms: e.retryInMs });
        break;
      case "auth-failed":
        this.state = "auth-failed";
        this.message = e.message;
        this.logger.error("feed.auth_failed", { kind: this.cfg.kind, reason: e.message });
        break;
      case "gateway-error":
        this.logger.warn("feed.gateway_error", { code: e.code, reason: e.message });
        break;
      case "fatal":
        // The gateway would refuse the same session again: the feed stops and the status says why.
        this.state = "stopped";
        this.message = e.message;
        this.logger.error("feed.fatal", { kind: this.cfg.kind, code: e.code, reason: e.message });
        break;
      case "gap":
        // Beyond the intraday replay window: the archive fills it from the Historical API (onConnected).
        this.message = `prices from ${new Date(Number(BigInt(e.fromNs) / 1_000_000n)).toISOString()} to ${new Date(Number(BigInt(e.toNs) / 1_000_000n)).toISOString()} were not replayed (${e.reason}); the archive fills the bars from Databento's Historical API`;
        this.logger.warn("feed.gap", {
          from_ns: e.fromNs,
          to_ns: e.toNs,
          reason: e.reason,
          action: "bars of the gap are fetched from the Historical API",
        });
        break;
      case "system":
        // End-of-interval (code 4) arrives every minute: debug, not info.
        this.logger[e.code === 4 ? "debug" : "info"]("feed.system", { code: e.code, message: e.message });
        break;
      case "stopped":
        break;
    }
  }
}
