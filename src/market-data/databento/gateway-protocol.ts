/**
 * The text phase of Databento's Live gateway (Raw API): greeting, CRAM challenge, auth,
 * subscriptions, start_session. Shared by the live client and the in-repo fake gateway so both
 * speak exactly the same lines. See docs/databento.md §8 (protocol brief).
 */
import { sha256Hex } from "../../shared/digest";

export const API_KEY_LENGTH = 32;
export const BUCKET_ID_LENGTH = 5;
export const MAX_SYMBOLS_PER_SUBSCRIPTION = 500;
export const DEFAULT_GATEWAY_PORT = 13000;

export class GatewayProtocolError extends Error {
  override name = "GatewayProtocolError";
}

/** A key is 32 ASCII characters starting "db-"; anything else is refused before connecting. */
export function validateApiKey(key: string): string | undefined {
  if (key.length !== API_KEY_LENGTH) return `API key must be ${API_KEY_LENGTH} characters`;
  if (!key.startsWith("db-")) return 'API key must start with "db-"';
  if (!/^[\x21-\x7e]+$/.test(key)) return "API key must be printable ASCII";
  return undefined;
}

/** `glbx-mdp3.lsg.databento.com` for GLBX.MDP3. */
export function gatewayHost(dataset: string): string {
  return `${dataset.toLowerCase().replaceAll(".", "-")}.lsg.databento.com`;
}

/**
 * CRAM: SHA-256 of `<challenge>|<key>` in lower-case hex, then `-` and the key's bucket id
 * (its last five characters). The key itself never goes on the wire.
 */
export function cramResponse(challenge: string, apiKey: string): string {
  const digest = sha256Hex(`${challenge}|${apiKey}`);
  return `${digest}-${apiKey.slice(-BUCKET_ID_LENGTH)}`;
}

/** `key=value|key=value` (trailing `|` tolerated) into a map; a part without `=` is an error. */
export function parseControlLine(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  for (const part of text.split("|")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new GatewayProtocolError(`malformed gateway line: "${text.slice(0, 200)}"`);
    out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

export function formatControlLine(fields: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = String(v);
    if (/[|\n\r]/.test(text) || /[=|\n\r]/.test(k))
      throw new GatewayProtocolError(`value of ${k} may not contain '|', '=' or a line break`);
    parts.push(`${k}=${text}`);
  }
  return parts.join("|") + "\n";
}

export interface AuthRequest {
  apiKey: string;
  challenge: string;
  dataset: string;
  tsOut?: boolean;
  client?: string;
  /** 5..1800 s; the gateway's default (30 s) when absent. */
  heartbeatIntervalS?: number;
  slowReaderBehavior?: "warn" | "skip";
}

export function authLine(a: AuthRequest): string {
  if (
    a.heartbeatIntervalS !== undefined &&
    !(Number.isInteger(a.heartbeatIntervalS) && a.heartbeatIntervalS >= 5 && a.heartbeatIntervalS <= 1800)
  ) {
    throw new GatewayProtocolError("heartbeat interval must be a whole number of seconds from 5 to 1800");
  }
  return formatControlLine({
    auth: cramResponse(a.challenge, a.apiKey),
    dataset: a.dataset,
    encoding: "dbn",
    compression: "none",
    ts_out: a.tsOut ? 1 : 0,
    client: a.client ?? "trading-app",
    heartbeat_interval_s: a.heartbeatIntervalS,
    slow_reader_behavior: a.slowReaderBehavior,
  });
}

export interface Subscription {
  schema: string;
  stypeIn: string;
  symbols: readonly string[];
  /** Echoed by the gateway's subscription acknowledgement. */
  id?: number;
  /** Intraday replay from this time: UNIX nanoseconds or ISO 8601. */
  start?: bigint | string;
  snapshot?: boolean;
}

/** One subscription as gateway lines: at most 500 symbols each, `is_last=1` only on the final one. */
export function subscriptionLines(s: Subscription): string[] {
  if (s.symbols.length === 0) throw new GatewayProtocolError("a subscription needs at least one symbol");
  if (s.snapshot && s.start !== undefined) throw new GatewayProtocolError("snapshot and start are exclusive");
  for (const sym of s.symbols) {
    if (!sym || /[,|=\n\r]/.test(sym)) throw new GatewayProtocolError(`invalid symbol "${sym}"`);
  }
  const lines: string[] = [];
  for (let i = 0; i < s.symbols.length; i += MAX_SYMBOLS_PER_SUBSCRIPTION) {
    const chunk = s.symbols.slice(i, i + MAX_SYMBOLS_PER_SUBSCRIPTION);
    const last = i + MAX_SYMBOLS_PER_SUBSCRIPTION >= s.symbols.length;
    lines.push(
      formatControlLine({
        schema: s.schema,
        stype_in: s.stypeIn,
        symbols: chunk.join(","),
        snapshot: s.snapshot ? 1 : 0,
        id: s.id,
        is_last: last ? 1 : 0,
        start: s.start === undefined ? undefined : String(s.start),
      }),
    );
  }
  return lines;
}

export const START_SESSION_LINE = "start_session\n";

/**
 * Databento accepts at most 5 new gateway connections per second per IP. Every connection a
 * process opens books a time here first; a booking never puts more than `max` into any window
 * of `windowMs`. Bookings may be made ahead (a reconnect scheduled after its backoff).
 */
export class ConnectionRateLimiter {
  private booked: number[] = [];

  constructor(
    private readonly max = 5,
    private readonly windowMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Books the earliest connection time at least `delayMs` from now that keeps the limit, and
   * returns how long to wait for it (and a way to give it back if it will not be used).
   */
  book(delayMs = 0): { waitMs: number; release(): void } {
    const now = this.now();
    this.booked = this.booked.filter((b) => b > now - this.windowMs);
    let t = now + delayMs;
    for (;;) {
      // Every window holding t lies inside (t - window, t + window): fewer than max there is enough.
      const near = this.booked.filter((b) => b > t - this.windowMs && b < t + this.windowMs);
      if (near.length < this.max) break;
      t = near[0]! + this.windowMs;
    }
    this.booked.push(t);
    this.booked.sort((a, b) => a - b);
    return {
      waitMs: t - now,
      release: () => {
        const i = this.booked.indexOf(t);
        if (i >= 0) this.booked.splice(i, 1);
      },
    };
  }
}

/** The process's one budget of gateway connections, shared by every live client in it. */
export const gatewayConnections = new ConnectionRateLimiter();

/**
 * Splits arriving bytes into LF-terminated lines during the text phase; whatever follows the
 * last line read is handed back untouched, because the binary DBN stream starts right after.
 */
export class LineReader {
  private buf: Uint8Array = new Uint8Array(0);
  private static readonly MAX_LINE = 64 * 1024;

  push(chunk: Uint8Array): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
  }

  /** The next complete line without its LF, or undefined until one has arrived. */
  nextLine(): string | undefined {
    const lf = this.buf.indexOf(0x0a);
    if (lf < 0) {
      if (this.buf.length > LineReader.MAX_LINE)
        throw new GatewayProtocolError(`gateway line longer than ${LineReader.MAX_LINE} bytes`);
      return undefined;
    }
    const line = new TextDecoder().decode(this.buf.subarray(0, lf));
    this.buf = this.buf.subarray(lf + 1);
    return line;
  }

  /** Bytes received after the last line taken: the start of the binary phase. */
  rest(): Uint8Array {
    const r = this.buf;
    this.buf = new Uint8Array(0);
    return r;
  }
}
