import { TRADE, type ReplaySource } from "./sources";

/** Where the player delivers the market; every call is in replay time. */
export interface ReplaySink {
  trade(sym: number, tsMs: number, price: number, size: number): void;
  quote(sym: number, tsMs: number, bid: number, ask: number): void;
  /** Replay time moved on (timers, bars closing). Called at least every CLOCK_STEP_MS of replay time. */
  clock(nowMs: number): void;
}

export const SPEEDS = [1, 2, 5, 10, 60, 600] as const;
export type Speed = (typeof SPEEDS)[number] | "max";
export type PlayerState = "paused" | "playing" | "ended";

/** How often (replay time) the engine's clock advances, as the live engine's 250 ms tick. */
export const CLOCK_STEP_MS = 250;
/** A quiet stretch longer than this (a closed market) is crossed at once when playing. */
export const GAP_SKIP_MS = 5 * 60_000;
/** Records per `advance` call at "max", so the server keeps answering while a replay races. */
export const MAX_BATCH = 250_000;

/**
 * Plays a source against a wall clock that is passed in (never read), so tests drive it
 * exactly: at speed s, `advance(wall)` delivers every record stamped up to
 * `anchorReplay + (wall − anchorWall) × s`. Pause, step, seek and speed changes re-anchor.
 * Same source, same calls → same deliveries, in the same order.
 */
export class ReplayPlayer {
  state: PlayerState = "paused";
  speed: Speed = 1;
  /** Replay time now (ms since the epoch). */
  nowMs: number;
  /** Records delivered since the start. */
  delivered = 0;
  private anchorWall = 0;
  private anchorReplay: number;
  private pending = false;
  private lastClock: number;

  constructor(
    readonly source: ReplaySource,
    private readonly sink: ReplaySink,
  ) {
    source.reset();
    this.nowMs = source.startMs;
    this.anchorReplay = source.startMs;
    this.lastClock = source.startMs;
    this.pending = source.next();
    if (!this.pending) this.state = "ended";
  }

  get progress(): number {
    return this.source.count ? Math.min(1, this.delivered / this.source.count) : 1;
  }

  play(wallMs: number): void {
    if (this.state === "ended") return;
    this.state = "playing";
    this.anchor(wallMs);
  }

  pause(wallMs: number): void {
    if (this.state !== "playing") return;
    this.advance(wallMs);
    if (this.state === "playing") this.state = "paused";
  }

  setSpeed(speed: Speed, wallMs: number): void {
    if (this.state === "playing") this.advance(wallMs);
    this.speed = speed;
    this.anchor(wallMs);
  }

  /** Delivers what is due at `wallMs`; returns how many records. */
  advance(wallMs: number): number {
    if (this.state !== "playing") return 0;
    if (this.speed === "max") {
      const n = this.deliverWhile(Number.POSITIVE_INFINITY, MAX_BATCH);
      this.anchor(wallMs);
      return n;
    }
    let target = this.anchorReplay + (wallMs - this.anchorWall) * this.speed;
    // Nothing for a long while (the market was closed): jump to just before the next record.
    if (this.pending && this.source.tsMs - target > GAP_SKIP_MS) {
      this.moveClock(target);
      this.anchorReplay = this.source.tsMs - 1;
      this.anchorWall = wallMs;
      target = this.anchorReplay;
    }
    const n = this.deliverWhile(target, Number.POSITIVE_INFINITY);
    if (this.state === "playing") this.moveClock(target);
    return n;
  }

  /** One record, or everything up to the end of the current minute ("bar"). Pauses first. */
  step(unit: "record" | "bar", wallMs: number): number {
    this.pause(wallMs);
    if (this.state === "ended") return 0;
    if (unit === "record") return this.deliverWhile(Number.POSITIVE_INFINITY, 1);
    const first = this.pending ? this.source.tsMs : this.nowMs;
    const barEnd = first - (first % 60_000) + 60_000 - 1;
    const n = this.deliverWhile(barEnd, Number.POSITIVE_INFINITY);
    if ((this.state as PlayerState) !== "ended") this.moveClock(barEnd);
    return n;
  }

  /** Plays everything up to `toMs` at once (the engine sees every print on the way). */
  seekForward(toMs: number, wallMs: number): number {
    const n = this.deliverWhile(toMs, Number.POSITIVE_INFINITY);
    if (this.state !== "ended") this.moveClock(Math.max(this.nowMs, toMs));
    this.anchor(wallMs);
    return n;
  }

  private anchor(wallMs: number): void {
    this.anchorWall = wallMs;
    this.anchorReplay = this.nowMs;
  }

  private moveClock(toMs: number): void {
    if (toMs <= this.nowMs) return;
    this.nowMs = toMs;
    if (toMs - this.lastClock >= CLOCK_STEP_MS) {
      this.lastClock = toMs;
      this.sink.clock(toMs);
    }
  }

  private deliverWhile(untilMs: number, max: number): number {
    const src = this.source;
    const sink = this.sink;
    let n = 0;
    while (this.pending && n < max) {
      const ts = src.tsMs;
      if (ts > untilMs) break;
      // The clock reaches a record's time before the record, as it would live.
      if (ts - this.lastClock >= CLOCK_STEP_MS) {
        this.lastClock = ts;
        if (ts > this.nowMs) this.nowMs = ts;
        sink.clock(ts);
      }
      if (ts > this.nowMs) this.nowMs = ts;
      if (src.kind === TRADE) sink.trade(src.sym, ts, src.price, src.size);
      else sink.quote(src.sym, ts, src.bid, src.ask);
      if (src.kind === TRADE && !Number.isNaN(src.bid)) sink.quote(src.sym, ts, src.bid, src.ask);
      n++;
      this.pending = src.next();
    }
    this.delivered += n;
    if (!this.pending) {
      this.state = "ended";
      sink.clock(this.nowMs);
    }
    return n;
  }
}
