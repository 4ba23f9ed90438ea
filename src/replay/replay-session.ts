import { atr, type AtrResult, type AtrSettings } from "../market-data/bars/atr";
import type { Bar } from "../market-data/bars/bar";
import { instrumentByRoot } from "../market-data/instruments/catalogue";
import { TradingEngine } from "../trading/engine/engine";
import { engineSpec } from "../trading/engine/spec";
import {
  type AccountConfig,
  type ClosedTrade,
  type CommandInput,
  type Effect,
  EngineError,
  type EngineEvent,
  type InstrumentSpec,
  type Nanos,
  type OrderRequest,
  type Position,
  type ReportInput,
} from "../trading/engine/types";
import type { EngineHost } from "../trading/engine-host";
import { RestingOrders } from "../trading/execution/fill-model";
import { announce, interpret, type StepPorts } from "../trading/execution/step-interpreter";
import { ReplayPlayer, type ReplaySink, type Speed } from "./player";
import { ReplayCharts } from "./replay-charts";
import { REPLAY_END, type ReplaySummary, summarize } from "./replay-summary";
import type { ReplaySource } from "./sources";

export type { ReplaySummary } from "./replay-summary";

/** What a session hands to whoever stores it: written in order, one transaction per batch. */
export interface ReplayWrite {
  events: EngineEvent[];
  closed: ClosedTrade[];
}

export interface ReplayChange {
  accountId: number;
  symbol: string;
  position: Position;
  events: EngineEvent[];
}

/**
 * One replay: a source played by a player into an engine of its own, for one account of kind
 * `replay`. Orders fill at once against the replayed prints (market at the triggering print,
 * limits when a print reaches them), so a run depends only on the source and the commands —
 * never on database or timer latency. Nothing here can reach a broker: the session has no
 * execution adapter at all, only the fill model's resting orders (execution/fill-model.ts), whose
 * fills it steps at once through the step interpreter paper trading's effects also go through.
 */
export class ReplaySession implements EngineHost {
  readonly engine: TradingEngine;
  readonly player: ReplayPlayer;
  readonly roots: string[];
  /** Closed one-minute bars per symbol (oldest first); the seconds and last prints stay in `charts`. */
  readonly minutes: Bar[][];
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly closed: ClosedTrade[] = [];
  readonly charts: ReplayCharts;
  /** Where the market comes from, in words ("archive 1-minute bars MES, …"). */
  description = "";
  /** Set once the end's exits and summary are stored: only then is the summary shown. */
  summaryStored = false;
  /** The fill model's resting orders; a replay answers each fill at once, the newest order first. */
  private readonly resting: RestingOrders;
  /** The replay time of the step whose effects are being applied (its fills are stamped with it). */
  private stepMs = 0;
  private readonly ports: StepPorts;
  private changes = new Map<string, EngineEvent[]>();
  private pendingWrite: ReplayWrite = { events: [], closed: [] };
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: ((c: ReplayChange) => void)[] = [];
  private readonly sink: ReplaySink;
  /** Where a failed background write is reported (the service logs it). */
  onWriteError: (err: unknown) => void = () => {};

  constructor(
    readonly id: number,
    readonly accountConfig: AccountConfig & { name: string },
    readonly source: ReplaySource,
    private readonly persist: (w: ReplayWrite) => Promise<void>,
    private readonly specOf: (symbol: string) => (InstrumentSpec & { decimals: number }) | undefined = catalogueSpecs(),
  ) {
    // A replay stores no positions; its browsers hear of trailing-stop ratchets once per tick of the player (and on flush).
    this.engine = new TradingEngine((s) => this.specOf(s), { deferRatchets: true });
    this.engine.setAccount(accountConfig);
    this.roots = [...source.symbols];
    const charts = (this.charts = new ReplayCharts(this.roots));
    this.minutes = charts.minutes;
    this.bid = charts.bid;
    this.ask = charts.ask;
    this.resting = new RestingOrders({ newestFirst: true, working: (id) => this.engine.order(id) !== undefined });
    this.ports = {
      route: (f) => (f.type === "submit" ? this.fillNow(f.order) : void this.resting.cancel(f.order.id)),
      persist: (f) => {
        if (f.type === "event") this.pendingWrite.events.push(f.event);
        else if (f.type === "closed") {
          this.closed.push(f.trade);
          this.pendingWrite.closed.push(f.trade);
        }
      },
    };
    const engine = this.engine;
    const roots = this.roots;
    const self = this;
    this.sink = {
      trade(sym, tsMs, price, size) {
        charts.trade(sym, tsMs, price, size);
        const fx = engine.onTrade(roots[sym]!, price, tsMs);
        if (fx.length) self.apply(fx, tsMs);
        if (self.resting.size) self.reachResting(sym, price, tsMs);
      },
      quote(sym, _tsMs, bid, ask) {
        charts.quote(sym, bid, ask);
      },
      clock(nowMs) {
        charts.closeDue(nowMs);
        const fx = engine.step({ type: "clock", nowMs });
        if (fx.length) self.apply(fx, nowMs);
      },
    };
    this.player = new ReplayPlayer(source, this.sink);
  }

