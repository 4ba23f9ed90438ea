import { atr, type AtrResult, type AtrSettings } from "../market-data/bars/atr";
import type { Bar } from "../market-data/bars/bar";
import { BarAggregator } from "../market-data/bars/bar-aggregator";
import { instrumentByRoot } from "../market-data/instruments/catalogue";
import { engineSpec } from "../trading/engine/spec";
import { closesContracts, TradingEngine } from "../trading/engine/engine";
import { fillOnPrint, fillOnSubmit } from "../trading/execution/fill-model";
import {
  EngineError,
  noteChange,
  type AccountConfig,
  type ClosedTrade,
  type CommandInput,
  type Effect,
  type EngineEvent,
  type InstrumentSpec,
  type OrderRequest,
  type Position,
  type ReportInput,
} from "../trading/engine/types";
import type { EngineHost } from "../trading/engine-host";
import { ReplayPlayer, type ReplaySink, type Speed } from "./player";
import type { ReplaySource } from "./sources";

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

export interface ReplaySummary {
  trades: number;
  wins: number;
  losses: number;
  /** Net of commissions, dollars. */
  net: number;
  exitReasons: Record<string, number>;
  byTrade: { symbol: string; side: string; qty: number; entry: number; exit: number; net: number; reasons: string[] }[];
}

const SECONDS_KEPT = 900;
/** Who exits what is still open when the tape ends. */
const REPLAY_END = "replay ended";

/**
 * One replay: a source played by a player into an engine of its own, for one account of kind
 * `replay`. Orders fill at once against the replayed prints (market at the triggering print,
 * limits when a print reaches them), so a run depends only on the source and the commands —
 * never on database or timer latency. Nothing here can reach a broker: the session has no
 * execution adapter at all, only its own fill loop.
 */
