import { RType } from "../dbn/constants";
import { RecordCursor } from "../dbn/cursor";
import { DbnFramer } from "../dbn/framer";
import { DbnVersionError } from "../dbn/metadata";
import { decodeRecord } from "../dbn/record-codec";
import {
  type ConnectionRateLimiter,
  DEFAULT_GATEWAY_PORT,
  gatewayConnections,
  gatewayHost,
  type Subscription,
} from "./gateway-protocol";
import { StreamRecovery, toNs } from "./stream-recovery";
import { GatewayAuthError, openGatewaySession, type CloseReason, type GatewaySession } from "./gateway-session";

/**
 * Databento Live, kept alive: one gateway session at a time, records decoded in place and
 * handed to `onRecord` through a reused cursor, symbol mappings tracked, and after any drop a
 * reconnect with capped exponential backoff and jitter that replays each schema from where its
 * own stream ended — Databento's recipe: the last ts_event and the count of records at it, per
 * schema and instrument; each subscription replays from the lowest of its schema; what was
 * already delivered is dropped per schema and instrument. Replay is asked for only within the gateway's intraday
 * window; an older gap (or one the gateway answers with code 8) is reconnected without `start`
 * and reported as a `gap` for the Historical API to fill. Errors Databento marks fatal stop the
 * client (no retry storm); connections stay within Databento's 5 per second.
 * Rules and sources: docs/databento-behaviour.md.
 */
export type LiveEvent =
  /**
   * `replayFromNs`: the earliest replay start asked for; `replay`: each replayed schema's start.
   * `gapFromNs`: this session does not replay the outage (for some schema at least); it is lost from there on (see `gap`).
   */
  | {
      type: "connected";
      sessionId: string;
      attempt: number;
      replayFromNs?: string;
      replay?: Record<string, string>;
      gapFromNs?: string;
    }
  /** Data the live feed will not deliver: from the last record before the outage to the new session's start. */
  | { type: "gap"; fromNs: string; toNs: string; reason: string }
  | { type: "mapping"; instrumentId: number; raw: string; requested: string }
  | { type: "system"; code: number; message: string }
  | { type: "gateway-error"; code: number; message: string }
  | { type: "disconnected"; reason: string; retryInMs: number }
  | { type: "auth-failed"; message: string }
  /**
   * A gateway error after which reconnecting cannot help: the client has stopped, `message` says why.
   * `code` is the gateway's error code; 0 when the client itself refuses the stream (a DBN version it cannot read).
   */
  | { type: "fatal"; code: number; message: string }
  | { type: "stopped" };

export interface LiveClientOptions {
  apiKey: string;
  dataset: string;
  host?: string;
  port?: number;
  subscriptions: Subscription[];
  /** Intraday replay for the first session (UNIX ns or ISO 8601). */
  start?: bigint | string;
  heartbeatIntervalS?: number;
  /** Silence beyond the heartbeat interval before the line counts as dead (default 10 s). */
  deadAfterExtraMs?: number;
  /** Replay the gap after a reconnect (default on). */
  gapFill?: boolean;
  /** `resetAfterMs`: a session must hold this long (default 60 s) before the backoff starts afresh. */
  backoff?: { baseMs?: number; capMs?: number; resetAfterMs?: number };
  /** How far back the gateway replays (default 24 h); an older gap is not asked for but reported. */
  replayWindowMs?: number;
  /** Wall clock in ms (tests inject one): session age and the replay window. */
  now?: () => number;
  /** Connection budget (default: the process's, 5 per second as Databento allows per IP). */
  limiter?: ConnectionRateLimiter;
  random?: () => number;
  onRecord(cursor: RecordCursor, view: DataView, bytes: Uint8Array, offset: number): void;
  onEvent?(e: LiveEvent): void;
}

const FINAL_ERROR_CODES = new Set([1, 2]); // auth failed, API key deactivated
const AGED_OUT = 8; // REPLAY_DATA_AGED_OUT
/**
 * Errors after which the gateway closes the session and the same request would meet them again.
 * Code 6 (internal error) is fatal for the session too, but usually passes: it is retried with
 * the capped backoff, since stopping would leave open trades without prices until a restart.
 */