  get account(): (id: number) => (AccountConfig & { name: string }) | undefined {
    return (id) => (id === this.accountConfig.id ? this.accountConfig : undefined);
  }

  spec(symbol: string) {
    return this.specOf(symbol);
  }

  now(): number {
    return this.player.nowMs;
  }

  /** The replay account's settings changed (its commission applies from the next fill, R1.5). */
  setCommission(commission: bigint): void {
    this.accountConfig.commission = commission;
    this.engine.setAccount(this.accountConfig);
  }

  async reloadAccounts(): Promise<void> {}

  /** A feed outage of a replayed symbol (scenarios): its positions are unprotected until the next print. */
  feed(symbol: string, up: boolean): void {
    const now = this.player.nowMs;
    this.apply(this.engine.step({ type: "feed", symbol, up, sinceMs: now, tsMs: now }), now);
  }

  onChange(listener: (c: ReplayChange) => void): void {
    this.listeners.push(listener);
  }

  async command(input: CommandInput): Promise<Position | undefined> {
    if (!this.roots.includes(input.symbol))
      throw new ReplayCommandError(`${input.symbol} is not in this replay (it plays ${this.roots.join(", ")})`);
    // The tape is over: its summary is (being) written, so nothing may trade any more (R4.4).
    if (this.player.state === "ended" && input.actor.label !== REPLAY_END)
      throw new ReplayCommandError("this replay has ended; seek back (while flat) to trade it again");
    const fx = this.engine.step({ ...input, tsMs: this.player.nowMs });
    this.apply(fx, this.player.nowMs);
    await this.flush();
    return this.engine.position(input.accountId, input.symbol) as Position | undefined;
  }

  async atr(symbol: string, s: AtrSettings): Promise<AtrResult> {
    const i = this.roots.indexOf(symbol);
    if (i < 0) return { available: false, reason: `${symbol} is not in this replay` };
    return atr(this.minutes[i]!, s, this.player.nowMs);
  }

  /* ---------- player controls (wall time passed in) ---------- */

  play(wallMs: number): void {
    this.player.play(wallMs);
  }
  pause(wallMs: number): Promise<void> {
    this.player.pause(wallMs);
    return this.flush();
  }
  setSpeed(speed: Speed, wallMs: number): void {
    this.player.setSpeed(speed, wallMs);
  }
  /** Delivers what is due; changes go out and to storage. */
  advance(wallMs: number): number {
    const n = this.player.advance(wallMs);
    // Stops that only trailed change nothing else: they are announced here, as each tick's changes.
    this.noteRatchets();
    if (this.changes.size) void this.flush().catch((err) => this.onWriteError(err));
    return n;
  }
  step(unit: "record" | "bar", wallMs: number): Promise<void> {
    this.player.step(unit, wallMs);
    return this.flush();
  }

  /** Forward: every print on the way reaches the engine. Backward: only when flat (rebuilds bars to there). */
  async seek(toMs: number, wallMs: number): Promise<void> {
    if (toMs >= this.player.nowMs) {
      this.player.seekForward(toMs, wallMs);
      return this.flush();
    }
    const open =
      this.engine.allPositions().some((p) => p.qty > 0) ||
      this.engine.workingOrders().length > 0 ||
      this.resting.size > 0;
    if (open)
      throw new ReplayCommandError(
        "seeking back is possible only while flat: exit or clear the open trade first (its prices would jump)",
      );
    const was = this.player.state;
    const speed = this.player.speed;
    this.charts.reset();
    const fresh = new ReplayPlayer(this.source, this.sink);
    (this as { player: ReplayPlayer }).player = fresh;
    fresh.speed = speed;
    fresh.seekForward(toMs, wallMs);
    if (was === "playing") fresh.play(wallMs);
    await this.flush();
  }

