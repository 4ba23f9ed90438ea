// End-to-end price latency: a fake Databento gateway writes MBP-1 trade records (DBN over the
// Live protocol) → the real server (LiveClient → decoder → bus → PriceHub → /ws) → N
// authenticated WebSocket clients. Each trade's price carries its sequence number
// (price = 5000 + seq ticks of 0.25) and the bench keeps seq → performance.now() at the gateway
// write, so a client's receive time minus that is the latency, read on one clock.
//   bun bench/ticks-to-ws.ts [--seconds 5] [--rate 5000] [--clients 1,100,1000] [--split]
//   bun bench/ticks-to-ws.ts --cluster [--instances 3] [--clients 1000] [--split]
//                            [--database-url postgres://…] [--nats nats://…|private]
// Default: gateway, server and clients in this one process. --split runs the server in a child
// process (this file with --serve) so it has a core of its own; gateway and clients stay here,
// so send and receive times still come from the same clock.
// --cluster: the same runs against the single-process server (in this process, or --split), then
// against a cluster of real server processes (src/main.ts serve) on one fresh Postgres schema and
// NATS — the feed leader (whoever holds the feed lease) connects to this bench's gateway, the
// others get its records through NATS; the clients are spread evenly over the instances, each
// connected to an instance's own port. Gateway and clients stay in this process (one clock).
// NATS: --nats, else NATS_URL, else nats://127.0.0.1:4222 (the instances' subjects carry their
// deployment's name, so other clusters on that server do not hear them); --nats private starts a
// nats-server of the bench's own on a free port (stopped with the cluster).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { sql } from "kysely";
import { startServer } from "../src/app/server";
import { ApiTokensService } from "../src/auth/api-tokens-service";
import { UsersService } from "../src/auth/users-service";
import { configSchema, loadConfig } from "../src/config/config";
import { connectDatabase, redactUrl } from "../src/persistence/connect";
import { migrateUp } from "../src/persistence/migrator";
import { memoryLogger } from "../src/log/logger";
import { RType } from "../src/market-data/dbn/constants";
import type { DbnRecord } from "../src/market-data/dbn/record-codec";
import { startFakeGateway, type FakeGateway } from "../src/market-data/databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../src/market-data/databento/gateway-feed";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const SECONDS = Number(arg("seconds", "5"));
const RATE = Number(arg("rate", "5000"));
const SPLIT = process.argv.includes("--split");
const CLUSTER = process.argv.includes("--cluster");
const INSTANCES = Number(arg("instances", "3"));
const CLIENTS = arg("clients", CLUSTER ? "1000" : "1,100,1000")
  .split(",")
  .map(Number);
const PG_URL = arg("database-url", process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");
const NATS_ARG = arg("nats", process.env.NATS_URL ?? "nats://127.0.0.1:4222");
const WARMUP_S = 1;
const PACE_MS = 2;

const INSTRUMENT: InstrumentRef = { instrumentId: 900_001, raw: "MESZ6", aliases: ["MES.c.0", "MES"] };
const BASE_NANOS = 5000_000_000_000; // 5000.00
const TICK_NANOS = 250_000_000; // 0.25
const API_KEY = "db-" + "B".repeat(24) + "bench"; // 32 chars; the bench's gateway accepts only this

// seq → performance.now() of the gateway write; seq runs on across runs so a stale "current
// price" replayed on subscribe can never be mistaken for a fresh one.
let sentAt = new Float64Array(
  Math.ceil((RATE * (SECONDS + 1) * CLIENTS.length + RATE * (WARMUP_S + 1)) * (CLUSTER ? 2 : 1) + 10_000),
);
let seq = 0;

/** Log-bucketed latency histogram (1 % resolution, no allocation per sample). */
class Histogram {
  private static readonly STEP = Math.log(1.01);
  private readonly counts = new Float64Array(2000); // 1 µs · 1.01^2000 ≈ 400 s
  count = 0;
  max = 0;
  add(ms: number): void {
    const us = Math.max(1, ms * 1000);
    this.counts[Math.min(1999, Math.ceil(Math.log(us) / Histogram.STEP))]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  /** Upper bound of the bucket holding quantile q, in ms. */
  quantile(q: number): number {
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return Math.min(this.max, Math.exp(i * Histogram.STEP) / 1000);
    }
    return this.max;
  }
}

function tradeRecord(s: number): DbnRecord {
  const px = BigInt(BASE_NANOS + s * TICK_NANOS);
  const ns = BigInt(Date.now()) * 1_000_000n;
  return {
    hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: INSTRUMENT.instrumentId, ts_event: ns },
    price: px,
    size: 1,
    action: "T",
    side: s % 2 ? "A" : "B",
    flags: 128,
    depth: 0,
    ts_recv: ns + 150_000n,
    ts_in_delta: 12_000,
    sequence: s,
    // The trade price carries the sequence number; the book moves every 10th print, as a
    // real top of book changes less often than trades print.
    levels: [
      {
        bid_px: BigInt(BASE_NANOS + Math.floor(s / 10) * TICK_NANOS),
        ask_px: BigInt(BASE_NANOS + (Math.floor(s / 10) + 1) * TICK_NANOS),
        bid_sz: 10,
        ask_sz: 12,
        bid_ct: 1,
        ask_ct: 1,
      },
    ],
  };
}

