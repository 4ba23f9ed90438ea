import type { Socket, TCPSocketListener } from "bun";
import { RType } from "../dbn/constants";
import { encodeMetadata } from "../dbn/metadata";
import { encodeRecord } from "../dbn/record-codec";
import { cramResponse, LineReader, parseControlLine } from "./gateway-protocol";
import { SocketWriter } from "./socket-writer";

/**
 * A TCP server speaking the Live gateway protocol byte for byte (greeting, CRAM, auth reply,
 * subscription lines, start_session), for tests, benchmarks and the simulated demo feed. What
 * it streams after start_session comes from `onStart` (DBN from files or the encoder).
 * With `replayWindowNs` it keeps a bounded intraday replay window, as the real gateway does;
 * `restart()` ends every session at once (the weekly Saturday restart) and `down(true)` refuses
 * connections until `down(false)` (an outage), so clients must reconnect.
 */

export interface FakeSubscription {
  schema: string;
  stypeIn: string;
  symbols: string[];
  id?: number;
  start?: string;
  snapshot: boolean;
}

export interface FakeGatewaySession {
  sessionId: string;
  dataset: string;
  tsOut: boolean;
  heartbeatIntervalS: number;
  subscriptions: FakeSubscription[];
  /** Sends raw bytes; false when the client is not keeping up (the socket buffered them). */
  write(bytes: Uint8Array): boolean;
  /** Resolves when the client has drained what was buffered. */
  drained(): Promise<void>;
  close(): void;
  readonly closed: boolean;
  /** The fatal ErrorMsg code this session was refused with at start_session, if any. */
  refusedWith?: number;
  /** Subscriptions sent after start_session. */
  onSubscribe?: (s: FakeSubscription) => void;
}

export interface FakeGatewayOptions {
  /** Keys the gateway accepts. */
  apiKeys: string[];
  lsgVersion?: string;
  onStart: (session: FakeGatewaySession) => void;
  /** Refuse every authentication with this message (e.g. a deactivated key). */
  refuseWith?: string;
  /** Listen here instead of a free port (a test brings a feed back where the app expects it). */
  port?: number;
  /**
   * Intraday replay kept, in ns (the real gateway keeps about 24 h). A subscription whose
   * `start` lies further back gets ErrorMsg code 8 (REPLAY_DATA_AGED_OUT) and the session is
   * closed, without `onStart`. Unset: any start is replayed (from whatever `onStart` has).
   * A function is asked at each start_session (the window may shrink, e.g. after a restart).
   */
  replayWindowNs?: bigint | (() => bigint);
  /** The gateway's clock in UNIX ns, for the replay window (default: the wall clock). */
  now?: () => bigint;
}

export interface FakeGateway {
  host: string;
  port: number;
  sessions: FakeGatewaySession[];
  /** Every control line received, for protocol assertions. */
  lines: string[];
  /** Wall-clock time (ms) of every TCP connection accepted, for rate assertions. */
  accepted: number[];
  /** Wall-clock time (ms) of every connection refused while down. */
  refused: number[];
  /** The gateway restarts (CME gateways do every Saturday ~02:15 CT): every open connection is closed now. */
  restart(): void;
  /** An outage: while on, every new connection is closed as soon as it is accepted (before the greeting). */
  down(on: boolean): void;
  stop(): void;
}

interface ConnState {
  reader: LineReader;
  challenge: string;
  phase: "auth" | "subscribing" | "streaming";
  session?: FakeGatewaySession;
  subs: FakeSubscription[];
  pending: FakeSubscription | undefined;
  drainWaiters: (() => void)[];
  out: SocketWriter;
}

let nextSession = 1;

function toSub(f: Map<string, string>): FakeSubscription {
  return {
    schema: f.get("schema") ?? "",
    stypeIn: f.get("stype_in") ?? "",
    symbols: (f.get("symbols") ?? "").split(",").filter(Boolean),
    id: f.has("id") ? Number(f.get("id")) : undefined,
    start: f.get("start"),
    snapshot: f.get("snapshot") === "1",
  };
}

/** A subscription `start` as UNIX ns (ISO 8601 accepted); `0` means "all there is", never aged out. */
function startNs(start: string): bigint | undefined {
  if (/^\d+$/.test(start)) return BigInt(start) === 0n ? undefined : BigInt(start);
  const ms = Date.parse(start);
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined;
}

