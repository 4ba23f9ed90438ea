// End-to-end price latency: a fake Databento gateway writes MBP-1 trade records (DBN over the
// Live protocol) → the real server (LiveClient → decoder → bus → PriceHub → /ws) → N
// authenticated WebSocket clients. Each trade's price carries its sequence number
// (price = 5000 + seq ticks of 0.25) and the bench keeps seq → performance.now() at the gateway
// write, so a client's receive time minus that is the latency, read on one clock.
//   bun bench/ticks-to-ws.ts [--seconds 5] [--rate 5000] [--clients 1,100,1000] [--split]
// Default: gateway, server and clients in this one process. --split runs the server in a child
// process (this file with --serve) so it has a core of its own; gateway and clients stay here,
// so send and receive times still come from the same clock.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/app/server";
import { loadConfig } from "../src/config/config";
import { memoryLogger } from "../src/log/logger";
import { RType } from "../src/market-data/dbn/constants";
import type { DbnRecord } from "../src/market-data/dbn/record-codec";
import { startFakeGateway } from "../src/market-data/databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../src/market-data/databento/gateway-feed";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const SECONDS = Number(arg("seconds", "5"));
const RATE = Number(arg("rate", "5000"));
const CLIENTS = arg("clients", "1,100,1000").split(",").map(Number);
const WARMUP_S = 1;
const PACE_MS = 2;

const INSTRUMENT: InstrumentRef = { instrumentId: 900_001, raw: "MESZ6", aliases: ["MES.c.0", "MES"] };
const BASE_NANOS = 5000_000_000_000; // 5000.00
const TICK_NANOS = 250_000_000; // 0.25
const API_KEY = "db-" + "B".repeat(24) + "bench"; // 32 chars; the bench's gateway accepts only this

// seq → performance.now() of the gateway write; seq runs on across runs so a stale "current
// price" replayed on subscribe can never be mistaken for a fresh one.
const sentAt = new Float64Array(Math.ceil(RATE * (SECONDS + 1) * (CLIENTS.length + 1) + RATE * (WARMUP_S + 1)));
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
    price: px, size: 1, action: "T", side: s % 2 ? "A" : "B", flags: 128, depth: 0,
    ts_recv: ns + 150_000n, ts_in_delta: 12_000, sequence: s,
    // The trade price carries the sequence number; the book moves every 10th print, as a
    // real top of book changes less often than trades print.
    levels: [{ bid_px: BigInt(BASE_NANOS + Math.floor(s / 10) * TICK_NANOS), ask_px: BigInt(BASE_NANOS + (Math.floor(s / 10) + 1) * TICK_NANOS), bid_sz: 10, ask_sz: 12, bid_ct: 1, ask_ct: 1 }],
  };
}

/** The run being measured: client latencies, and (server in this process) gateway → hub publish. */
interface Run { firstSeq: number; hist: Histogram; hub: Histogram }
let current: Run = { firstSeq: 0, hist: new Histogram(), hub: new Histogram() };
const seqOf = (priceNanos: number) => Math.round((priceNanos - BASE_NANOS) / TICK_NANOS);

interface Client {
  ws: WebSocket;
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
function openClient(url: string, token: string): Promise<Client> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  const c: Client = { ws, received: 0, lastSeq: -1, closed: new Promise((r) => ws.addEventListener("close", () => r())) };
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error("websocket error"));
    ws.onopen = () => ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
    // One latency sample per print: receive time − that print's gateway write.
    const print = (now: number, price: number) => {
      const s = seqOf(price * 1e9);
      if (s < current.firstSeq || s >= seq) return; // the previous run's price, replayed on subscribe
      c.received++;
      c.lastSeq = s;
      current.hist.add(now - sentAt[s]!);
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

interface Target { url: string; token: string; stop(): Promise<void> }
interface RunResult extends Run { n: number; sent: number; recvMin: number; recvAvg: number; openMs: number; tailMs: number; short: number }

async function run(n: number, seconds: number, target: Target, feed: SessionFeed): Promise<RunResult> {
  const url = target.url.replace("http", "ws") + "/ws";
  const r: Run = (current = { firstSeq: seq, hist: new Histogram(), hub: new Histogram() });
  const t0 = performance.now();
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => openClient(url, target.token)))));
  }
  const openMs = performance.now() - t0;
  const firstSeq = seq;
  const total = Math.round(RATE * seconds);
  await new Promise<void>((done) => {
    const start = performance.now();
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE)) - (seq - firstSeq);
      if (due > 0) {
        const batch: DbnRecord[] = [];
        for (let i = 0; i < due; i++) batch.push(tradeRecord(seq + i));
        const t = performance.now();
        for (let i = 0; i < due; i++) sentAt[seq + i] = t;
        seq += due;
        feed.send(batch);
      }
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
  const recv = clients.map((c) => c.received);
  return { ...r, n, sent: total, recvMin: Math.min(...recv), recvAvg: recv.reduce((a, b) => a + b, 0) / n, openMs, tailMs, short };
}

