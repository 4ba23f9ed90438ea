import type { Logger } from "../../log/logger";
import { PriceBus } from "../bus/price-bus";
import { RType } from "../dbn/constants";
import type { RecordCursor } from "../dbn/cursor";
import { LiveClient, type LiveEvent } from "../databento/live-client";
import { applyDefinition, publishRecord } from "./record-handling";
import { sessionEvent } from "./session-events";
import { startSimulatedGateway, type SimStart, type SimulatedGateway } from "../feeds/simulated-gateway";
import type { Bar } from "../bars/bar";
import { CATALOGUE } from "../instruments/catalogue";
import { InstrumentRegistry } from "../instruments/instrument-registry";
import { continuousSymbol, DEFAULT_ROLL_RULES, nextResubscribeMs } from "../instruments/roll-rule";
import { ContractRolls, type ContractEntry } from "./contract-rolls";
import {
  type FeedConfig,
  type FeedState,
  type FeedStatus,
  PROCESS_TIMERS,
  type RollEvent,
  type ServiceTimers,
} from "./feed-types";
import { LiveBars } from "./live-bars";

export type { FeedConfig, FeedKind, FeedState, FeedStatus, RollEvent, ServiceTimers } from "./feed-types";

/**
 * Socket → decoder → this service → bus → engine and browsers. It runs one feed (Databento
 * Live when a key is configured, else the simulated market through the same gateway protocol),
 * keeps the instrument_id → product map current from symbol mappings, publishes trades and
 * quotes on the bus and builds 1 s / 1 min bars. It emits domain events only: what browsers
 * receive is made of them in the web layer (web/realtime/).
 */
export class MarketDataService {
  readonly bus: PriceBus;
  private client: LiveClient | undefined;
  private sim: SimulatedGateway | undefined;
  private readonly rootById = new Map<number, string>();
  private readonly contractById = new Map<number, string>();
  private readonly connectedListeners: ((info: { attempt: number }) => void)[] = [];
  private readonly watched = new Set<string>();
  private state: FeedState = "stopped";
  private lastTick: number | null = null;
  private message: string | undefined;
  private readonly bars: LiveBars;
  private readonly rolls: ContractRolls;
  private barTimer: unknown;
  private statusTimer: unknown;
  /** In a cluster: the feed leader hands every record on (cluster/feed-relay.ts); a follower receives them. */
  private tap: ((root: string, c: RecordCursor) => void) | undefined;
  private relayed: { version: number; tsOut: boolean } | undefined;
  /** In a cluster: "leader" holds the Databento session, "follower" gets its records; undefined alone. */
  role: "leader" | "follower" | undefined;
  private readonly rollListeners: ((r: RollEvent) => void)[] = [];
  private resubscribeTimer: unknown;
  private rollTimer: unknown;
  /** Set before start() to run the clocks on other timers (see ServiceTimers). */
  timers: ServiceTimers = PROCESS_TIMERS;
  /** Are positions open on this root's current contract? (The app answers from the engine's stored state.) */
  holdRoll: ((root: string) => Promise<boolean>) | undefined;
  /** Simulated feed: where the market starts at each connection (the app: where the stored past ends). */
  simStart: (() => SimStart | undefined) | undefined;

