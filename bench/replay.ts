/**
 * Replay end to end: records per second from a DBN trades file through the zero-allocation
 * decoder (DbnSource) → 1-second and 1-minute bars → the trading engine → the session's own fill
 * loop, with 100 open positions on one symbol (3-level take-profit ladders and trailing stops,
 * as bench/engine.ts), played as fast as possible. Target ≥ 5 M records/s.
 *
 * The file is real DBN v3 (metadata with a MES.c.0 → instrument mapping, then 48-byte trade
 * records), built by copying one encoded record N times and patching ts_event (1 ms apart),
 * price (the seeded random walk of bench/engine.ts on the 0.25 grid from 5000.00) and size in
 * place. Building it is not timed; opening it (DbnSource validates the whole file) is timed
 * apart from playing it. Storage is a function that only counts what it is given (no database).
 *
 * Positions are opened with `session.command` (market order + bracket, filled by the session
 * at the last print). Trades that close (stop or last TP) are reopened at the next refill, as
 * bench/engine.ts reopens them at the next print; extra accounts on the session's engine are
 * a bench-only device (a replay session normally has one account). Passes per round:
 *   - "100 positions": the player is driven forward BENCH_REFILL_MS of replay time at a time
 *     (`session.seek`, same delivery loop as `advance`), closed trades reopened after each
 *     step, so ~100 stay open — the headline figure;
 *   - "100 positions, advance max, reopen per batch": `setSpeed("max")` + `advance()` in
 *     MAX_BATCH (250,000) record batches, reopening only between batches — trades last ~15 k
 *     prints on this tape, so only a few are open on average (printed): not the 100-position figure;
 *   - "0 positions, advance max": the same file with no trades open;
 *   - "decode only": DbnSource.next() over the file, nothing else.
 * A full GC runs (untimed) before each timed part, so one pass's garbage is not the next's.
 *
 *   bun bench/replay.ts
 *   BENCH_RECORDS=1000000 BENCH_POSITIONS=100 BENCH_ROUNDS=3 BENCH_REFILL_MS=1000 bun bench/replay.ts
 */
import { RType, schemaCode } from "../src/market-data/dbn/constants";
import { encodeMetadata } from "../src/market-data/dbn/metadata";
import { encodeRecord } from "../src/market-data/dbn/record-codec";
import { ReplaySession, type ReplayWrite } from "../src/replay/replay-session";
import { DbnSource } from "../src/replay/sources";
import { TAPE_IDS } from "../src/replay/test-tape";
import type { Command } from "../src/trading/engine/types";