const FATAL: Record<number, string> = {
  3: "the team's open-connection limit is exceeded; close another live session, then restart the feed",
  5: "a subscription was refused as invalid; the same subscriptions would be refused again",
  8: "replay data aged out although no replay was asked for",
};
const HOUR_MS = 3_600_000;

export class LiveClient {
  private session: GatewaySession | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private booking: { release(): void } | undefined;
  /** When the current session opened (by `now`), to tell a held session from an error loop. */
  private sessionSince: number | undefined;
  /** The replay starts the current session asked for (none: it replays nothing). */
  private sessionReplay: (bigint | string)[] = [];
  /** The newest start the gateway refused as aged out: replay from there or earlier is not asked again. */
  private agedOutNs: bigint | undefined;
  /** What the gateway said before closing, for the disconnect reason. */
  private closeWhy: string | undefined;
  private readonly now: () => number;
  private readonly limiter: ConnectionRateLimiter;
  private readonly cursor = new RecordCursor();
  private readonly subs: Subscription[];
  private readonly symbols = new Map<number, { raw: string; requested: string }>();
  /** Where each stream ended, to replay from there after a drop and drop what came already. */
  private readonly recovery = new StreamRecovery();
  stats = { records: 0, duplicatesDropped: 0, reconnects: 0 };
  /** DBN version and ts_out of the current session's stream (to decode full records). */
  stream = { version: 3, tsOut: false };

  constructor(private readonly o: LiveClientOptions) {
    this.subs = o.subscriptions.map((s) => ({ ...s }));
    this.now = o.now ?? Date.now;
    this.limiter = o.limiter ?? gatewayConnections;
  }

  symbolOf(instrumentId: number): { raw: string; requested: string } | undefined {
    return this.symbols.get(instrumentId);
  }

  get lastTsEventNs(): bigint | undefined {
    return this.recovery.lastTsEventNs;
  }

  /** Resolves once the first session streams; rejects on a final refusal. */
  async start(): Promise<void> {
    const slot = (this.booking = this.limiter.book());
    if (slot.waitMs > 0) {
      // Waiting for the process's connection budget; stop() wakes this early.
      await new Promise<void>((r) => {
        this.wake = r;
        this.timer = setTimeout(r, slot.waitMs);
      });
    }
    this.timer = undefined;
    this.wake = undefined;
    this.booking = undefined;
    if (!this.stopped) return this.connect(true);
  }

  subscribe(s: Subscription): void {
    this.subs.push({ ...s, start: undefined });
    this.session?.subscribe({ ...s, start: undefined });
  }

  /** Leaves these symbols out of every later session (the gateway has no unsubscribe: this one streams them on). */
  forget(symbols: readonly string[]): void {
    const gone = new Set(symbols);
    for (let i = this.subs.length - 1; i >= 0; i--) {
      const s = this.subs[i]!;
      const kept = s.symbols.filter((x) => !gone.has(x));
      if (kept.length === s.symbols.length) continue;
      if (kept.length) this.subs[i] = { ...s, symbols: kept };
      else this.subs.splice(i, 1);
    }
  }

  /**
   * Sends every subscription again, unchanged and without replay: the gateway never re-maps a
   * running continuous subscription at a roll, but maps an identical new one afresh.
   */
  resubscribe(): void {
    for (const s of this.subs) this.session?.subscribe({ ...s, start: undefined });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.booking?.release();
    this.wake?.();
    this.session?.close();
    this.session = undefined;
    this.o.onEvent?.({ type: "stopped" });
  }

  /** Why a session will not replay from `from` (the gap is reported instead), if it will not. */
  private noReplay(from: bigint | string, first: boolean): string | undefined {
    const ns = toNs(from);
    if (ns !== undefined && this.agedOutNs !== undefined && ns <= this.agedOutNs)
      return "the gateway no longer has replay data from there (error code 8)";
    if (first) return undefined; // the caller's own start: the gateway decides
    if (this.o.gapFill === false) return "gap fill by replay is off";
    const windowMs = this.o.replayWindowMs ?? 24 * HOUR_MS;
    if (ns !== undefined && BigInt(this.now()) * 1_000_000n - ns > BigInt(windowMs) * 1_000_000n)
      return `it lies beyond the ${windowMs / HOUR_MS} h intraday replay window`;
    return undefined;
  }

