import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { concatBytes } from "../shared/bytes";
import type { Logger } from "../log/logger";
import type { DatabaseHandle } from "../persistence/connect";
import { barsBetween, type ArchivedBar } from "../persistence/repositories/ohlcv-repo";
import { createTestDatabase, testDatabaseKind } from "../persistence/test-database";
import { ArchiveService } from "./archive/archive-service";
import { startFakeGateway, type FakeGateway } from "./databento/fake-gateway";
import { startFakeHistorical, type FakeHistorical } from "./databento/fake-historical";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "./databento/gateway-feed";
import { HistoricalClient } from "./databento/historical-client";
import { RType, schemaCode, stypeCode } from "./dbn/constants";
import { encodeMetadata } from "./dbn/metadata";
import { encodeRecord, type DbnRecord } from "./dbn/record-codec";
import { continuousSymbol, DEFAULT_ROLL_RULES } from "./instruments/roll-rule";
import { exchangeTime, fromExchangeTime, nextClose, nextOpen } from "./instruments/trading-hours";
import { MarketDataService, type RollEvent, type ServiceTimers } from "./service/market-data-service";

/**
 * A week of Databento Live on a simulated clock (issue 16, "Done when"): the fake gateway and
 * the fake Historical API serve one generated CME market (ES and GC, two contract months each,
 * trades every few seconds, Databento-style ohlcv-1m bars for every minute with trades) to the
 * market-data service (kind "databento") and the one-minute archive (PGlite), wired as
 * src/app/market-data-startup.ts wires them. The week (Wed 9 Dec 2026 17:00 CT to Wed 16 Dec):
 *
 *   Thu 09:00  an ES position is opened on ESZ6
 *   Thu 16:30  ES volume leader becomes ESH7 (the gateway maps ES.v.0 anew for new subscriptions)
 *   Thu 17:01  daily re-subscription: ES roll "held" (the position stays on ESZ6)
 *   Fri 10:17:40 → 10:18:30  the line drops for 50 s while ES is held: intraday replay must bring
 *              back what was missed, of the held contract too
 *   Sat 02:15  the gateway's weekly restart; afterwards it has replay only from its restart on
 *              ("less over weekends"), so the replay the client asks for gets code 8
 *   Mon 10:00  the ES position is closed: ES "rolled" to ESH7
 *   Mon 11:17:40 → 11:18:30  the line drops again for 50 s (both rolls done)
 *   Mon 13:00  ESZ6 expires (first expiry)
 *   Mon 16:30  GC volume leader becomes GCG7; 17:01 re-subscription: GC "rolled" at once (no position)
 *   Tue 04:00  GCZ6 expires (second expiry)
 *   Tue 06:00:30 → Wed 12:00:30  30-hour outage: the gateway refuses every connection; afterwards the
 *              gap is beyond the replay window, the client reconnects without start, the archive
 *              fills the gap from the Historical API
 *
 * Time: one clock (`clock.now`) is the service's `now`, its timers (ServiceTimers), the client's
 * clock, the gateway's and the Historical API's. The test advances it in 10 s steps: the market's
 * records of the step go to the live session, then a barrier (a system message through the
 * session) waits until the service has processed them, then the service's timers due run. While
 * the client reconnects (real backoff, sub-second) the clock stands still.
 *
 * Asserted: (1) per root, the engine-facing bus carries exactly the prints of the contract its
 * positions hold while held, else the current one — every one, once, none of the other contract —
 * except those of the outage; no silence in open market beyond the outage; (2) the archive has, for
 * every minute with trades, Databento's bar of that contract (no partial bar rebuilt from trades, no
 * minute missing); (3) the roll events, in order, with their contracts and times.
 */

const KEY = "db-" + "k".repeat(29);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const STEP = 10_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const ct = (day: number, hour: number, minute = 0) => fromExchangeTime(2026, 12, day, hour, minute);

const T = {
  start: ct(9, 16, 50), // Wed, in the daily break; the market reopens at 17:00
  openPosition: ct(10, 9),
  remapES: ct(10, 16, 30),
  heldAt: ct(10, 17, 1),
  restart: ct(12, 2, 15),
  closePosition: ct(14, 10),
  expireESZ6: ct(14, 13),
  remapGC: ct(14, 16, 30),
  gcRollAt: ct(14, 17, 1),
  expireGCZ6: ct(15, 4),
  outageFrom: ct(15, 6) + 30_000,
  outageTo: ct(15, 6) + 30_000 + 30 * HOUR,
  end: ct(16, 17, 30),
  /** Short drops of the line (50 s, mid-minute): one while ES is held, one after both rolls. */
  drops: [ct(11, 10, 17) + 40_000, ct(14, 11, 17) + 40_000].map((from) => ({ from, to: from + 50_000 })),
};