const N = Number(process.env.BENCH_RECORDS ?? 10_000_000);
const POSITIONS = Number(process.env.BENCH_POSITIONS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REFILL_MS = Number(process.env.BENCH_REFILL_MS ?? 1_000);
const TICK = 250_000_000;
const T0 = Date.UTC(2024, 10, 25, 14, 30); // first print (ms); one print per ms after it
const TWO_32 = 4294967296;
const actor = { kind: "user" as const, label: "bench", userId: 1 };

/* ---------- the file ---------- */

function buildFile(): { bytes: Uint8Array; lo: number; hi: number } {
  const id = TAPE_IDS.MES!;
  const ns = (ms: number) => BigInt(ms) * 1_000_000n;
  const meta = encodeMetadata({
    schema: schemaCode("trades"),
    start: ns(T0),
    end: ns(T0 + N),
    stype_in: 3,
    symbols: ["MES.c.0"],
    mappings: [
      { raw_symbol: "MES.c.0", intervals: [{ start_date: 20200101, end_date: 20400101, symbol: String(id) }] },
    ],
  });
  const one = encodeRecord(
    {
      hd: { rtype: RType.MBP_0, publisher_id: 1, instrument_id: id, ts_event: ns(T0) },
      price: 5000_000_000_000n,
      size: 1,
      action: "T",
      side: "B",
      flags: 128,
      depth: 0,
      ts_recv: ns(T0) + 1000n,
      ts_in_delta: 1000,
      sequence: 1,
    },
    3,
  );
  const len = one.length;
  const out = new Uint8Array(meta.length + len * N);
  out.set(meta);
  const view = new DataView(out.buffer);
  // ts_event as two u32 halves, stepped 1 ms (1e6 ns) with the carry by hand: no BigInt per record.
  let tsLo = Number(ns(T0) & 0xffffffffn);
  let tsHi = Number(ns(T0) >> 32n);
  // The random walk of bench/engine.ts (same seed): 70 % of prints at the last price, else ±1 tick.
  let p = 5000 * 1e9;
  let s = 12345;
  let lo = p;
  let hi = p;
  for (let i = 0, at = meta.length; i < N; i++, at += len) {
    out.set(one, at);
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const r = (s >>> 16) % 100;
    p += r < 15 ? -TICK : r < 30 ? TICK : 0;
    if (p < lo) lo = p;
    if (p > hi) hi = p;
    view.setUint32(at + 8, tsLo, true);
    view.setUint32(at + 12, tsHi, true);
    const recvLo = tsLo + 1000;
    view.setUint32(at + 32, recvLo >= TWO_32 ? recvLo - TWO_32 : recvLo, true);
    view.setUint32(at + 36, recvLo >= TWO_32 ? tsHi + 1 : tsHi, true);
    const pLo = p % TWO_32;
    view.setUint32(at + 16, pLo, true);
    view.setInt32(at + 20, (p - pLo) / TWO_32, true);
    view.setUint32(at + 24, 1 + ((s >>> 8) % 5), true); // size 1..5
    out[at + 29] = r < 15 ? 65 : 66; // aggressor: 'A' on down-ticks, else 'B'
    view.setUint32(at + 44, i + 1, true); // sequence
    tsLo += 1_000_000;
    if (tsLo >= TWO_32) {
      tsLo -= TWO_32;
      tsHi++;
    }
  }
  return { bytes: out, lo, hi };
}

/* ---------- one pass ---------- */

interface PassResult {
  records: number;
  ms: number;
  refillMs: number;
  minuteBars: number;
  closed: number;
  reopened: number;
  events: number;
  openAtEnd: number;
  avgOpen: number;
}

/** Bracket per account, as bench/engine.ts: ladders 40/80/120 ticks (+ a % 17), trailing stop 60 + a % 23 ticks. */
function entry(a: number, refPrice: number): Command {
  return {
    kind: "order",
    side: a % 2 ? "buy" : "sell",
    qty: 3,
    refPrice,
    bracket: {
      ladder: [1, 2, 3].map((k) => ({
        enabled: true,
        qty: 1,
        target: { unit: "ticks" as const, value: 40 * k + (a % 17) },
      })),
      stop: {
        kind: "trailing",
        initial: { unit: "ticks", value: 60 + (a % 23) },
        trailBy: { unit: "ticks", value: 60 + (a % 23) },
      },
    },
  };
}

async function pass(source: DbnSource, positions: number, driver: "chunks" | "max"): Promise<PassResult> {
  let events = 0;
  let closedStored = 0;
  const persist = async (w: ReplayWrite) => {
    events += w.events.length;
    closedStored += w.closed.length;
  };
  const account = { id: 1, userId: 1, kind: "replay" as const, commission: 0n, name: "bench" };
  const session = new ReplaySession(1, account, source, persist);
  // A last price to open at: the first print.
  await session.step("record", performance.now());
  const open = (a: number) =>
    session.command({
      type: "command",
      accountId: a,
      symbol: "MES",
      command: entry(a, session.engine.lastPrice("MES")!),
      actor,
      tsMs: 0,
    });
  for (let a = 1; a <= positions; a++) {
    if (a !== account.id) session.engine.setAccount({ id: a, userId: 1, kind: "replay", commission: 0n });
    await open(a);
  }
  const startMs = session.player.nowMs;
  const delivered0 = session.player.delivered;
  let seen = 0;
  let reopened = 0;
  let refillMs = 0;
  /** Every account whose trade closed since the last look opens a new one at the last print. */
  const refill = async () => {
    // The tape is over: the session takes no more commands (it ends with what is open).
    if (session.closed.length === seen || session.player.state === "ended") return;
    const r0 = performance.now();
    const again = new Set<number>();
    for (; seen < session.closed.length; seen++) again.add(session.closed[seen]!.accountId);
    for (const a of again) {
      const pos = session.engine.position(a, "MES");
      if (pos && (pos.qty > 0 || pos.closing)) continue;
      await open(a);
      reopened++;
    }
    refillMs += performance.now() - r0;
  };

  Bun.gc(true);
  const t0 = performance.now();
  if (driver === "chunks") {
    let to = session.player.nowMs;
    while (session.player.state !== "ended") {
      to += REFILL_MS;
      await session.seek(to, performance.now());
      await refill();
    }
  } else {
    session.setSpeed("max", t0);
    session.play(t0);
    while (session.player.state === "playing") {
      session.advance(performance.now());
      await session.flush();
      await refill();
    }
  }
  await session.flush();
  const ms = performance.now() - t0;

  // Time-weighted open positions: each trade's life within the timed stretch, over its length.
  const endMs = session.player.nowMs;
  let life = 0;
  for (const t of session.closed) life += t.closedAtMs - Math.max(t.openedAtMs, startMs);
  let openAtEnd = 0;
  for (const p of session.engine.allPositions()) {
    if (p.qty === 0) continue;
    openAtEnd++;
    life += endMs - Math.max(p.openedAtMs, startMs);
  }
  if (closedStored !== session.closed.length)
    throw new Error(`stored ${closedStored} closed trades, the session has ${session.closed.length}`);
  return {
    records: session.player.delivered - delivered0,
    ms,
    refillMs,
    minuteBars: session.minutes[0]!.length,
    closed: session.closed.length,
    reopened,
    events,
    openAtEnd,
    avgOpen: life / Math.max(1, endMs - startMs),
  };
}

/* ---------- run ---------- */

const rate = (records: number, ms: number) => records / ms / 1000; // M records/s
const fmt = (x: number) => x.toFixed(2);

console.log(
  `command: bun bench/replay.ts   (BENCH_RECORDS=${N} BENCH_POSITIONS=${POSITIONS} BENCH_ROUNDS=${ROUNDS} BENCH_REFILL_MS=${REFILL_MS}; target ≥ 5 M records/s)`,
);
let t = performance.now();
const file = buildFile();
console.log(
  `file: ${N.toLocaleString()} MES trades, ${(file.bytes.length / 1e6).toFixed(0)} MB DBN v3, 1 ms apart (${(N / 3_600_000).toFixed(2)} h of replay), price ${file.lo / 1e9} .. ${file.hi / 1e9}; built in ${(performance.now() - t).toFixed(0)} ms (not counted)`,
);

const series: Record<string, number[]> = {};
const note = (name: string, v: number) => (series[name] ??= []).push(v);

for (let round = 1; round <= ROUNDS; round++) {
  Bun.gc(true);
  t = performance.now();
  const source = new DbnSource(file.bytes);
  const openMs = performance.now() - t;
  note("open (validation scan)", rate(source.count, openMs));
  console.log(`round ${round}:`);
  console.log(
    `  open DbnSource (validates the whole file)          ${openMs.toFixed(0).padStart(6)} ms  ${fmt(rate(source.count, openMs)).padStart(6)} M records/s`,
  );

  Bun.gc(true);
  t = performance.now();
  let n = 0;
  let sink = 0;
  source.reset();
  while (source.next()) {
    sink += source.price + source.size;
    n++;
  }
  const decodeMs = performance.now() - t;
  if (sink === 42) console.log("");
  note("decode only", rate(n, decodeMs));
  console.log(
    `  decode only (DbnSource.next)                       ${decodeMs.toFixed(0).padStart(6)} ms  ${fmt(rate(n, decodeMs)).padStart(6)} M records/s`,
  );

  const runs: [string, number, "chunks" | "max"][] = [
    [`${POSITIONS} positions`, POSITIONS, "chunks"],
    [`${POSITIONS} positions, advance max, reopen per batch`, POSITIONS, "max"],
    ["0 positions, advance max", 0, "max"],
  ];
  for (const [name, positions, driver] of runs) {
    const r = await pass(source, positions, driver);
    note(name, rate(r.records, r.ms));
    if (positions) note(`${name} (without reopening)`, rate(r.records, r.ms - r.refillMs));
    console.log(
      `  ${name.padEnd(50)} ${r.ms.toFixed(0).padStart(6)} ms  ${fmt(rate(r.records, r.ms)).padStart(6)} M records/s end to end` +
        (positions
          ? `; without reopening trades (${r.refillMs.toFixed(0)} ms): ${fmt(rate(r.records, r.ms - r.refillMs))} M/s`
          : ""),
    );
    console.log(
      `    (${r.records.toLocaleString()} records; ${r.minuteBars} 1-minute bars; ${r.closed.toLocaleString()} trades closed, ${r.reopened.toLocaleString()} reopened; ` +
        `${r.events.toLocaleString()} events persisted; ${positions ? `${r.avgOpen.toFixed(1)} open on average, ${r.openAtEnd} at the end` : "no trades"})`,
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`best / median of ${ROUNDS} (M records/s):`);
for (const [name, xs] of Object.entries(series))
  console.log(`  ${name.padEnd(66)} ${fmt(Math.max(...xs)).padStart(6)} / ${fmt(median(xs)).padStart(6)}`);
console.log(
  "command: bun bench/replay.ts  (target ≥ 5 M records/s end to end with 100 positions, 3-level ladders, trailing stops)",
);