  private async connect(first: boolean): Promise<void> {
    // Each subscription replays its schema from where that schema's stream ended, if it may.
    const plan = this.subs.map((s) => {
      const from = this.recovery.replayStart(s.schema, this.o.start);
      const skip = from === undefined || s.snapshot ? undefined : this.noReplay(from, first);
      // A snapshot subscription (MBO) recovers from its snapshot; start and snapshot are exclusive.
      return { sub: { ...s, start: skip || s.snapshot ? undefined : from }, skip };
    });
    const replayed = plan.filter((p) => p.sub.start !== undefined).map((p) => p.sub);
    const skipped = plan.filter((p) => p.skip);
    // Where the app's stream ends: the last record delivered, else the start it asked for.
    const end = this.lastTsEventNs ?? this.o.start;
    const gap =
      skipped.length > 0 && end !== undefined
        ? {
            fromNs: String(toNs(end) ?? end),
            reason: `${replayed.length > 0 ? `${[...new Set(skipped.map((p) => p.sub.schema))].join(", ")} ` : ""}not replayed: ${skipped[0]!.skip}`,
          }
        : undefined;
    let earliest: (typeof replayed)[number] | undefined;
    for (const s of replayed) if (!earliest || (toNs(s.start!) ?? 0n) < (toNs(earliest.start!) ?? 0n)) earliest = s;
    this.recovery.beginReplay(first ? [] : replayed.map((s) => s.schema), this.subs);
    this.closeWhy = undefined;
    const framer: DbnFramer = new DbnFramer({
      record: (view, bytes, offset) => this.onRecord(framer, view, bytes, offset),
      // The gap ends where the new session starts, as Databento's Python client reports it.
      metadata: (m) =>
        gap && this.o.onEvent?.({ type: "gap", ...gap, toNs: String(m.start || BigInt(this.now()) * 1_000_000n) }),
    });
    try {
      this.session = await openGatewaySession({
        host: this.o.host ?? gatewayHost(this.o.dataset),
        port: this.o.port ?? DEFAULT_GATEWAY_PORT,
        apiKey: this.o.apiKey,
        dataset: this.o.dataset,
        heartbeatIntervalS: this.o.heartbeatIntervalS,
        deadAfterExtraMs: this.o.deadAfterExtraMs,
        subscriptions: plan.map((p) => p.sub),
        onBinary: (chunk) => {
          try {
            framer.push(chunk);
          } catch (err) {
            if (err instanceof DbnVersionError) {
              // Not corruption: a format this decoder does not read. Reconnecting would get the same.
              this.stopped = true;
              this.o.onEvent?.({ type: "fatal", code: 0, message: `${err.message}. Not reconnecting.` });
              this.session?.close();
              return;
            }
            // Corrupt bytes: this session's stream cannot be trusted past here; start over.
            this.session?.close();
            this.scheduleReconnect(`corrupt data from the gateway: ${(err as Error).message}`);
          }
        },
        onClose: (reason) => this.onClose(reason),
      });
    } catch (err) {
      if (err instanceof GatewayAuthError) {
        this.stopped = true;
        this.o.onEvent?.({ type: "auth-failed", message: err.message });
        throw err;
      }
      this.scheduleReconnect((err as Error).message);
      return;
    }
    if (this.stopped) {
      this.session.close();
      return;
    }
    this.sessionSince = this.now();
    this.sessionReplay = replayed.map((s) => s.start!);
    this.o.onEvent?.({
      type: "connected",
      sessionId: this.session.sessionId,
      attempt: this.attempt,
      replayFromNs: earliest?.start?.toString(),
      ...(replayed.length > 0 ? { replay: Object.fromEntries(replayed.map((s) => [s.schema, String(s.start)])) } : {}),
      gapFromNs: gap?.fromNs,
    });
  }