  constructor(
    private readonly cfg: FeedConfig,
    private readonly logger: Logger,
    roots: readonly string[] = CATALOGUE.map((i) => i.root),
    private readonly now: () => number = Date.now,
    readonly instruments: InstrumentRegistry = new InstrumentRegistry(),
  ) {
    for (const r of roots) this.watched.add(r);
    this.bus = new PriceBus((err) => logger.error("bus.subscriber_failed", { error: err }));
    this.bars = new LiveBars((b) => this.bus.publishBar(b), this.rootById);
    this.rolls = new ContractRolls({
      rootById: this.rootById,
      contractById: this.contractById,
      logger,
      continuous: (root) => this.continuous(root),
      subscribeRaw: (raw) => {
        for (const s of this.subscriptionsOf([raw], "raw_symbol")) this.client?.subscribe(s);
      },
      forget: (raw) => this.client?.forget([raw]),
      holdRoll: (root) => this.holdRoll?.(root) ?? Promise.resolve(false),
      emit: (r) => this.emitRoll(r),
      retired: (root, instrumentId) => this.bus.publishRetired({ root, instrumentId }),
    });
    // The service's own subscriber, first on the bus: bars are built from every print.
    this.bus.subscribe({
      trade: (t) => this.bars.onTrade(t),
      bar: (b) => {
        const root = this.rootById.get(b.instrumentId);
        if (root && b.interval === "1s") this.bars.keepSecond(root, b);
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
    return this.bars.formingBar(root);
  }

  /** Volume at price since the root's session opened (or since this process first saw it print). */
  sessionVolume(root: string) {
    return this.bars.volume.profile(root);
  }

  /** Closed one-second bars of the last ~15 minutes and the one forming, oldest first (charts' 1-second view). */
  recentSeconds(root: string, count: number): Readonly<Bar>[] {
    return this.bars.recentSeconds(root, count);
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
  contracts(): ContractEntry[] {
    return this.rolls.contracts();
  }

  /** A follower takes the feed leader's contracts (the leader saw the mappings and decided the rolls). */
  followContracts(list: readonly ContractEntry[]): void {
    this.rolls.follow(list);
  }

  private emitRoll(r: RollEvent): void {
    for (const l of this.rollListeners) l(r);
  }

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

  /** The subscriptions a new client starts with: the watch list's continuous symbols, and the held contracts by name. */
  private initialSubscriptions() {
    const symbols = [...this.watched].map((r) => this.continuous(r));
    const held = this.rolls.heldSymbols();
    return [
      ...this.subscriptionsOf(symbols, "continuous"),
      ...(held.length ? this.subscriptionsOf(held, "raw_symbol") : []),
    ].map((s, i) => ({ ...s, id: i + 1 }));
  }

  /**
   * A roll that was waiting when the server stopped: the root streams `contract` again, by its own
   * name, and only it, until every position is closed; then the continuous symbol's contract takes over.
   */
  resumeHeld(root: string, contract: string): void {
    this.rolls.resumeHeld(root, contract);
  }

  /** The contract a root is held on by a waiting roll (its positions' contract), if any: the archive fills gaps with it. */
  heldContract(root: string): string | undefined {
    return this.rolls.heldContract(root);
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
      ...(this.rolls.pendingRoll.size
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
      this.bars.closeDue(this.now());
    }, 250);
    this.scheduleResubscribe();
    // A held roll goes ahead as soon as the last position on the old contract is closed.
    this.rollTimer = this.timers.setInterval(() => {
      if (this.role !== "follower")
        for (const root of this.rolls.pendingRoll.keys()) void this.rolls.considerRoll(root);
    }, 1000);
    // The status bar's heartbeat: browsers get it as a `status` message (web/realtime/).
    this.statusTimer = this.timers.setInterval(() => this.bus.publishStatus(this.status()), 1000);
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
      applyDefinition(c, this.rootById.get(c.instrumentId), this.stream, this.instruments, this.logger);
      return;
    }
    // Only the root's current contract prints: after a re-subscription the old one streams too until it expires.
    if (!this.rolls.admits(id)) return;
    publishRecord(this.bus, c, rtype, id);
  }

  private onEvent(e: LiveEvent): void {
    if (e.type === "mapping") {
      this.rolls.onMapping(e.instrumentId, e.raw, e.requested);
      this.logger.debug("feed.mapping", { instrument_id: e.instrumentId, raw: e.raw, requested: e.requested });
      return;
    }
    const change = sessionEvent(e, this.cfg.kind, this.logger);
    if (change.state) this.state = change.state;
    if ("message" in change) this.message = change.message;
    if (e.type === "connected") for (const l of this.connectedListeners) l({ attempt: e.attempt });
  }
}