  /** At the end of the tape, trades still open are exited at the last print, so the summary is whole. */
  async closeOpen(): Promise<void> {
    for (const p of this.engine.allPositions()) {
      if (p.qty <= 0) continue;
      const last = this.engine.lastPrice(p.symbol);
      const fx = this.engine.step({
        type: "command",
        accountId: p.accountId,
        symbol: p.symbol,
        command: { kind: "exit", refPrice: last },
        actor: { kind: "system", label: REPLAY_END, userId: null },
        tsMs: this.player.nowMs,
      });
      this.apply(fx, this.player.nowMs);
    }
    await this.flush();
  }

  /** Everything stepped so far is announced and stored. */
  flush(): Promise<void> {
    this.noteRatchets();
    announce(
      this.changes,
      (key) => this.engine.positionByKey(key),
      (pos, events) => {
        for (const l of this.listeners) l({ accountId: pos.accountId, symbol: pos.symbol, position: pos, events });
      },
    );
    this.changes = new Map();
    const w = this.pendingWrite;
    if (w.events.length || w.closed.length) {
      this.pendingWrite = { events: [], closed: [] };
      // In order; a batch that failed (reported to whoever awaited it) does not block the next.
      this.writing = this.writing.catch(() => {}).then(() => this.persist(w));
    }
    return this.writing;
  }

  summary(): ReplaySummary {
    return summarize(this.closed);
  }

  /** What the browser needs since the last frame: prices, new bars, the forming bars, the clock. */
  frame() {
    const symbols = this.charts.frameSymbols();
    return {
      t: "replay",
      id: this.id,
      state: this.player.state,
      speed: this.player.speed,
      now: this.player.nowMs,
      progress: this.player.progress,
      symbols,
    };
  }

  /** Bars so far for a chart (closed and forming), oldest first. */
  bars(symbol: string, interval: "1m" | "1s", count: number) {
    return this.charts.bars(symbol, interval, count);
  }

  /* ---------- internals ---------- */

  /** Trailing stops moved since the last look join the changes that go out next. */
  private noteRatchets(): void {
    const fx = this.engine.announceRatchets();
    if (fx.length) this.apply(fx, this.player.nowMs);
  }

  /** Effects of a step, with the fills they cause, until nothing is left to do. */
  private apply(fx: readonly Effect[], tsMs: number): void {
    this.stepMs = tsMs;
    interpret(fx, this.changes, this.ports);
  }

  /** The fill model paper trading uses: at once, or the order rests until a print reaches it. */
  private fillNow(o: OrderRequest): Effect[] {
    const tsMs = this.stepMs;
    const fill = this.resting.accept(o);
    const report: ReportInput = fill
      ? { type: "report", orderId: o.id, kind: "filled", qty: fill.qty, price: fill.price, tsMs }
      : { type: "report", orderId: o.id, kind: "working", tsMs };
    return this.engine.step(report);
  }

  /** Resting orders fill when a print reaches them (fill model); cancelled ones are dropped. */
  private reachResting(sym: number, price: number, tsMs: number): void {
    this.stepMs = tsMs;
    this.resting.reach(this.roots[sym]!, price, this.restingFilled);
  }

  private readonly restingFilled = (o: OrderRequest, qty: number, at: Nanos): void => {
    const tsMs = this.stepMs;
    this.apply(this.engine.step({ type: "report", orderId: o.id, kind: "filled", qty, price: at, tsMs }), tsMs);
  };
}

/** A command the replay cannot take (a symbol it does not play, a tape that has ended): a 409, like the engine's refusals. */
export class ReplayCommandError extends EngineError {
  override name = "ReplayCommandError";
  constructor(message: string) {
    super(409, message);
  }
}

/** The catalogue's specs, looked up once per symbol: the engine asks on every stop it moves. */
function catalogueSpecs(): (symbol: string) => (InstrumentSpec & { decimals: number }) | undefined {
  const known = new Map<string, InstrumentSpec & { decimals: number }>();
  return (symbol) => {
    let s = known.get(symbol);
    if (!s) {
      const i = instrumentByRoot(symbol);
      if (i) known.set(symbol, (s = engineSpec(i)));
    }
    return s;
  };
}