export class ReplaySession implements EngineHost {
  readonly engine: TradingEngine;
  readonly player: ReplayPlayer;
  readonly roots: string[];
  /** Closed one-minute bars per symbol (oldest first), and the last 15 minutes of one-second bars. */
  readonly minutes: Bar[][];
  readonly seconds: Bar[][];
  readonly last: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly closed: ClosedTrade[] = [];
  /** Where the market comes from, in words ("archive 1-minute bars MES, …"). */
  description = "";
  /** Set once the end's exits and summary are stored: only then is the summary shown. */
  summaryStored = false;
  private bars1s: BarAggregator;
  private bars1m: BarAggregator;
  private readonly resting: OrderRequest[] = [];
  private changes = new Map<string, EngineEvent[]>();
  private pendingWrite: ReplayWrite = { events: [], closed: [] };
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: ((c: ReplayChange) => void)[] = [];
  /** Bars closed since the last frame, per symbol (what the browser's chart has not seen). */
  private sentMinutes: number[];
  private sentSeconds: number[];
  private secondsDropped: number[];
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
    const n = this.roots.length;
    this.minutes = this.roots.map(() => []);
    this.seconds = this.roots.map(() => []);
    this.last = new Float64Array(n).fill(Number.NaN);
    this.bid = new Float64Array(n).fill(Number.NaN);
    this.ask = new Float64Array(n).fill(Number.NaN);
    this.sentMinutes = this.roots.map(() => 0);
    this.sentSeconds = this.roots.map(() => 0);
    this.secondsDropped = this.roots.map(() => 0);
    this.bars1s = this.aggregator("1s");
    this.bars1m = this.aggregator("1m");
    const engine = this.engine;
    const roots = this.roots;
    const self = this;
    this.sink = {
      trade(sym, tsMs, price, size) {
        self.last[sym] = price;
        self.bars1s.onTrade(sym, tsMs, price, size);
        self.bars1m.onTrade(sym, tsMs, price, size);
        const fx = engine.onTrade(roots[sym]!, price, tsMs);
        if (fx.length) self.apply(fx, tsMs);
        if (self.resting.length) self.reachResting(sym, price, tsMs);
      },
      quote(sym, _tsMs, bid, ask) {
        self.bid[sym] = bid;
        self.ask[sym] = ask;
      },
      clock(nowMs) {
        self.bars1s.closeDue(nowMs);
        self.bars1m.closeDue(nowMs);
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
      this.resting.length > 0;
    if (open)
      throw new ReplayCommandError(
        "seeking back is possible only while flat: exit or clear the open trade first (its prices would jump)",
      );
    const was = this.player.state;
    const speed = this.player.speed;
    this.bars1s = this.aggregator("1s");
    this.bars1m = this.aggregator("1m");
    for (let i = 0; i < this.roots.length; i++) {
      this.minutes[i] = [];
      this.seconds[i] = [];
      this.sentMinutes[i] = 0;
      this.sentSeconds[i] = 0;
      this.secondsDropped[i] = 0;
      this.last[i] = this.bid[i] = this.ask[i] = Number.NaN;
    }
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
    for (const [key, events] of this.changes) {
      const pos = this.engine.positionByKey(key);
      if (!pos) continue;
      for (const l of this.listeners) l({ accountId: pos.accountId, symbol: pos.symbol, position: pos, events });
    }
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
    const reasons: Record<string, number> = {};
    let wins = 0;
    let losses = 0;
    let net = 0n;
    const byTrade = this.closed.map((t) => {
      const n = t.realized - t.commissions;
      net += n;
      if (n > 0n) wins++;
      else if (n < 0n) losses++;
      // Each fill that closed contracts, once, by its cause (R4.4); a reverse's opening fill is no exit.
      for (const f of t.fills) {
        if (!closesContracts(f)) continue;
        const k =
          f.purpose === "exit" && f.reason.endsWith(`by ${REPLAY_END}`)
            ? "replay end"
            : (EXIT_LABEL[f.purpose] ?? f.purpose);
        reasons[k] = (reasons[k] ?? 0) + 1;
      }
      return {
        symbol: t.symbol,
        side: t.side,
        qty: t.qty,
        entry: t.entry / 1e9,
        exit: t.exit / 1e9,
        net: Number(n) / 1e9,
        reasons: t.exitReasons,
      };
    });
    return { trades: this.closed.length, wins, losses, net: Number(net) / 1e9, exitReasons: reasons, byTrade };
  }

  /** What the browser needs since the last frame: prices, new bars, the forming bars, the clock. */
  frame() {
    const symbols: Record<string, unknown> = {};
    for (let i = 0; i < this.roots.length; i++) {
      const m = this.minutes[i]!;
      const s = this.seconds[i]!;
      const newMinutes = m.slice(this.sentMinutes[i]!);
      const firstUnsentSecond = Math.max(0, this.sentSeconds[i]! - this.secondsDropped[i]!);
      const newSeconds = s.slice(firstUnsentSecond);
      this.sentMinutes[i] = m.length;
      this.sentSeconds[i] = this.secondsDropped[i]! + s.length;
      const fm = this.bars1m.current(i);
      const fs = this.bars1s.current(i);
      symbols[this.roots[i]!] = {
        p: num(this.last[i]!),
        b: num(this.bid[i]!),
        a: num(this.ask[i]!),
        m: [...newMinutes.slice(-600), ...(fm ? [fm] : [])].map(barJson),
        s: [...newSeconds.slice(-SECONDS_KEPT), ...(fs ? [fs] : [])].map(barJson),
      };
    }
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
    const i = this.roots.indexOf(symbol);
    if (i < 0) return [];
    const list = interval === "1m" ? this.minutes[i]! : this.seconds[i]!;
    const forming = (interval === "1m" ? this.bars1m : this.bars1s).current(i);
    return [...list.slice(-count), ...(forming ? [forming] : [])].map(barJson);
  }

  /* ---------- internals ---------- */

  private aggregator(interval: "1s" | "1m"): BarAggregator {
    return new BarAggregator(interval, (b) => {
      if (interval === "1m") this.minutes[b.instrumentId]!.push(b);
      else {
        const list = this.seconds[b.instrumentId]!;
        list.push(b);
        if (list.length > SECONDS_KEPT + 100) {
          const drop = list.length - SECONDS_KEPT;
          list.splice(0, drop);
          this.secondsDropped[b.instrumentId]! += drop;
        }
      }
    });
  }

  /** Trailing stops moved since the last look join the changes that go out next. */
  private noteRatchets(): void {
    const fx = this.engine.announceRatchets();
    if (fx.length) this.apply(fx, this.player.nowMs);
  }

  /** Effects of a step, with the fills they cause, until nothing is left to do. */
  private apply(fx: readonly Effect[], tsMs: number): void {
    const queue: Effect[] = [...fx];
    for (let i = 0; i < queue.length; i++) {
      const f = queue[i]!;
      switch (f.type) {
        case "submit": {
          const o = f.order;
          // The fill model paper trading uses: at once, or the order rests until a print reaches it.
          const price = fillOnSubmit(o);
          const report: ReportInput =
            price === undefined
              ? { type: "report", orderId: o.id, kind: "working", tsMs }
              : { type: "report", orderId: o.id, kind: "filled", qty: o.qty, price, tsMs };
          if (price === undefined) this.resting.push(o);
          for (const more of this.engine.step(report)) queue.push(more);
          break;
        }
        case "cancel": {
          const i = this.resting.findIndex((o) => o.id === f.order.id);
          if (i >= 0) this.resting.splice(i, 1);
          break;
        }
        case "event":
          this.pendingWrite.events.push(f.event);
          noteChange(this.changes, f);
          break;
        case "changed":
          noteChange(this.changes, f);
          break;
        case "closed":
          this.closed.push(f.trade);
          this.pendingWrite.closed.push(f.trade);
          break;
      }
    }
  }

  /** Resting orders fill when a print reaches them (fill model); cancelled ones are dropped. */
  private reachResting(sym: number, price: number, tsMs: number): void {
    const root = this.roots[sym]!;
    for (let i = this.resting.length - 1; i >= 0; i--) {
      const o = this.resting[i]!;
      if (!this.engine.order(o.id)) {
        this.resting.splice(i, 1);
        continue;
      }
      if (o.symbol !== root) continue;
      const at = fillOnPrint(o, price);
      if (at !== undefined) {
        this.resting.splice(i, 1);
        const left = o.qty - (this.engine.order(o.id)?.filled ?? 0);
        this.apply(
          this.engine.step({ type: "report", orderId: o.id, kind: "filled", qty: left, price: at, tsMs }),
          tsMs,
        );
      }
    }
  }
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

const num = (v: number) => (v === v ? v / 1e9 : null);
const barJson = (b: Readonly<Bar>) => ({
  ts: b.startMs,
  o: b.open / 1e9,
  h: b.high / 1e9,
  l: b.low / 1e9,
  c: b.close / 1e9,
  v: b.volume,
});

/** Exits by cause, for the summary's tally (a fill that closed contracts counts once). */
const EXIT_LABEL: Record<string, string> = {
  tp: "take profit",
  stop: "stop",
  timer: "timer",
  exit: "manual exit",
  entry: "manual exit",
  reverse: "reverse",
};