/**
 * Every session the gateway started. Trades go to each one still open, as Databento's gateway
 * streams to every session: only the server (the cluster's feed leader) should hold one, and
 * `maxOpen` says if more did.
 */
const feeds: SessionFeed[] = [];
const openFeeds = () => feeds.filter((f) => !f.closed);
let maxOpen = 0;
/** Sends `count` trade records (seq, seq+1, …) now, stamping their write time; false without an open session. */
function sendTrades(count: number): boolean {
  if (seq + count > sentAt.length) {
    const grown = new Float64Array(Math.max(sentAt.length * 2, seq + count));
    grown.set(sentAt);
    sentAt = grown;
  }
  const batch: DbnRecord[] = [];
  for (let i = 0; i < count; i++) batch.push(tradeRecord(seq + i));
  sentAt.fill(performance.now(), seq, seq + count);
  seq += count;
  const open = openFeeds();
  if (open.length > maxOpen) maxOpen = open.length;
  for (const f of open) f.send(batch);
  return open.length > 0;
}

/**
 * The run being measured: client latencies (all, and per server instance the client is connected
 * to), and (server in this process) gateway → hub publish. `foreign` counts prices this bench
 * never sent (another feed on the same NATS subjects would show up here).
 */
interface Run {
  firstSeq: number;
  hist: Histogram;
  hub: Histogram;
  per: Histogram[];
  foreign: number;
}
const newRun = (slots: number): Run => ({
  firstSeq: seq,
  hist: new Histogram(),
  hub: new Histogram(),
  per: Array.from({ length: slots }, () => new Histogram()),
  foreign: 0,
});
let current: Run = newRun(1);
const seqOf = (priceNanos: number) => Math.round((priceNanos - BASE_NANOS) / TICK_NANOS);

interface Client {
  ws: WebSocket;
  /** Which of the run's targets (server instances) it is connected to. */
  slot: number;
  received: number;
  lastSeq: number;
  closed: Promise<void>;
}

/** Where the last `numberAt` stopped. */
let numEnd = 0;
/** The JSON number at d[i…], read without allocating (100 clients parse every print); sets numEnd. */
function numberAt(d: string, i: number): number {
  const start = i;
  let c = d.charCodeAt(i);
  const neg = c === 45;
  if (neg) c = d.charCodeAt(++i);
  let v = 0;
  for (; c >= 48 && c <= 57; c = d.charCodeAt(++i)) v = v * 10 + (c - 48);
  if (c === 46) {
    let scale = 1;
    for (c = d.charCodeAt(++i); c >= 48 && c <= 57; c = d.charCodeAt(++i)) {
      v = v * 10 + (c - 48);
      scale *= 10;
    }
    v /= scale;
  }
  if (c === 101 || c === 69) {
    // An exponent (never for these prices): the general parser.
    for (c = d.charCodeAt(++i); (c >= 48 && c <= 57) || c === 43 || c === 45; c = d.charCodeAt(++i));
    v = Math.abs(parseFloat(d.slice(start, i)));
  }
  numEnd = i;
  return neg ? -v : v;
}