/** The real server, FEED=databento against the bench's gateway, with a user and an API token. */
async function bootServer(gatewayAddr: string, measureHub: boolean): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-ws-"));
  const server = await startServer(
    loadConfig({ PORT: "0", DATA_DIR: dataDir, SECRET_KEY: "5a".repeat(32), FEED: "databento", DATABENTO_API_KEY: API_KEY, DATABENTO_GATEWAY: gatewayAddr }),
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
    server.ctx.marketData.bus.subscribe({ trade: (t) => {
      if (pending.push(seqOf(t.price)) === 1) queueMicrotask(measure);
    } });
  }
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await server.ctx.users.create("bench", "a long enough password", actor);
  const token = (await server.ctx.tokens.create(user.id, "bench-ws", actor)).token;
  const stop = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url: server.url, token, stop };
}

/** --split: the same server in a child Bun process; it prints {url, token} and stops at stdin EOF. */
async function spawnServer(gatewayAddr: string): Promise<Target> {
  const child = Bun.spawn(["bun", import.meta.path, "--serve", gatewayAddr], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server process exited before it was ready");
    out += new TextDecoder().decode(value);
  }
  const { url, token } = JSON.parse(out) as { url: string; token: string };
  const stop = async () => {
    child.stdin.end();
    if ((await child.exited) !== 0) throw new Error("the server process failed");
  };
  return { url, token, stop };
}

if (process.argv.includes("--serve")) {
  const target = await bootServer(arg("serve", ""), false);
  console.log(JSON.stringify({ url: target.url, token: target.token }));
  await Bun.stdin.text(); // until the bench closes our stdin
  await target.stop();
  process.exit(0);
}

// --- set-up: gateway, then the real server pointing at it --------------------------------
const SPLIT = process.argv.includes("--split");
let session: SessionFeed | undefined;
const gateway = startFakeGateway({ apiKeys: [API_KEY], onStart: (s) => (session = startSessionFeed(s, { instruments: [INSTRUMENT] })) });
const gatewayAddr = `${gateway.host}:${gateway.port}`;
const target = SPLIT ? await spawnServer(gatewayAddr) : await bootServer(gatewayAddr, true);
for (let i = 0; i < 500 && !session; i++) await Bun.sleep(10);
if (!session) throw new Error("the server never started a gateway session");
const feed: SessionFeed = session;

const cmd = `bun bench/ticks-to-ws.ts --seconds ${SECONDS} --rate ${RATE} --clients ${CLIENTS.join(",")}${SPLIT ? " --split" : ""}`;
console.log(`command: ${cmd}`);
console.log(`MBP-1 trade records at ${RATE.toLocaleString()}/s for ${SECONDS} s per run (batches every ${PACE_MS} ms); one symbol (MES)`);
console.log(SPLIT ? "server in a child process; gateway and clients in this one" : "gateway, server and clients in this one process");
await run(1, WARMUP_S, target, feed); // JIT warm-up, not reported

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));
const header = ["clients", "sent", "recv min", "recv avg", "coalesced", "hub p50", "hub p99", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"];
const line = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(i === 4 ? 13 : 9)).join(""));
console.log("");
line(header);
const results: RunResult[] = [];
for (const n of CLIENTS) {
  const res = await run(n, SECONDS, target, feed);
  results.push(res);
  const h = res.hist;
  const coalesced = res.sent - res.recvAvg;
  const row = [
    String(n), String(res.sent), String(res.recvMin), res.recvAvg.toFixed(0),
    `${coalesced.toFixed(0)} (${((coalesced / res.sent) * 100).toFixed(0)}%)`,
    ...(SPLIT ? ["–", "–"] : [fmt(res.hub.quantile(0.5)), fmt(res.hub.quantile(0.99))]),
    fmt(h.quantile(0.5)), fmt(h.quantile(0.9)), fmt(h.quantile(0.99)), fmt(h.quantile(0.999)), fmt(h.max),
  ];
  line(row);
}

console.log("\nnotes:");
for (const r of results) console.log(`  N=${r.n}: ${r.hist.count.toLocaleString()} latency samples; clients opened+subscribed in ${r.openMs.toFixed(0)} ms; last trade reached ${r.short ? `only ${r.n - r.short} of ${r.n} clients within` : "every client"} ${r.tailMs.toFixed(0)} ms after the last write`);
const p99at100 = results.find((r) => r.n === 100)?.hist.quantile(0.99);
if (p99at100 !== undefined) console.log(`  target p99 ≤ 1 ms at N = 100: ${p99at100 <= 1 ? "met" : "NOT met"} (${fmt(p99at100)} ms)`);
console.log(`  latency = client receive − gateway write, one performance.now() clock; percentiles from a 1 %-wide log histogram.
  hub p50/p99 = gateway write → decoded, on the bus and handed to every socket (topic publish returned); in-process only.
  The server sends what one decoded chunk holds as one message per symbol ({"t":"trades",…}: every print in
  order, one latency sample each, and the book at the end of the chunk when it moved).
  coalesced = sent − received prints (avg per client): a client whose socket backs up (> 64 KB unsent in the
  server) is served latest-only.
  ${SPLIT ? "Gateway and clients share this process, the server has its own" : "Gateway, server and all clients share one process"}, on ${navigator.hardwareConcurrency} CPU cores: with many clients
  their receive work (one JS event per message) dominates, so those rows measure the client side more than the server.`);

await target.stop();
gateway.stop();
process.exit(0);