function fmt(ms: number): string {
  const t = exchangeTime(ms);
  const d = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][t.weekday];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d} ${t.day} ${p(t.hour)}:${p(t.minute)}:${p(t.second)} CT`;
}

// ---------------------------------------------------------------------------------------------
// Simulated time for the service's clocks.

/** Timers on the simulated clock. runDue() runs what is due: timeouts in order, an interval once (a machine waking from sleep). */
class SimTimers implements ServiceTimers {
  private seq = 0;
  private readonly due = new Map<number, { at: number; every?: number; fn: () => void }>();
  constructor(private readonly clock: { now: number }) {}
  setTimeout = (fn: () => void, ms: number) => this.add(fn, ms);
  setInterval = (fn: () => void, ms: number) => this.add(fn, ms, Math.max(1, ms));
  clearTimeout = (h: unknown) => void this.due.delete(h as number);
  clearInterval = (h: unknown) => void this.due.delete(h as number);
  private add(fn: () => void, ms: number, every?: number): number {
    const id = ++this.seq;
    this.due.set(id, { at: this.clock.now + Math.max(0, ms), every, fn });
    return id;
  }
  runDue(): void {
    const now = this.clock.now;
    const ready = [...this.due].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [id, t] of ready) {
      if (this.due.get(id) !== t) continue;
      if (t.every) t.at += Math.ceil((now - t.at + 1) / t.every) * t.every;
      else this.due.delete(id);
      t.fn();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The generated market.

/** Seeded PRNG (mulberry32): the same week every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface MarketTrade {
  tsMs: number;
  recvMs: number;
  price: number;
  size: number;
}
interface MarketBar {
  startMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}
interface Contract {
  ref: InstrumentRef;
  root: "ES" | "GC";
  tick: number;
  ticks: number;
  /** Receive time (ns) of its next trade. */
  next: bigint;
  seq: number;
  expiresAt: number;
  bar: MarketBar | undefined;
  trades: MarketTrade[];
  bars: Map<number, MarketBar>;
}
interface Emit {
  key: bigint;
  rec: DbnRecord;
}

/** CME Globex sessions (Sunday–Friday 17:00–16:00 CT, daily break) as [open, close) intervals. */
function sessions(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t < to; ) {
    const o = nextOpen(t);
    const c = nextClose(o);
    out.push([o, c]);
    t = c;
  }
  return out;
}

class Market {
  readonly contracts: Contract[];
  readonly byId = new Map<number, Contract>();
  /** Who leads volume (what the continuous `v` rule maps to) per root, with the time it took over. */
  readonly leaders: Record<"ES" | "GC", { from: number; id: number }[]>;
  /** Everything the gateway has published in the last ~25 h, in order: its intraday replay buffer. */
  private buffer: Emit[] = [];
  private head = 0;
  private readonly open: [number, number][];
  private readonly rnd = prng(16);

  constructor(from: number, to: number) {
    const mk = (
      id: number,
      raw: string,
      root: "ES" | "GC",
      tick: number,
      price: number,
      expiresAt: number,
    ): Contract => ({
      ref: { instrumentId: id, raw, aliases: [] },
      root,
      tick,
      ticks: Math.round(price / tick),
      next: ns(from),
      seq: 0,
      expiresAt,
      bar: undefined,
      trades: [],
      bars: new Map(),
    });
    this.contracts = [
      mk(5001, "ESZ6", "ES", 0.25, 6000, T.expireESZ6),
      mk(5002, "ESH7", "ES", 0.25, 6055.5, Infinity),
      mk(6001, "GCZ6", "GC", 0.1, 2650, T.expireGCZ6),
      mk(6002, "GCG7", "GC", 0.1, 2668.4, Infinity),
    ];
    for (const c of this.contracts) this.byId.set(c.ref.instrumentId, c);
    this.leaders = {
      ES: [
        { from: -Infinity, id: 5001 },
        { from: T.remapES, id: 5002 },
      ],
      GC: [
        { from: -Infinity, id: 6001 },
        { from: T.remapGC, id: 6002 },
      ],
    };
    this.open = sessions(from - DAY, to + DAY);
  }

  leaderAt(root: "ES" | "GC", ms: number): Contract {
    let id = this.leaders[root][0]!.id;
    for (const l of this.leaders[root]) if (l.from <= ms) id = l.id;
    return this.byId.get(id)!;
  }

  isOpen(ms: number): boolean {
    return this.open.some(([o, c]) => ms >= o && ms < c);
  }

  private nextOpenAfter(ms: number): number {
    for (const [o, c] of this.open) if (ms < c) return Math.max(o, ms);
    return Infinity;
  }

  /** The instruments as the gateway resolves them now: the leader of each root has its continuous alias. */
  refs(now: number): InstrumentRef[] {
    return this.contracts.map((c) => ({
      ...c.ref,
      aliases: this.leaderAt(c.root, now) === c ? [`${c.root}.c.0`] : [],
    }));
  }

  replayable(): DbnRecord[] {
    return this.buffer.slice(this.head).map((e) => e.rec);
  }

  /** The records the exchange and Databento publish in (previous call, tTo], in order. */
  advance(tTo: number): DbnRecord[] {
    const out: Emit[] = [];
    const toNs = ns(tTo);
    for (const c of this.contracts) {
      while (c.next <= toNs) {
        const recvMs = Number(c.next / 1_000_000n);
        if (recvMs >= c.expiresAt) {
          c.next = 1n << 62n; // expired: it trades no more
          break;
        }
        if (!this.isOpen(recvMs)) {
          const o = this.nextOpenAfter(recvMs);
          c.next = ns(o) + BigInt(Math.floor(this.rnd() * 3_000_000_000));
          continue;
        }
        this.trade(c, c.next, out);
        const leader = this.leaderAt(c.root, recvMs) === c;
        const gapMs = leader ? 2000 + this.rnd() * 4000 : 8000 + this.rnd() * 12000;
        c.next += BigInt(Math.floor(gapMs * 1e6)) + BigInt(Math.floor(this.rnd() * 1000));
      }
      if (c.bar && c.bar.startMs + MIN <= tTo) this.closeBar(c, out);
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const e of out) this.buffer.push(e);
    // The replay buffer keeps about a day (the gateway's window), not the whole week.
    const keep = ns(tTo - 25 * HOUR);
    while (this.head < this.buffer.length && this.buffer[this.head]!.key < keep) this.head++;
    if (this.head > 100_000) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return out.map((e) => e.rec);
  }

  private trade(c: Contract, recvNs: bigint, out: Emit[]): void {
    const recvMs = Number(recvNs / 1_000_000n);
    const tsNs = recvNs - BigInt(20_000 + Math.floor(this.rnd() * 880_000));
    const r = this.rnd();
    c.ticks += r < 0.35 ? -1 : r > 0.65 ? 1 : 0;
    const price = Math.round(c.ticks * c.tick * 1e9);
    const size = 1 + Math.floor(this.rnd() * 9);
    const tickN = Math.round(c.tick * 1e9);
    const minute = recvMs - (recvMs % MIN);
    if (c.bar && c.bar.startMs !== minute) this.closeBar(c, out);
    if (!c.bar) c.bar = { startMs: minute, open: price, high: price, low: price, close: price, volume: 0 };
    const b = c.bar;
    b.high = Math.max(b.high, price);
    b.low = Math.min(b.low, price);
    b.close = price;
    b.volume += size;
    c.trades.push({ tsMs: Number(tsNs / 1_000_000n), recvMs, price, size });
    out.push({
      key: recvNs,
      rec: {
        hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: c.ref.instrumentId, ts_event: tsNs },
        price: BigInt(price),
        size,
        action: "T",
        side: this.rnd() < 0.5 ? "B" : "A",
        flags: 128,
        depth: 0,
        ts_recv: recvNs,
        ts_in_delta: 0,
        sequence: ++c.seq,
        levels: [{ bid_px: BigInt(price), ask_px: BigInt(price + tickN), bid_sz: 3, ask_sz: 4, bid_ct: 1, ask_ct: 1 }],
      },
    });
  }

  /** Databento's bar of the minute: published when the minute is over, built from the minute's trades (by ts_recv). */
  private closeBar(c: Contract, out: Emit[]): void {
    const b = c.bar!;
    c.bar = undefined;
    c.bars.set(b.startMs, b);
    out.push({ key: ns(b.startMs + MIN), rec: barRecord(c.ref.instrumentId, b) });
  }

  /** Historical ohlcv-1m of a continuous symbol: each minute's bar of the contract the `v` rule maps to then. */
  historicalBars(symbol: string, startMs: number, endMs: number): DbnRecord[] {
    const root = symbol.split(".")[0] as "ES" | "GC";
    const out: { t: number; id: number; b: MarketBar }[] = [];
    for (const c of this.contracts) {
      if (c.root !== root) continue;
      for (const b of c.bars.values())
        if (b.startMs >= startMs && b.startMs < endMs && this.leaderAt(root, b.startMs) === c)
          out.push({ t: b.startMs, id: c.ref.instrumentId, b });
    }
    out.sort((a, b) => a.t - b.t || a.id - b.id);
    return out.map((x) => barRecord(x.id, x.b));
  }
}

function barRecord(id: number, b: MarketBar): DbnRecord {
  return {
    hd: { rtype: RType.OHLCV_1M, publisher_id: 1, instrument_id: id, ts_event: ns(b.startMs) },
    open: BigInt(b.open),
    high: BigInt(b.high),
    low: BigInt(b.low),
    close: BigInt(b.close),
    volume: BigInt(b.volume),
  };
}

/** A ns or ISO time parameter of the Historical API, in ms. */
function paramMs(v: string | null): number | undefined {
  if (v === null) return undefined;
  if (/^\d+$/.test(v)) return Number(BigInt(v) / 1_000_000n);
  return Date.parse(v);
}

// ---------------------------------------------------------------------------------------------
// The run.

interface Print {
  root: string;
  id: number;
  tsMs: number;
  recvMs: number;
  at: number;
}
interface LogLine {
  at: number;
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

const clock = { now: T.start };
let market: Market;
let h: DatabaseHandle;
let gw: FakeGateway;
let hist: FakeHistorical;
let svc: MarketDataService;
let archive: ArchiveService;
const feeds: SessionFeed[] = [];
const prints: Print[] = [];
const rolls: (RollEvent & { at: number })[] = [];
const lines: LogLine[] = [];
const notes: string[] = [];
let stored: Record<"ES" | "GC", ArchivedBar[]>;
let realMs = 0;

describe(`a week of Databento Live on the fake gateway (simulated clock, ${testDatabaseKind})`, () => {
  beforeAll(async () => {
    const t0 = performance.now();
    h = await createTestDatabase();
    market = new Market(T.start, T.end);
    const timers = new SimTimers(clock);
    const nowNs = () => ns(clock.now);
    let lastRestart = -Infinity;
    const openPositions = new Set<string>();
    const expired: number[] = [];

    gw = startFakeGateway({
      apiKeys: [KEY],
      now: nowNs,
      // About a day of intraday replay; after its weekly restart only what it has published since.
      replayWindowNs: () => ns(Math.min(DAY, clock.now - lastRestart)),
      onStart: (s) => {
        const f = startSessionFeed(s, { instruments: market.refs(clock.now), history: market.replayable() }, nowNs);
        for (const id of expired) f.expire(id);
        feeds.push(f);
      },
    });
    hist = startFakeHistorical({
      apiKey: KEY,
      datasetRange: () => ({
        start: new Date(T.start - 3 * DAY).toISOString(),
        end: new Date(clock.now - (clock.now % MIN)).toISOString(),
      }),
      range: (params) => {
        const start = paramMs(params.get("start"))!;
        const end = paramMs(params.get("end")) ?? clock.now;
        const recs = (params.get("symbols") ?? "").split(",").flatMap((sym) => market.historicalBars(sym, start, end));
        const head = encodeMetadata({
          schema: schemaCode("ohlcv-1m"),
          start: ns(start),
          end: ns(end),
          stype_in: stypeCode("continuous"),
          stype_out: stypeCode("instrument_id"),
        });
        return concatBytes([head, ...recs.map((r) => encodeRecord(r, 3))]);
      },
    });

    // A barrier: a system message through the session; when the service has logged it, everything
    // the gateway wrote before it has been processed.
    let barrierSeq = 0;
    let barrierSeen = 0;
    let wake: (() => void) | undefined;
    const logger: Logger = {
      debug: (e, f) => log("debug", e, f),
      info: (e, f) => log("info", e, f),
      warn: (e, f) => log("warn", e, f),
      error: (e, f) => log("error", e, f),
      child: () => logger,
    };
    function log(level: string, event: string, fields: Record<string, unknown> = {}) {
      if (event === "feed.system" && typeof fields.message === "string" && fields.message.startsWith("soak barrier ")) {
        barrierSeen = Math.max(barrierSeen, Number(fields.message.slice(13)));
        wake?.();
        return;
      }
      if (event === "feed.mapping") return;
      lines.push({ at: clock.now, level, event, fields });
    }
    const yieldIo = () => new Promise<void>((r) => setImmediate(r));
    async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<boolean> {
      const until = performance.now() + ms;
      while (!cond()) {
        if (performance.now() > until) {
          notes.push(`waited ${ms} ms (real) in vain for ${what} at ${fmt(clock.now)}`);
          return false;
        }
        await yieldIo();
      }
      return true;
    }
    const live = () => {
      const f = feeds[feeds.length - 1];
      return f && !f.closed ? f : undefined;
    };
    async function barrier(f: SessionFeed): Promise<boolean> {
      const n = ++barrierSeq;
      f.sendControl([
        {
          hd: { rtype: RType.SYSTEM, publisher_id: 0, instrument_id: 0, ts_event: nowNs() },
          msg: `soak barrier ${n}`,
          code: 255,
        },
      ]);
      const until = performance.now() + 10_000;
      while (barrierSeen < n) {
        if (f.closed) return false;
        if (performance.now() > until) {
          notes.push(`barrier ${n} never came back at ${fmt(clock.now)}`);
          return false;
        }
        await new Promise<void>((r) => {
          const timer = setTimeout(r, 50);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
      return true;
    }
    /** The clock stands still while the client reconnects: until a new session streams and its start is processed. */
    async function reconnected(why: string): Promise<void> {
      const before = feeds.length;
      if (!(await waitFor(`the client to reconnect (${why})`, () => feeds.length > before && live() !== undefined)))
        return;
      await barrier(live()!);
    }

    svc = new MarketDataService(
      { kind: "databento", apiKey: KEY, gateway: { host: gw.host, port: gw.port } },
      logger,
      ["ES", "GC"],
      () => clock.now,
    );
    svc.timers = timers;
    // Open positions per root, as src/app/roll-notices.ts answers from the engine's stored positions.
    svc.holdRoll = async (root) => openPositions.has(root);
    svc.onRoll((r) => void rolls.push({ ...r, at: clock.now }));
    const historical = new HistoricalClient({ apiKey: KEY, baseUrl: hist.url, retryBaseMs: 10 });
    archive = new ArchiveService(
      h.db,
      {
        dataset: "GLBX.MDP3",
        symbols: ["ES", "GC"],
        backfillDays: 5 /* the app's default ARCHIVE_BACKFILL_DAYS */,
        historical,
        continuous: (r) => continuousSymbol(DEFAULT_ROLL_RULES, r),
        heldContract: (r) => svc.heldContract(r),
      },
      { rootOf: (id) => svc.rootOf(id), contractOf: (id) => svc.contractOf(id) },
      logger,
      () => clock.now,
    );
    // As src/app/market-data-startup.ts: live bars archived, every print to the engine, every reconnection backfilled.
    archive.attach(svc.bus);
    svc.bus.subscribe({
      trade: (t) => {
        const root = svc.rootOf(t.instrumentId);
        if (root) prints.push({ root, id: t.instrumentId, tsMs: t.tsMs, recvMs: t.recvMs ?? t.tsMs, at: clock.now });
      },
    });
    svc.onConnected(({ attempt }) => {
      if (attempt === 0) return;
      void archive.backfill("feed reconnected", svc.lastTickMs ?? undefined);
    });
    await svc.start();
    void archive.backfill("start-up");
    await waitFor("the first session", () => live() !== undefined);
    await barrier(live()!);

    let down = false; // a planned outage: the session is expected to be gone
    const due = (at: number, t: number) => at > t - STEP && at <= t;
    for (let t = T.start + STEP; t <= T.end; t += STEP) {
      clock.now = t;
      const records = market.advance(t);
      const f = live();
      if (f && records.length > 0) {
        f.send(records);
        if (!(await barrier(f)) && !down) {
          notes.push(`the session dropped unexpectedly at ${fmt(t)}`);
          await reconnected("unplanned drop");
        }
      }

      // The scenario.
      if (due(T.openPosition, t)) openPositions.add("ES");
      if (due(T.closePosition, t)) openPositions.delete("ES");
      for (const [at, root] of [
        [T.remapES, "ES"],
        [T.remapGC, "GC"],
      ] as const) {
        if (!due(at, t)) continue;
        const to = market.leaderAt(root, t).ref;
        for (const x of feeds) if (!x.closed) x.remap(`${root}.v.0`, { ...to, aliases: [`${root}.c.0`] });
      }
      for (const c of market.contracts) {
        if (!due(c.expiresAt, t)) continue;
        expired.push(c.ref.instrumentId);
        for (const x of feeds) if (!x.closed) x.expire(c.ref.instrumentId);
      }
      if (due(T.restart, t)) {
        await archive.flush();
        lastRestart = t;
        gw.restart();
        await reconnected("the gateway's weekly restart");
      }
      if (T.drops.some((d) => due(d.from, t)) || due(T.outageFrom, t)) {
        await archive.flush();
        down = true;
        gw.down(true);
        gw.restart();
        if (due(T.outageFrom, t)) await waitFor("a refused connection", () => gw.refused.length > 0);
      }
      if (T.drops.some((d) => due(d.to, t)) || due(T.outageTo, t)) {
        down = false;
        gw.down(false);
        await reconnected(due(T.outageTo, t) ? "the end of the outage" : "the end of a short drop");
      }

      // The service's clocks: bar closes, held rolls, the daily re-subscription.
      const subLines = gw.lines.filter((l) => l.startsWith("schema=")).length;
      const resubs = lines.filter((l) => l.event === "feed.resubscribed").length;
      timers.runDue();
      await yieldIo();
      const g = live();
      if (g && lines.filter((l) => l.event === "feed.resubscribed").length > resubs) {
        // The same three subscriptions again; the gateway answers them with (maybe new) mappings.
        await waitFor(
          "the re-subscription at the gateway",
          () => gw.lines.filter((l) => l.startsWith("schema=")).length >= subLines + 3,
          1000,
        );
        await barrier(g);
        await yieldIo();
      }
      if (t % HOUR === 0) await archive.flush();
    }

    // Let the archive finish its backfills and writes before it is read.
    await waitFor(
      "the archive's backfills",
      () => archive.status().symbols.every((s) => s.phase !== "running" && s.phase !== "waiting"),
      30_000,
    );
    await archive.flush();
    stored = {
      ES: await barsBetween(h.db, "GLBX.MDP3", "ES", T.start, T.end),
      GC: await barsBetween(h.db, "GLBX.MDP3", "GC", T.start, T.end),
    };
    realMs = performance.now() - t0;
  });

  afterAll(async () => {
    svc?.stop();
    await archive?.stop();
    gw?.stop();
    await hist?.stop();
    await h?.close();
    console.log(
      `soak: ${fmt(T.start)} → ${fmt(T.end)} in ${(realMs / 1000).toFixed(1)} s real; ${prints.length} prints on the bus, ${feeds.length} sessions, ${gw?.refused.length ?? 0} connections refused${notes.length ? `\n  notes: ${notes.join("\n  ")}` : ""}`,
    );
  });

  /** Where each root's bus switches contracts: the observed "rolled" event (its timing is checked below). */
  function rollAt(root: string): number {
    return rolls.find((r) => r.symbol === root && r.state === "rolled")?.at ?? Infinity;
  }
  const oldOf = { ES: 5001, GC: 6001 } as const;
  const newOf = { ES: 5002, GC: 6002 } as const;
  /** The contract a root's prints must come from at receive time `ms`: the held (old) one until the roll, then the new one. */
  const activeAt = (root: "ES" | "GC", ms: number) => (ms <= rollAt(root) ? oldOf[root] : newOf[root]);
  /** Prints of the 30-hour outage are lost for the live feed (beyond replay); those of the short drops are replayed. */
  const lost = (ms: number) => ms > T.outageFrom && ms <= T.outageTo;

  /** Runs of times, for messages: "Sun 13 17:00:02 CT → Mon 14 09:59:57 CT (8123)". */
  function runs(times: number[], gapMs = 10 * MIN): string[] {
    const s = [...times].sort((a, b) => a - b);
    const out: string[] = [];
    for (let i = 0; i < s.length; ) {
      let j = i;
      while (j + 1 < s.length && s[j + 1]! - s[j]! <= gapMs) j++;
      out.push(`${fmt(s[i]!)} → ${fmt(s[j]!)} (${j - i + 1})`);
      i = j + 1;
    }
    return out.slice(0, 8);
  }

  test("the scenario ran as planned: the weekly restart met code 8, the outage's gap was reported and backfilled, re-subscriptions daily", () => {
    expect(notes).toEqual([]);
    const at = (e: string) => lines.filter((l) => l.event === e);
    // Saturday: replay asked, refused as aged out (code 8); the next session went without start and named the gap.
    expect(
      at("feed.gateway_error")
        .filter((l) => l.fields.code === 8)
        .map((l) => l.at),
    ).toEqual([T.restart]);
    const gaps = at("feed.gap");
    expect(gaps.map((l) => l.at)).toEqual([T.restart, T.outageTo]);
    expect(String(gaps[0]!.fields.reason)).toContain("error code 8");
    expect(String(gaps[1]!.fields.reason)).toContain("24 h intraday replay window");
    expect(Number(BigInt(String(gaps[1]!.fields.from_ns)) / 1_000_000n)).toBeLessThanOrEqual(T.outageFrom);
    expect(Number(BigInt(String(gaps[1]!.fields.from_ns)) / 1_000_000n)).toBeGreaterThan(T.outageFrom - MIN);
    // After the outage the archive fetched the gap from the Historical API, from the minute of the drop.
    const backfills = at("archive.backfill_started").filter((l) => l.at >= T.outageTo);
    expect(backfills.map((l) => l.fields.symbol).sort()).toEqual(["ES", "GC"]);
    for (const b of backfills)
      expect(Date.parse(String(b.fields.from))).toBeLessThanOrEqual(T.outageFrom - (T.outageFrom % MIN));
    expect(at("archive.backfill_failed")).toEqual([]);
    // After each short drop the session replayed from just before it (no gap; nothing lost: checked with the prints).
    for (const d of T.drops) {
      const back = at("feed.connected").find((l) => l.at === d.to);
      expect(Number(BigInt(String(back?.fields.replay_from_ns ?? 0)) / 1_000_000n)).toBeWithin(
        d.from - 3 * MIN,
        d.from,
      );
    }
    // Once a day at 17:01 CT, Wednesday to Wednesday.
    expect(at("feed.resubscribed").map((l) => fmt(l.at))).toEqual(
      [9, 10, 11, 12, 13, 14, 15, 16].map((d) => fmt(ct(d, 17, 1))),
    );
    expect(gw.refused.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level === "error").map((l) => l.event)).toEqual([]);
  });

  test("rolls: ES held (a position on ESZ6), then rolled once it was closed; GC rolled at once at the daily re-subscription", () => {
    expect(rolls.map(({ symbol, from, to, state }) => ({ symbol, from, to, state }))).toEqual([
      { symbol: "ES", from: "ESZ6", to: "ESH7", state: "held" },
      { symbol: "ES", from: "ESZ6", to: "ESH7", state: "rolled" },
      { symbol: "GC", from: "GCZ6", to: "GCG7", state: "rolled" },
    ]);
    expect(fmt(rolls[0]!.at)).toBe(fmt(T.heldAt));
    // The roll clock runs every second: within a step of the position's close.
    expect(rolls[1]!.at).toBeGreaterThanOrEqual(T.closePosition);
    expect(rolls[1]!.at).toBeLessThanOrEqual(T.closePosition + STEP);
    expect(fmt(rolls[2]!.at)).toBe(fmt(T.gcRollAt));
  });

  test("the engine-facing bus: per root exactly the prints of the contract its positions hold while held, else the current one — none lost but the outage's, none twice, never silent in open market", () => {
    const problems: string[] = [];
    for (const root of ["ES", "GC"] as const) {
      const got = new Map<string, number>();
      const wrong: number[] = [];
      for (const p of prints) {
        if (p.root !== root) continue;
        const key = `${p.id}@${p.tsMs}`;
        got.set(key, (got.get(key) ?? 0) + 1);
        if (p.id !== activeAt(root, p.recvMs)) wrong.push(p.recvMs);
      }
      const missing: number[] = [];
      const twice: number[] = [];
      for (const c of market.contracts) {
        if (c.root !== root) continue;
        for (const tr of c.trades) {
          const n = got.get(`${c.ref.instrumentId}@${tr.tsMs}`) ?? 0;
          if (n > 1) twice.push(tr.recvMs);
          const expected = c.ref.instrumentId === activeAt(root, tr.recvMs) && !lost(tr.recvMs);
          if (expected && n === 0) missing.push(tr.recvMs);
        }
      }
      const raw = (id: number) => market.byId.get(id)!.ref.raw;
      if (wrong.length)
        problems.push(
          `${root}: ${wrong.length} prints of a contract other than the one the root was on: ${runs(wrong).join("; ")}`,
        );
      if (missing.length) {
        const byContract = new Map<number, number[]>();
        for (const ms of missing) {
          const id = activeAt(root, ms);
          byContract.set(id, [...(byContract.get(id) ?? []), ms]);
        }
        for (const [id, ms] of byContract)
          problems.push(`${root}: ${ms.length} prints of ${raw(id)} never reached the bus: ${runs(ms).join("; ")}`);
      }
      if (twice.length)
        problems.push(`${root}: ${twice.length} prints reached the bus twice: ${runs(twice).join("; ")}`);
      // Silence: open-market time without a print, outside the outage, longer than a few minutes.
      const times = prints
        .filter((p) => p.root === root)
        .map((p) => p.recvMs)
        .sort((a, b) => a - b);
      let prev = T.start;
      for (const t of [...times, T.end]) {
        let openMs = 0;
        for (let x = prev; x < t; x += 10_000) if (market.isOpen(x) && !lost(x)) openMs += 10_000;
        if (openMs > 5 * MIN)
          problems.push(
            `${root}: silent on the bus for ${(openMs / HOUR).toFixed(1)} h of open market between ${fmt(prev)} and ${fmt(t)}`,
          );
        prev = t;
      }
    }
    expect(problems).toEqual([]);
  });

  test("the archive: every minute with trades has Databento's bar of the root's contract then — none partial (rebuilt from trades), none missing, over the whole week", () => {
    const problems: string[] = [];
    for (const root of ["ES", "GC"] as const) {
      const rows = new Map(stored[root].map((b) => [b.startMs, b]));
      const missing: number[] = [];
      const partial: number[] = [];
      const wrongContract: number[] = [];
      const wrongValues: number[] = [];
      const r = rollAt(root);
      const lastFull = T.end - (T.end % MIN) - MIN; // the minute before the end has been published
      for (let m = T.start; m < lastFull; m += MIN) {
        // The minute's contract: the old one until the roll, the new one from the roll on; either in a minute the roll cut.
        const candidates: number[] = m + MIN <= r ? [oldOf[root]] : m >= r ? [newOf[root]] : [oldOf[root], newOf[root]];
        const bars = candidates.map((id) => market.byId.get(id)!.bars.get(m)).filter((b) => b !== undefined);
        const row = rows.get(m);
        rows.delete(m);
        if (bars.length === 0) {
          if (row) wrongContract.push(m);
          continue;
        }
        if (!row) {
          missing.push(m);
          continue;
        }
        if (row.source !== "databento") partial.push(m);
        if (!candidates.includes(row.instrumentId)) {
          wrongContract.push(m);
          continue;
        }
        const want = market.byId.get(row.instrumentId)!.bars.get(m);
        const ok =
          want &&
          row.contract === market.byId.get(row.instrumentId)!.ref.raw &&
          row.open === want.open &&
          row.high === want.high &&
          row.low === want.low &&
          row.close === want.close &&
          row.volume === want.volume;
        if (!ok && row.source === "databento") wrongValues.push(m);
      }
      const extra = [...rows.keys()].filter((m) => m < lastFull);
      if (missing.length)
        problems.push(`${root}: ${missing.length} minutes with trades have no bar: ${runs(missing).join("; ")}`);
      if (partial.length)
        problems.push(
          `${root}: ${partial.length} bars are built from trades, not Databento's: ${runs(partial).join("; ")}`,
        );
      if (wrongContract.length)
        problems.push(
          `${root}: ${wrongContract.length} bars of a contract the root was not on: ${runs(wrongContract).join("; ")}`,
        );
      if (wrongValues.length)
        problems.push(`${root}: ${wrongValues.length} bars differ from Databento's: ${runs(wrongValues).join("; ")}`);
      if (extra.length)
        problems.push(`${root}: ${extra.length} bars for minutes without trades: ${runs(extra).join("; ")}`);
    }
    expect(problems).toEqual([]);
  });
});