export function startFakeGateway(opts: FakeGatewayOptions): FakeGateway {
  const sessions: FakeGatewaySession[] = [];
  const lines: string[] = [];
  const accepted: number[] = [];
  const refused: number[] = [];
  const conns = new Set<Socket<ConnState>>();
  let isDown = false;
  const now = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);

  /** The real gateway checks replay starts at start_session: metadata, then a fatal ErrorMsg, then close. */
  function refuseAgedOut(socket: Socket<ConnState>, s: FakeGatewaySession): boolean {
    if (opts.replayWindowNs === undefined) return false;
    const t = now();
    const earliest = t - (typeof opts.replayWindowNs === "function" ? opts.replayWindowNs() : opts.replayWindowNs);
    const old = s.subscriptions.find((sub) => sub.start !== undefined && (startNs(sub.start) ?? earliest) < earliest);
    if (!old) return false;
    s.refusedWith = 8;
    const meta = encodeMetadata({
      dataset: s.dataset,
      start: t,
      ts_out: s.tsOut,
    });
    const err = `Replay data for ${old.schema} from ${old.start} is no longer available; the earliest is ${earliest}`;
    s.write(meta);
    s.write(
      encodeRecord(
        { hd: { rtype: RType.ERROR, publisher_id: 0, instrument_id: 0, ts_event: t }, err, code: 8, is_last: 1 },
        3,
        s.tsOut ? t : undefined,
      ),
    );
    socket.end();
    return true;
  }

  function handleLine(socket: Socket<ConnState>, line: string) {
    const st = socket.data;
    lines.push(line);
    if (st.phase === "auth") {
      const f = parseControlLine(line);
      const response = f.get("auth") ?? "";
      const ok = !opts.refuseWith && opts.apiKeys.some((k) => cramResponse(st.challenge, k) === response);
      if (!ok || f.get("encoding") !== "dbn") {
        st.out.send(
          `success=0|error=${opts.refuseWith ?? (ok ? "Unsupported encoding." : "Authentication failed.")}\n`,
        );
        socket.end();
        return;
      }
      const id = String(nextSession++);
      const session: FakeGatewaySession = {
        sessionId: id,
        dataset: f.get("dataset") ?? "",
        tsOut: f.get("ts_out") === "1",
        heartbeatIntervalS: Number(f.get("heartbeat_interval_s") ?? 30),
        subscriptions: st.subs,
        write: (bytes) => {
          if (session.closed) return false;
          return st.out.send(bytes);
        },
        drained: () => new Promise<void>((r) => st.drainWaiters.push(r)),
        close: () => socket.end(),
        closed: false,
      };
      st.session = session;
      st.phase = "subscribing";
      st.out.send(`success=1|session_id=${id}|\n`);
      return;
    }
    if (line === "start_session" || line.startsWith("start_session=")) {
      if (st.phase !== "subscribing") return;
      st.phase = "streaming";
      sessions.push(st.session!);
      if (!refuseAgedOut(socket, st.session!)) opts.onStart(st.session!);
      return;
    }
    // Subscription line: chunks of one subscription arrive with is_last=0 until the final one.
    const f = parseControlLine(line);
    const chunk = toSub(f);
    if (st.pending) st.pending.symbols.push(...chunk.symbols);
    else st.pending = chunk;
    if (f.get("is_last") !== "0") {
      const done = st.pending;
      st.pending = undefined;
      st.subs.push(done);
      if (st.phase === "streaming") st.session?.onSubscribe?.(done);
    }
  }

  const listener: TCPSocketListener<ConnState> = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    socket: {
      open(socket) {
        if (isDown) {
          refused.push(Date.now());
          socket.end();
          return;
        }
        conns.add(socket);
        accepted.push(Date.now());
        const challenge = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
        socket.data = {
          reader: new LineReader(),
          challenge,
          phase: "auth",
          subs: [],
          pending: undefined,
          drainWaiters: [],
          out: new SocketWriter((d) => socket.write(d)),
        };
        socket.data.out.send(`lsg_version=${opts.lsgVersion ?? "0.7.2"}\ncram=${challenge}\n`);
      },
      data(socket, data) {
        const st = socket.data;
        if (!st) return; // refused while down
        st.reader.push(data);
        try {
          for (let line = st.reader.nextLine(); line !== undefined; line = st.reader.nextLine())
            handleLine(socket, line);
        } catch {
          socket.end();
        }
      },
      drain(socket) {
        if (!socket.data) return;
        socket.data.out.drain();
        if (socket.data.out.pending > 0) return;
        const w = socket.data.drainWaiters.splice(0);
        for (const r of w) r();
      },
      close(socket) {
        conns.delete(socket);
        if (!socket.data) return;
        if (socket.data.session) (socket.data.session as { closed: boolean }).closed = true;
        for (const r of socket.data.drainWaiters.splice(0)) r();
      },
      error() {},
    },
  });

  return {
    host: "127.0.0.1",
    port: listener.port,
    sessions,
    lines,
    accepted,
    refused,
    restart: () => {
      for (const s of [...conns]) s.end();
    },
    down: (on) => {
      isDown = on;
    },
    stop: () => listener.stop(true),
  };
}
