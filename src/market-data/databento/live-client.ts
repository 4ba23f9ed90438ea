import { RType } from "../dbn/constants";
import { RecordCursor } from "../dbn/cursor";
import { DbnFramer } from "../dbn/framer";
import { decodeRecord } from "../dbn/record-codec";
import { DEFAULT_GATEWAY_PORT, gatewayHost, type Subscription } from "./gateway-protocol";
import { GatewayAuthError, openGatewaySession, type CloseReason, type GatewaySession } from "./gateway-session";

/**
 * Databento Live, kept alive: one gateway session at a time, records decoded in place and
 * handed to `onRecord` through a reused cursor, symbol mappings tracked, and after any drop a
 * reconnect with capped exponential backoff and jitter that replays from the last ts_event seen
 * and drops what was already delivered. An authentication refusal is final (no retry storm).
 */
export type LiveEvent =
  | { type: "connected"; sessionId: string; attempt: number; replayFromNs?: string }
  | { type: "mapping"; instrumentId: number; raw: string; requested: string }
  | { type: "system"; code: number; message: string }
  | { type: "gateway-error"; code: number; message: string }
  | { type: "disconnected"; reason: string; retryInMs: number }
  | { type: "auth-failed"; message: string }
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
  backoff?: { baseMs?: number; capMs?: number };
  random?: () => number;
  onRecord(cursor: RecordCursor, view: DataView, bytes: Uint8Array, offset: number): void;
  onEvent?(e: LiveEvent): void;
}

const FINAL_ERROR_CODES = new Set([1, 2]); // auth failed, API key deactivated

export class LiveClient {
  private session: GatewaySession | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly cursor = new RecordCursor();
  private readonly subs: Subscription[];
  private readonly symbols = new Map<number, { raw: string; requested: string }>();
  // The newest ts_event delivered, as two u32 halves (no BigInt per record).
  private lastHi = 0;
  private lastLo = 0;
  private delivered = false;
  /** Records delivered at exactly the newest timestamp, to drop their replayed copies. */
  private atLast = new Set<number>();
  private dedupUntilCaughtUp = false;
  stats = { records: 0, duplicatesDropped: 0, reconnects: 0 };
  /** DBN version and ts_out of the current session's stream (to decode full records). */
  stream = { version: 3, tsOut: false };

  constructor(private readonly o: LiveClientOptions) {
    this.subs = o.subscriptions.map((s) => ({ ...s }));
  }

  symbolOf(instrumentId: number): { raw: string; requested: string } | undefined {
    return this.symbols.get(instrumentId);
  }

  get lastTsEventNs(): bigint | undefined {
    return this.delivered ? (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo) : undefined;
  }

  /** Resolves once the first session streams; rejects on a final refusal. */
  start(): Promise<void> {
    return this.connect(true);
  }

  subscribe(s: Subscription): void {
    this.subs.push({ ...s, start: undefined });
    this.session?.subscribe({ ...s, start: undefined });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.session?.close();
    this.session = undefined;
    this.o.onEvent?.({ type: "stopped" });
  }

  private async connect(first: boolean): Promise<void> {
    const replayFrom = first ? this.o.start : this.o.gapFill !== false ? this.lastTsEventNs : undefined;
    this.dedupUntilCaughtUp = !first && replayFrom !== undefined;
    const framer: DbnFramer = new DbnFramer({ record: (view, bytes, offset) => this.onRecord(framer, view, bytes, offset) });
    try {
      this.session = await openGatewaySession({
        host: this.o.host ?? gatewayHost(this.o.dataset),
        port: this.o.port ?? DEFAULT_GATEWAY_PORT,
        apiKey: this.o.apiKey,
        dataset: this.o.dataset,
        heartbeatIntervalS: this.o.heartbeatIntervalS,
        deadAfterExtraMs: this.o.deadAfterExtraMs,
        subscriptions: this.subs.map((s) => ({ ...s, start: replayFrom })),
        onBinary: (chunk) => {
          try {
            framer.push(chunk);
          } catch (err) {
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
    this.o.onEvent?.({ type: "connected", sessionId: this.session.sessionId, attempt: this.attempt, replayFromNs: replayFrom?.toString() });
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
    const lo = view.getUint32(offset + 8, true);
    const hi = view.getUint32(offset + 12, true);
    if (this.delivered) {
      const older = hi < this.lastHi || (hi === this.lastHi && lo < this.lastLo);
      const same = hi === this.lastHi && lo === this.lastLo;
      if (older && this.dedupUntilCaughtUp) {
        this.stats.duplicatesDropped++;
        return;
      }
      if (same) {
        const sig = Bun.hash.crc32(bytes.subarray(offset, offset + c.size));
        if (this.atLast.has(sig)) {
          this.stats.duplicatesDropped++;
          return;
        }
        this.atLast.add(sig);
      } else if (!older) {
        this.lastHi = hi;
        this.lastLo = lo;
        this.atLast.clear();
        this.atLast.add(Bun.hash.crc32(bytes.subarray(offset, offset + c.size)));
        this.dedupUntilCaughtUp = false;
      }
    } else {
      this.delivered = true;
      this.lastHi = hi;
      this.lastLo = lo;
      this.atLast.add(Bun.hash.crc32(bytes.subarray(offset, offset + c.size)));
    }
    this.stats.records++;
    this.attempt = 0;
    this.o.onRecord(c, view, bytes, offset);
  }

  private onControl(framer: DbnFramer, view: DataView, bytes: Uint8Array, offset: number): void {
    const r = decodeRecord(view, bytes, offset, framer.version, framer.tsOut);
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
      this.o.onEvent?.({ type: "gateway-error", code, message: String(r.err) });
      if (FINAL_ERROR_CODES.has(code)) {
        this.stopped = true;
        this.o.onEvent?.({ type: "auth-failed", message: String(r.err) });
        this.session?.close();
      }
    }
  }

  private onClose(reason: CloseReason): void {
    this.session = undefined;
    if (this.stopped || reason.kind === "closed-by-client") return;
    const why = reason.kind === "timeout" ? `no data for ${Math.round(reason.silentMs / 1000)} s` : reason.kind === "eof" ? "gateway closed the connection" : reason.message;
    this.scheduleReconnect(why);
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.timer) return;
    const base = this.o.backoff?.baseMs ?? 500;
    const cap = this.o.backoff?.capMs ?? 30_000;
    const exp = Math.min(cap, base * 2 ** this.attempt);
    // "Equal jitter": at least half the backoff, so many clients do not return in lockstep.
    const delay = Math.round(exp / 2 + (this.o.random ?? Math.random)() * (exp / 2));
    this.attempt++;
    this.stats.reconnects++;
    this.o.onEvent?.({ type: "disconnected", reason, retryInMs: delay });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.connect(false).catch(() => {});
    }, delay);
  }
}