/** Opens a client, subscribes to MES, resolves once "subscribed" arrives. */
function openClient(url: string, token: string, slot: number): Promise<Client> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  const c: Client = {
    ws,
    slot,
    received: 0,
    lastSeq: -1,
    closed: new Promise((r) => ws.addEventListener("close", () => r())),
  };
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error(`websocket error (${url})`));
    ws.onopen = () => ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
    // One latency sample per print: receive time − that print's gateway write.
    const print = (now: number, price: number) => {
      const s = seqOf(price * 1e9);
      if (s < current.firstSeq || s >= seq) {
        // The previous run's price, replayed on subscribe — or one this bench never sent.
        if (s < 0 || s >= seq || c.received > 0) current.foreign++;
        return;
      }
      c.received++;
      c.lastSeq = s;
      const ms = now - sentAt[s]!;
      current.hist.add(ms);
      current.per[c.slot]!.add(ms);
    };
    ws.onmessage = (e) => {
      const now = performance.now();
      const d = e.data as string;
      // {"t":"trade",…} (one print) and {"t":"trades",…,"p":[…],…} (every print of a burst, in
      // order) are the only message types starting with 't'; skip JSON.parse on the hot path.
      if (d.charCodeAt(6) === 116) {
        if (d.charCodeAt(11) === 115) {
          for (let i = d.indexOf('"p":[') + 5; ; i = numEnd + 1) {
            print(now, numberAt(d, i));
            if (d.charCodeAt(numEnd) !== 44) break; // ','
          }
        } else print(now, numberAt(d, d.indexOf('"p":') + 4));
      } else if (d.startsWith('{"t":"subscribed"')) resolve(c);
    };
  });
}

interface Target {
  url: string;
  token: string;
  stop(): Promise<void>;
}
interface SlotResult {
  n: number;
  recvMin: number;
  recvAvg: number;
  hist: Histogram;
}
interface RunResult extends Run {
  n: number;
  sent: number;
  recvMin: number;
  recvAvg: number;
  received: number;
  openMs: number;
  tailMs: number;
  short: number;
  unsent: number;
  maxOpen: number;
  slots: SlotResult[];
}

/** `n` clients spread evenly over the targets (client i on target i mod k), `seconds` of trades at RATE. */
async function run(n: number, seconds: number, targets: Target[]): Promise<RunResult> {
  const r: Run = (current = newRun(targets.length));
  const t0 = performance.now();
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 50) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, j) => {
          const slot = (i + j) % targets.length;
          return openClient(targets[slot]!.url.replace("http", "ws") + "/ws", targets[slot]!.token, slot);
        }),
      )),
    );
  }
  const openMs = performance.now() - t0;
  const firstSeq = seq;
  const total = Math.round(RATE * seconds);
  let unsent = 0;
  maxOpen = 0;
  await new Promise<void>((done) => {
    const start = performance.now();
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE)) - (seq - firstSeq);
      // Stamped and counted as sent even without a live session (the feed lease moving mid-run),
      // so such a gap shows as prints not received.
      if (due > 0 && !sendTrades(due)) unsent += due;
      if (seq - firstSeq >= total) {
        clearInterval(timer);
        done();
      }
    }, PACE_MS);
  });
  // Let every client catch up to the last trade (slow ones get it as their latest-only value).
  const tail0 = performance.now();
  while (clients.some((c) => c.lastSeq < seq - 1) && performance.now() - tail0 < 60_000) await Bun.sleep(10);
  const tailMs = performance.now() - tail0;
  const short = clients.filter((c) => c.lastSeq < seq - 1).length;
  for (const c of clients) c.ws.close();
  await Promise.all(clients.map((c) => c.closed));
  const summary = (cs: Client[]) => {
    const recv = cs.map((c) => c.received);
    return { recvMin: cs.length ? Math.min(...recv) : 0, received: recv.reduce((a, b) => a + b, 0) };
  };
  const all = summary(clients);
  const slots = targets.map((_, slot) => {
    const cs = clients.filter((c) => c.slot === slot);
    const s = summary(cs);
    return { n: cs.length, recvMin: s.recvMin, recvAvg: cs.length ? s.received / cs.length : 0, hist: r.per[slot]! };
  });
  return {
    ...r,
    n,
    sent: total,
    recvMin: all.recvMin,
    recvAvg: all.received / n,
    received: all.received,
    openMs,
    tailMs,
    short,
    unsent,
    maxOpen,
    slots,
  };
}