  private onRecord(framer: DbnFramer, view: DataView, bytes: Uint8Array, offset: number): void {
    this.stream.version = framer.version;
    this.stream.tsOut = framer.tsOut;
    const c = this.cursor.at(view, offset);
    const rtype = c.rtype;
    if (rtype === RType.SYMBOL_MAPPING || rtype === RType.SYSTEM || rtype === RType.ERROR) {
      this.onControl(framer, view, bytes, offset);
      return;
    }
    if (!this.recovery.isNew(view, offset, rtype)) {
      this.stats.duplicatesDropped++;
      return;
    }
    this.stats.records++;
    this.o.onRecord(c, view, bytes, offset);
  }

  private onControl(framer: DbnFramer, view: DataView, bytes: Uint8Array, offset: number): void {
    const r = decodeRecord(view, bytes, offset, framer.tsOut);
    if (!r) return;
    if (r.hd.rtype === RType.SYMBOL_MAPPING) {
      const m = { raw: String(r.stype_out_symbol), requested: String(r.stype_in_symbol) };
      this.symbols.set(r.hd.instrument_id, m);
      this.o.onEvent?.({ type: "mapping", instrumentId: r.hd.instrument_id, ...m });
    } else if (r.hd.rtype === RType.SYSTEM) {
      const code = typeof r.code === "number" ? r.code : r.msg === "Heartbeat" ? 0 : 255;
      if (code !== 0) this.o.onEvent?.({ type: "system", code, message: String(r.msg) });
    } else {
      const code = typeof r.code === "number" ? r.code : 255;
      const err = String(r.err);
      this.o.onEvent?.({ type: "gateway-error", code, message: err });
      if (FINAL_ERROR_CODES.has(code)) {
        this.stopped = true;
        this.o.onEvent?.({ type: "auth-failed", message: err });
        this.session?.close();
      } else if (code === AGED_OUT && this.sessionReplay.length > 0) {
        // The gateway closes now; the next session asks none of these starts again, and reports the gap.
        let earliest: bigint | undefined;
        for (const start of this.sessionReplay) {
          const ns = toNs(start);
          if (ns === undefined) continue;
          if (this.agedOutNs === undefined || ns > this.agedOutNs) this.agedOutNs = ns;
          if (earliest === undefined || ns < earliest) earliest = ns;
        }
        this.closeWhy = `intraday replay from ${earliest ?? this.sessionReplay[0]} is no longer available (error code 8); reconnecting without replay`;
      } else if (FATAL[code]) {
        this.stopped = true;
        this.o.onEvent?.({
          type: "fatal",
          code,
          message: `Databento gateway error ${code} (${err}): ${FATAL[code]}. Not reconnecting.`,
        });
        this.session?.close();
      } else if (code !== 4 && code !== 7) {
        this.closeWhy = `gateway error ${code}: ${err}`; // informational codes 4 and 7 keep the session
      }
    }
  }

  private onClose(reason: CloseReason): void {
    this.session = undefined;
    if (this.stopped || reason.kind === "closed-by-client") return;
    const why =
      this.closeWhy ??
      (reason.kind === "timeout"
        ? `no data for ${Math.round(reason.silentMs / 1000)} s`
        : reason.kind === "eof"
          ? "gateway closed the connection"
          : reason.message);
    this.scheduleReconnect(why);
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.timer) return;
    const b = this.o.backoff;
    // Only a session that held (not one that delivered a record and failed) restarts the backoff,
    // so an error loop after some data still backs off to the cap.
    if (this.sessionSince !== undefined && this.now() - this.sessionSince >= (b?.resetAfterMs ?? 60_000))
      this.attempt = 0;
    this.sessionSince = undefined;
    const exp = Math.min(b?.capMs ?? 30_000, (b?.baseMs ?? 500) * 2 ** this.attempt);
    // "Equal jitter": at least half the backoff, so many clients do not return in lockstep.
    const delay = Math.round(exp / 2 + (this.o.random ?? Math.random)() * (exp / 2));
    const slot = (this.booking = this.limiter.book(delay));
    this.attempt++;
    this.stats.reconnects++;
    this.o.onEvent?.({ type: "disconnected", reason, retryInMs: slot.waitMs });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.booking = undefined;
      if (!this.stopped) this.connect(false).catch(() => {});
    }, slot.waitMs);
  }
}