// --- clean-up: every child process, the schema and the gateway, also on Ctrl-C and errors --------
const cleanups: { name: string; fn: () => Promise<void> }[] = [];
/** Registers a clean-up step; the returned function runs it now (once) and drops it from the list. */
function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await fn();
  };
}
let cleaning: Promise<void> | undefined;
/** Runs what is still registered, newest first (server processes before the gateway). */
function cleanUp(): Promise<void> {
  return (cleaning ??= (async () => {
    while (cleanups.length) {
      const { name, fn } = cleanups.pop()!;
      await fn().catch((err) => console.error(`clean-up (${name}) failed: ${(err as Error).message}`));
    }
  })());
}
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the server processes and dropping the schema…`);
    void cleanUp().finally(() => process.exit(code));
  });
}

/** The real server, FEED=databento against the bench's gateway, with a user and an API token. */
async function bootServer(gatewayAddr: string, measureHub: boolean): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-ws-"));
  const server = await startServer(
    loadConfig({
      PORT: "0",
      DATA_DIR: dataDir,
      SECRET_KEY: "5a".repeat(32),
      FEED: "databento",
      DATABENTO_API_KEY: API_KEY,
      DATABENTO_GATEWAY: gatewayAddr,
    }),
    memoryLogger("warn"),
  );
  // Subscribed after the service's own handler. The hub publishes a burst's prints in a microtask
  // queued at its first print; the one queued here at the first print runs after it, so each
  // print is timed once it was handed to the sockets (topic publish returned).
  if (measureHub) {
    const pending: number[] = [];
    const measure = () => {
      const now = performance.now();
      for (const s of pending) if (s >= current.firstSeq && s < seq) current.hub.add(now - sentAt[s]!);
      pending.length = 0;
    };
    server.ctx.marketData.bus.subscribe({
      trade: (t) => {
        if (pending.push(seqOf(t.price)) === 1) queueMicrotask(measure);
      },
    });
  }
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await server.ctx.users.create("bench", "a long enough password", actor);
  const token = (await server.ctx.tokens.create(user.id, "bench-ws", actor)).token;
  const stop = onCleanup("server", async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { url: server.url, token, stop };
}

/** --split: the same server in a child Bun process; it prints {url, token} and stops at stdin EOF. */
async function spawnServer(gatewayAddr: string): Promise<Target> {
  const child = Bun.spawn(["bun", import.meta.path, "--serve", gatewayAddr], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  // Stopped at stdin EOF (it removes its data directory); killed if it does not stop in time.
  const stop = onCleanup("server process", async () => {
    try {
      child.stdin.end();
    } catch {}
    const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => undefined)]);
    if (code === undefined) {
      child.kill("SIGKILL");
      await child.exited;
      throw new Error("the server process did not stop within 10 s: killed");
    }
    if (code !== 0) throw new Error(`the server process failed (exit code ${code})`);
  });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server process exited before it was ready");
    out += new TextDecoder().decode(value);
  }
  const { url, token } = JSON.parse(out) as { url: string; token: string };
  return { url, token, stop };
}

if (process.argv.includes("--serve")) {
  const target = await bootServer(arg("serve", ""), false);
  console.log(JSON.stringify({ url: target.url, token: target.token }));
  await Bun.stdin.text(); // until the bench closes our stdin
  await target.stop();
  process.exit(0);
}

// --- cluster mode: real server processes on one fresh Postgres schema and NATS ---------------
interface Cluster {
  schema: string;
  nats: string;
  targets: Target[];
  /** Warn/error events each instance logged so far, by "level event". */
  events: Map<string, number>[];
  /** Each instance's /healthz (undefined: no answer). */
  health(): Promise<(any | undefined)[]>;
  stop(): Promise<void>;
}

/** Ports free right now (the instances bind them a moment later). */
function freePorts(n: number): number[] {
  const listeners = Array.from({ length: n }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}

/** Keeps the last lines a child wrote (for the error message if it dies) and counts its warn/error events; the pipe never fills. */
function keepTail(stream: ReadableStream<Uint8Array>, tail: string[], events: Map<string, number>): void {
  void (async () => {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + dec.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const l of lines) {
        if (!l.trim()) continue;
        tail.push(l);
        if (tail.length > 30) tail.shift();
        try {
          const e = JSON.parse(l) as { level?: string; event?: string; reason?: unknown };
          const key = `${e.level} ${e.event}${String(e.reason).startsWith("rebalanced") ? " (rebalanced)" : ""}`;
          if (e.level === "warn" || e.level === "error") events.set(key, (events.get(key) ?? 0) + 1);
        } catch {}
      }
    }
  })().catch(() => {});
}

/** Until something accepts TCP connections at host:port. */
async function listening(host: string, port: number, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: host,
        port,
        socket: {
          open: (s) => (s.end(), resolve(true)),
          data() {},
          error: () => resolve(false),
          connectError: () => resolve(false),
        },
      }).catch(() => resolve(false));
    });
    if (ok) return true;
    await Bun.sleep(50);
  }
  return false;
}

/**
 * `count` instances of `src/main.ts serve`, as an operator runs them (cf. src/cluster/test-cluster.ts):
 * a fresh schema, migrated, with the bench user and its API token; FEED=databento at the bench's
 * gateway on every instance (only the feed leader connects), NATS_URL for the cluster mode.
 */
async function bootCluster(gatewayAddr: string, count: number): Promise<Cluster> {
  const schema = `bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const db = await connectDatabase({ databaseUrl: PG_URL, dataDir: "", schema, poolSize: 2 });
  const procs: { proc: Subprocess<"ignore", "pipe", "pipe">; tail: string[]; events: Map<string, number> }[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "bench-ws-cluster-"));
  let natsServer: Subprocess<"ignore", "ignore", "pipe"> | undefined;
  const stop = onCleanup("cluster", async () => {
    for (const p of procs) p.proc.kill("SIGTERM");
    const all = Promise.all(procs.map((p) => p.proc.exited));
    // A clean shutdown gives its leases back; one that does not finish in time is killed.
    if (!(await Promise.race([all.then(() => true), Bun.sleep(5_000).then(() => false)])))
      for (const p of procs) p.proc.kill("SIGKILL");
    await all;
    natsServer?.kill("SIGTERM");
    await natsServer?.exited;
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.db);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  let natsUrl = NATS_ARG;
  if (NATS_ARG === "private") {
    // Debian installs it in /usr/sbin, which not every PATH has.
    const natsBin =
      Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/local/bin" });
    if (!natsBin) throw new Error("--nats private: no nats-server on PATH");
    const [port] = freePorts(1);
    natsServer = Bun.spawn([natsBin, "-a", "127.0.0.1", "-p", String(port)], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    keepTail(natsServer.stderr, [], new Map());
    if (!(await listening("127.0.0.1", port!, 10_000))) throw new Error("the bench's nats-server did not start");
    natsUrl = `nats://127.0.0.1:${port}`;
  }
  await migrateUp(db.db);
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await new UsersService(db.db).create("bench", "a long enough password", actor);
  const token = (await new ApiTokensService(db.db).create(user.id, "bench-ws", actor)).token;
  const dbUrl = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  // The app's own variables come only from here (as loadConfig({…}) for the in-process server);
  // the rest of the environment (PATH, BUN_*) is passed on.
  const env: Record<string, string> = {};
  const appVars = new Set(Object.keys(configSchema.shape));
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !appVars.has(k)) env[k] = v;
  const ports = freePorts(count);
  const main = join(import.meta.dir, "../src/main.ts");
  for (let i = 0; i < count; i++) {
    const proc = Bun.spawn(["bun", main, "serve"], {
      env: {
        ...env,
        PORT: String(ports[i]),
        HOST: "127.0.0.1",
        DATABASE_URL: dbUrl,
        NATS_URL: natsUrl,
        DATA_DIR: join(dataDir, String(i)),
        SECRET_KEY: "5a".repeat(32),
        FEED: "databento",
        DATABENTO_API_KEY: API_KEY,
        DATABENTO_GATEWAY: gatewayAddr,
        LOG_LEVEL: "warn",
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const tail: string[] = [];
    const events = new Map<string, number>();
    keepTail(proc.stdout, tail, events);
    keepTail(proc.stderr, tail, events);
    procs.push({ proc, tail, events });
  }
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const health = () =>
    Promise.all(
      urls.map((u) =>
        fetch(`${u}/healthz`).then(
          (r) => r.json(),
          () => undefined,
        ),
      ),
    );
  const end = performance.now() + 60_000;
  for (;;) {
    const dead = procs.findIndex((p) => p.proc.exitCode !== null);
    if (dead >= 0)
      throw new Error(`instance ${dead} exited (${procs[dead]!.proc.exitCode}):\n  ${procs[dead]!.tail.join("\n  ")}`);
    if ((await health()).every((h) => h?.status === "ok")) break;
    if (performance.now() > end) throw new Error("the instances did not answer /healthz within 60 s");
    await Bun.sleep(100);
  }
  return {
    schema,
    nats: natsServer ? `${natsUrl} (the bench's own nats-server)` : natsUrl.replace(/\/\/[^@/]*@/, "//***@"),
    events: procs.map((p) => p.events),
    targets: urls.map((url) => ({ url, token, stop: async () => {} })),
    health,
    stop,
  };
}

const roleOf = (h: any): string => (h?.feed?.role as string | undefined) ?? "?";

/** Until every instance's feed is live, one of them the leader, the others followers; a trickle of trades meanwhile. */
async function awaitClusterFeed(cluster: Cluster, gateway: FakeGateway): Promise<string[]> {
  const end = performance.now() + 60_000;
  for (;;) {
    const hs = await cluster.health();
    const roles = hs.map(roleOf);
    if (
      hs.every((h) => h?.feed?.state === "live") &&
      roles.filter((r) => r === "leader").length === 1 &&
      roles.filter((r) => r === "follower").length === hs.length - 1
    )
      return roles;
    if (performance.now() > end) {
      throw new Error(
        `the feed did not go live on every instance within 60 s: ${hs.map((h, i) => `${i}: ${JSON.stringify(h?.feed ?? "no answer")}`).join(", ")}; ` +
          `gateway sessions: ${gateway.sessions.length} (${gateway.sessions.filter((x) => x.closed).length} closed); ` +
          `warnings: ${cluster.events.flatMap((m, i) => [...m].map(([k, v]) => `${i}: ${k} ×${v}`)).join("; ")}`,
      );
    }
    // A follower is live once a relayed record reached it: keep records coming (seq below any run's).
    sendTrades(1);
    await Bun.sleep(50);
  }
}

// --- set-up: gateway, then the real server pointing at it --------------------------------
/** Until the gateway has started more than `before` sessions and one is open. */
async function awaitSession(before: number, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(10))
    if (feeds.length > before && openFeeds().length) return true;
  return false;
}
let exitCode = 0;
try {
  const gateway = startFakeGateway({
    apiKeys: [API_KEY],
    onStart: (s) => feeds.push(startSessionFeed(s, { instruments: [INSTRUMENT] })),
  });
  onCleanup("gateway", async () => gateway.stop());
  const gatewayAddr = `${gateway.host}:${gateway.port}`;
  const target = SPLIT ? await spawnServer(gatewayAddr) : await bootServer(gatewayAddr, true);
  if (!(await awaitSession(0, 5_000))) throw new Error("the server never started a gateway session");

  const cmd = `bun bench/ticks-to-ws.ts --seconds ${SECONDS} --rate ${RATE} --clients ${CLIENTS.join(",")}${SPLIT ? " --split" : ""}${CLUSTER ? ` --cluster --instances ${INSTANCES}${process.argv.includes("--nats") ? ` --nats ${NATS_ARG}` : ""}` : ""}`;
  console.log(`command: ${cmd}`);
  console.log(
    `MBP-1 trade records at ${RATE.toLocaleString()}/s for ${SECONDS} s per run (batches every ${PACE_MS} ms); one symbol (MES)`,
  );
  console.log(
    SPLIT
      ? "server in a child process; gateway and clients in this one"
      : "gateway, server and clients in this one process",
  );
  await run(1, WARMUP_S, [target]); // JIT warm-up, not reported

  const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));
  const results: RunResult[] = [];
  if (!CLUSTER) {
    const header = [
      "clients",
      "sent",
      "recv min",
      "recv avg",
      "coalesced",
      "hub p50",
      "hub p99",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
    ];
    const line = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(i === 4 ? 13 : 9)).join(""));
    console.log("");
    line(header);
    for (const n of CLIENTS) {
      const res = await run(n, SECONDS, [target]);
      results.push(res);
      const h = res.hist;
      const coalesced = res.sent - res.recvAvg;
      const row = [
        String(n),
        String(res.sent),
        String(res.recvMin),
        res.recvAvg.toFixed(0),
        `${coalesced.toFixed(0)} (${((coalesced / res.sent) * 100).toFixed(0)}%)`,
        ...(SPLIT ? ["–", "–"] : [fmt(res.hub.quantile(0.5)), fmt(res.hub.quantile(0.99))]),
        fmt(h.quantile(0.5)),
        fmt(h.quantile(0.9)),
        fmt(h.quantile(0.99)),
        fmt(h.quantile(0.999)),
        fmt(h.max),
      ];
      line(row);
    }

    console.log("\nnotes:");
    for (const r of results)
      console.log(
        `  N=${r.n}: ${r.hist.count.toLocaleString()} latency samples; clients opened+subscribed in ${r.openMs.toFixed(0)} ms; last trade reached ${r.short ? `only ${r.n - r.short} of ${r.n} clients within` : "every client"} ${r.tailMs.toFixed(0)} ms after the last write`,
      );
    const p99at100 = results.find((r) => r.n === 100)?.hist.quantile(0.99);
    if (p99at100 !== undefined)
      console.log(`  target p99 ≤ 1 ms at N = 100: ${p99at100 <= 1 ? "met" : "NOT met"} (${fmt(p99at100)} ms)`);
    console.log(`  latency = client receive − gateway write, one performance.now() clock; percentiles from a 1 %-wide log histogram.
  hub p50/p99 = gateway write → decoded, on the bus and handed to every socket (topic publish returned); in-process only.
  The server sends what one decoded chunk holds as one message per symbol ({"t":"trades",…}: every print in
  order, one latency sample each, and the book at the end of the chunk when it moved).
  coalesced = sent − received prints (avg per client): a client whose socket backs up (> 64 KB unsent in the
  server) is served latest-only.
  ${SPLIT ? "Gateway and clients share this process, the server has its own" : "Gateway, server and all clients share one process"}, on ${navigator.hardwareConcurrency} CPU cores: with many clients
  their receive work (one JS event per message) dominates, so those rows measure the client side more than the server.`);
  } else {
    // 1. the single-process server, as without --cluster
    const single: RunResult[] = [];
    for (const n of CLIENTS) single.push(await run(n, SECONDS, [target]));
    await target.stop();
    // 2. the cluster, on the same gateway: its feed leader opens a session of its own
    const before = feeds.length;
    const tBoot = performance.now();
    const cluster = await bootCluster(gatewayAddr, INSTANCES);
    console.log(
      `cluster: ${INSTANCES} instances (src/main.ts serve, separate processes) on Postgres ${redactUrl(PG_URL)}#${cluster.schema}, NATS ${cluster.nats}; up in ${((performance.now() - tBoot) / 1000).toFixed(1)} s`,
    );
    if (!(await awaitSession(before, 30_000))) throw new Error("no instance of the cluster started a gateway session");
    const roles0 = await awaitClusterFeed(cluster, gateway);
    console.log(
      `feed live on every instance ${((performance.now() - tBoot) / 1000).toFixed(1)} s after start; roles: ${roles0.map((r, i) => `${i} ${r}`).join(", ")}`,
    );
    await run(INSTANCES, WARMUP_S, cluster.targets); // JIT warm-up of every instance, not reported
    const clustered: { res: RunResult; roles: string[] }[] = [];
    for (const n of CLIENTS) {
      const res = await run(n, SECONDS, cluster.targets);
      clustered.push({ res, roles: (await cluster.health()).map(roleOf) });
    }
    const sessions = gateway.sessions.length;
    // What the instances warned about, less what this set-up always causes: the archive's Historical
    // backfill (no server here), the gateway refusing every symbol but MES, shards shared out at start.
    const expected = / archive\.|feed\.gateway_error|\(rebalanced\)/;
    const warned = cluster.events.flatMap((m, i) =>
      [...m].filter(([k]) => !expected.test(k)).map(([k, v]) => `${i}: ${k} ×${v}`),
    );

    const pct = (res: { received: number; expected: number }) => `${res.received}/${res.expected}`;
    const cols = [
      "clients",
      "server",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
      "received/expected",
      "recv min",
    ];
    const widths = [8, 36, 9, 9, 9, 9, 9, 22, 10];
    const line = (cells: string[]) =>
      console.log(cells.map((c, i) => (i === 1 ? `  ${c.padEnd(widths[i]!)}` : c.padStart(widths[i]!))).join(""));
    const row = (n: string, label: string, h: Histogram, received: number, expected: number, recvMin: number) =>
      line([
        n,
        label,
        fmt(h.quantile(0.5)),
        fmt(h.quantile(0.9)),
        fmt(h.quantile(0.99)),
        fmt(h.quantile(0.999)),
        fmt(h.max),
        pct({ received, expected }),
        String(recvMin),
      ]);
    console.log("");
    line(cols);
    for (let k = 0; k < CLIENTS.length; k++) {
      const s = single[k]!;
      const { res: c, roles } = clustered[k]!;
      row(
        String(s.n),
        SPLIT ? "one process (--split)" : "one process (in the bench's)",
        s.hist,
        s.received,
        s.sent * s.n,
        s.recvMin,
      );
      row(String(c.n), `cluster of ${INSTANCES}`, c.hist, c.received, c.sent * c.n, c.recvMin);
      c.slots.forEach((sl, i) =>
        row(
          "",
          `  instance ${i} (${roles[i]}, ${sl.n} clients)`,
          sl.hist,
          Math.round(sl.recvAvg * sl.n),
          c.sent * sl.n,
          sl.recvMin,
        ),
      );
    }
    console.log("\nnotes:");
    for (let k = 0; k < CLIENTS.length; k++) {
      const s = single[k]!;
      const c = clustered[k]!.res;
      const tail = (r: RunResult) =>
        `${r.short ? `only ${r.n - r.short} of ${r.n} clients` : "every client"} had the last trade ${r.tailMs.toFixed(0)} ms after its write`;
      console.log(
        `  N=${s.n}: one process: opened+subscribed in ${s.openMs.toFixed(0)} ms, ${tail(s)}${SPLIT ? "" : `; hub p50/p99 ${fmt(s.hub.quantile(0.5))}/${fmt(s.hub.quantile(0.99))} ms`}`,
      );
      console.log(
        `  N=${c.n}: cluster: opened+subscribed in ${c.openMs.toFixed(0)} ms, ${tail(c)}${c.unsent ? `; ${c.unsent} prints written with no gateway session open` : ""}${c.maxOpen > 1 ? `; ${c.maxOpen} gateway sessions open at once` : ""}`,
      );
    }
    const foreign = [...single, ...clustered.map((c) => c.res)].reduce((a, r) => a + r.foreign, 0);
    console.log(`  ${warned.length ? `instances' warnings: ${warned.join("; ")}\n  ` : ""}the gateway served ${sessions} sessions in all (1 for the single-process server, ${sessions - 1} for the cluster: more than 1 means the feed lease moved)${foreign ? `; ${foreign} prices received that this bench never sent (another feed on the same NATS?)` : ""}
  latency = client receive − gateway write, one performance.now() clock; percentiles from a 1 %-wide log histogram.
  received/expected = prints received by all clients / (prints sent × clients); recv min = fewest prints one client got.
  Cluster: the gateway's session is the feed leader's; its records reach the other instances through NATS
  (cluster/feed-relay.ts), which feed them to their own sockets, so a follower's clients pay the relay hop.
  Clients are spread evenly over the instances, each on an instance's own port (no proxy). Gateway and all
  clients share this process; the ${INSTANCES} instances ${SPLIT ? "and the single-process server " : ""}have their own, all on ${navigator.hardwareConcurrency} CPU cores.`);
    await cluster.stop();
  }
} catch (err) {
  console.error(`ticks-to-ws: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
