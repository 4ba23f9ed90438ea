import { concatBytes } from "../../shared/bytes";
import type { OhlcvRow } from "../bars/bar";
import { ohlcvRecord } from "../bars/ohlcv-record";
import { RType, schemaCode, stypeCode } from "../dbn/constants";
import { encodeMetadata } from "../dbn/metadata";
import { encodeRecord, type DbnRecord } from "../dbn/record-codec";
import { startFakeHistorical, type FakeHistorical } from "../databento/fake-historical";
import { CATALOGUE } from "../instruments/catalogue";
import { sessionState } from "../instruments/trading-hours";
import { Rng, SIM_START_PRICE } from "./simulated-market";
import { simulatedInstruments } from "./simulated-gateway";
import { pointsToNanos } from "../../shared/fixed-point";

/**
 * The simulated market's past: 1-minute bars that end where the live simulation starts, only
 * in Globex session minutes, served by a local Historical API so the archive's backfill runs
 * through the real client (get_range, zstd DBN, symbol mappings) in the demo too.
 *
 * With nothing stored, the past is walked backward from SIM_START_PRICE, where the live market
 * then starts. After a restart it continues the archive instead: from the newest stored bar of
 * the pair (its `resume` point) the past walks forward to the anchor, bar opening at the previous
 * close, and the live market starts where that walk ends (`startPrices`) — no jump between the
 * stored bars, the backfilled ones and the live ones.
 */

export type SimBar = OhlcvRow;

/** The newest stored bar of a root: its minute and close (1e-9 units). */
export interface SimResumePoint {
  startMs: number;
  close: number;
}

const MINUTE = 60_000;

interface PairPast {
  bars: Map<string, SimBar[]>;
  /** The price at the anchor, where the live market starts (1e-9 units). */
  endPrice: number;
}

/**
 * Bars for one mini/micro pair's path, oldest first, covering [fromMs, anchorMs). Same seed (and
 * resume point) → same bars. Without `resume` the newest bar closes at SIM_START_PRICE; with it,
 * the bars after `resume.startMs` walk on from `resume.close`.
 */
export function simulatedPairBars(
  miniRoot: string,
  fromMs: number,
  anchorMs: number,
  seed: number,
  resume?: SimResumePoint,
): Map<string, SimBar[]> {
  return simulatedPairPast(miniRoot, fromMs, anchorMs, seed, resume).bars;
}

function simulatedPairPast(
  miniRoot: string,
  fromMs: number,
  anchorMs: number,
  seed: number,
  resume?: SimResumePoint,
): PairPast {
  const mini = CATALOGUE.find((i) => i.root === miniRoot && i.family === "mini");
  if (!mini) throw new Error(`no mini instrument ${miniRoot}`);
  const micro = CATALOGUE.find((i) => i.root === mini.pair)!;
  const tick = Number(mini.tickSize < micro.tickSize ? mini.tickSize : micro.tickSize);
  const start = resume && resume.close > 0 ? resume.close : pointsToNanos(SIM_START_PRICE[mini.root] ?? 100);
  const rng = new Rng(seed * 7919 + [...miniRoot].reduce((a, c) => a * 31 + c.charCodeAt(0), 0));
  // ~18 % a year over Globex minutes, in fine ticks per sqrt(minute), clustered as live.
  const perMinute = (start * 0.18) / Math.sqrt(252 * 23 * 60) / tick;
  const longRun = perMinute ** 2;
  let variance = longRun;
  const startTicks = Math.round(start / tick);
  const last = anchorMs - (anchorMs % MINUTE) - MINUTE;

  /** Four moves from `from` (fine ticks), the variance clustering as live. */
  const legs = (from: number) => {
    const shock = rng.normal();
    variance = 0.02 * longRun + 0.1 * variance * shock * shock + 0.88 * variance;
    const sd = Math.sqrt(variance);
    const points = [from];
    for (let k = 0; k < 4; k++) points.push(points[k]! + Math.round(rng.normal() * sd * 0.5));
    return { points, activity: Math.sqrt(variance / longRun) };
  };
  /** One bar through `points` (fine ticks, in time order), for both instruments of the pair. */
  const emit = (into: Map<string, SimBar[]>, t: number, points: readonly number[], activity: number) => {
    for (const inst of [mini, micro]) {
      const step = Number(inst.tickSize) / tick;
      const snap = (x: number) => Math.round(x / step) * step * tick;
      const o = snap(points[0]!);
      const c = snap(points[points.length - 1]!);
      const hi = Math.max(o, c, ...points.map(snap));
      const lo = Math.min(o, c, ...points.map(snap));
      const volume = Math.max(1, Math.round((inst.family === "micro" ? 900 : 400) * activity * (0.5 + rng.next())));
      into.get(inst.root)!.push({ startMs: t, open: o, high: hi, low: lo, close: c, volume });
    }
  };
  const pair = () =>
    new Map<string, SimBar[]>([
      [mini.root, []],
      [micro.root, []],
    ]);

  // Backward from `newest`, whose bar closes at `startTicks`: each bar closes where the next one opens.
  const newest = resume ? Math.min(last, resume.startMs - (resume.startMs % MINUTE)) : last;
  const back = pair();
  let close = startTicks;
  for (let t = newest; t >= fromMs; t -= MINUTE) {
    if (sessionState(t) !== "open") continue;
    const { points, activity } = legs(close);
    const open = points[4]!;
    emit(back, t, [...points].reverse(), activity);
    close = open;
  }
  // Forward from the newest stored bar to the anchor: each bar opens where the previous one closed.
  const ahead = pair();
  let endTicks = startTicks;
  if (resume) {
    for (let t = Math.max(newest + MINUTE, fromMs - (fromMs % MINUTE)); t <= last; t += MINUTE) {
      if (sessionState(t) !== "open") continue;
      const { points, activity } = legs(endTicks);
      emit(ahead, t, points, activity);
      endTicks = points[4]!;
    }
  }
  const bars = pair();
  for (const [root, list] of bars) list.push(...back.get(root)!.reverse(), ...ahead.get(root)!);
  return { bars, endPrice: endTicks * tick };
}

const TRADES_PER_BAR = 12;

/** A bar's prints: along open → nearer extreme → other extreme → close, on the tick grid, 5 s apart. */
export function barTrades(b: SimBar, tick: number): { tsMs: number; price: number; size: number; side: "A" | "B" }[] {
  const up = b.close >= b.open;
  const path = [b.open, up ? b.low : b.high, up ? b.high : b.low, b.close];
  const out: { tsMs: number; price: number; size: number; side: "A" | "B" }[] = [];
  const each = Math.max(1, Math.floor(b.volume / TRADES_PER_BAR));
  for (let k = 0; k < TRADES_PER_BAR; k++) {
    const pos = (k / (TRADES_PER_BAR - 1)) * 3;
    const leg = Math.min(2, Math.floor(pos));
    const x = path[leg]! + (path[leg + 1]! - path[leg]!) * (pos - leg);
    const price = Math.round(x / tick) * tick;
    const prev = out.at(-1)?.price ?? price;
    out.push({
      tsMs: b.startMs + k * 5_000,
      price,
      size: k === TRADES_PER_BAR - 1 ? Math.max(1, b.volume - each * (TRADES_PER_BAR - 1)) : each,
      side: price >= prev ? "B" : "A",
    });
  }
  return out;
}

export interface SimulatedHistorical extends FakeHistorical {
  apiKey: string;
  /**
   * Where the simulated past ends, per mini root of every pair that continued from a stored bar
   * (1e-9 units): the live market starts there (SimStart.prices). Other pairs start at SIM_START_PRICE.
   */
  startPrices: Readonly<Record<string, number>>;
}

/** The pair's resume point: the newer of its mini's and micro's newest stored bars (the mini's on a tie). */
function pairResume(miniRoot: string, resume: Readonly<Record<string, SimResumePoint>>): SimResumePoint | undefined {
  const mini = resume[miniRoot];
  const pair = CATALOGUE.find((i) => i.root === miniRoot)?.pair;
  const micro = pair ? resume[pair] : undefined;
  return mini && (!micro || mini.startMs >= micro.startMs) ? mini : micro;
}

/**
 * A Historical API over the simulated past, for the demo's archive backfill. `resume`: the newest
 * stored bar per root (the archive's), so the past continues the stored one after a restart.
 */
export function startSimulatedHistorical(opts: {
  anchorMs: number;
  days: number;
  seed?: number;
  apiKey: string;
  resume?: Readonly<Record<string, SimResumePoint>>;
}): SimulatedHistorical {
  const instruments = simulatedInstruments(opts.anchorMs);
  const fromMs = opts.anchorMs - opts.days * 86_400_000;
  const resume = opts.resume ?? {};
  const cache = new Map<string, SimBar[]>();
  const startPrices: Record<string, number> = {};
  const generate = (miniRoot: string) => {
    const from = pairResume(miniRoot, resume);
    const past = simulatedPairPast(miniRoot, fromMs, opts.anchorMs, opts.seed ?? 1, from);
    for (const [r, bars] of past.bars) cache.set(r, bars);
    if (from) startPrices[miniRoot] = past.endPrice;
  };
  // The pairs that continue a stored past are walked now: the live market needs their end.
  for (const mini of CATALOGUE.filter((i) => i.family === "mini"))
    if (pairResume(mini.root, resume)) generate(mini.root);
  const barsOf = (root: string): SimBar[] => {
    if (!cache.has(root)) {
      const inst = CATALOGUE.find((i) => i.root === root);
      if (!inst) return [];
      generate(inst.family === "mini" ? inst.root : inst.pair);
    }
    return cache.get(root) ?? [];
  };
  const toMs = (t: string | null, dflt: number) =>
    t === null ? dflt : /^\d+$/.test(t) ? Number(BigInt(t) / 1_000_000n) : Date.parse(t);
  const server = startFakeHistorical({
    apiKey: opts.apiKey,
    // A made-up price so the demo shows the cost step: $0.50 per GB of trades, $2 per GB of bars.
    cost: (params) => {
      const minutes = Math.max(
        0,
        (toMs(params.get("end"), opts.anchorMs) - toMs(params.get("start"), fromMs)) / MINUTE,
      );
      const symbols = (params.get("symbols") ?? "").split(",").length;
      const bytes =
        params.get("schema") === "trades" ? minutes * symbols * TRADES_PER_BAR * 48 : minutes * symbols * 56;
      return Math.round((bytes / 1e9) * (params.get("schema") === "trades" ? 0.5 : 2) * 1e6) / 1e6;
    },
    datasetRange: () => ({
      start: new Date(fromMs).toISOString(),
      end: new Date(opts.anchorMs - (opts.anchorMs % MINUTE)).toISOString(),
    }),
    range: (params) => {
      const start = toMs(params.get("start"), 0);
      const end = toMs(params.get("end"), Number.MAX_SAFE_INTEGER);
      const records: DbnRecord[] = [];
      const mappings: { raw_symbol: string; intervals: { start_date: number; end_date: number; symbol: string }[] }[] =
        [];
      for (const sym of (params.get("symbols") ?? "").split(",")) {
        const idx = instruments.findIndex((i) => i.aliases.includes(sym) || i.raw === sym);
        const schema = params.get("schema");
        if (idx < 0 || (schema !== "ohlcv-1m" && schema !== "trades")) continue;
        const ref = instruments[idx]!;
        const root = CATALOGUE[idx]!.root;
        mappings.push({
          raw_symbol: sym,
          intervals: [{ start_date: 19000101, end_date: 21000101, symbol: String(ref.instrumentId) }],
        });
        for (const b of barsOf(root)) {
          if (b.startMs < start || b.startMs >= end) continue;
          if (schema === "trades") {
            for (const t of barTrades(b, Number(CATALOGUE[idx]!.tickSize))) {
              records.push({
                hd: {
                  rtype: RType.MBP_0,
                  publisher_id: 1,
                  instrument_id: ref.instrumentId,
                  ts_event: BigInt(t.tsMs) * 1_000_000n,
                },
                price: BigInt(t.price),
                size: t.size,
                action: "T",
                side: t.side,
                flags: 128,
                depth: 0,
                ts_recv: BigInt(t.tsMs) * 1_000_000n + 50_000n,
                ts_in_delta: 0,
                sequence: 0,
              });
            }
            continue;
          }
          records.push(ohlcvRecord(ref.instrumentId, b));
        }
      }
      records.sort((a, b) => (a.hd.ts_event < b.hd.ts_event ? -1 : a.hd.ts_event > b.hd.ts_event ? 1 : 0));
      const head = encodeMetadata({
        schema: schemaCode(params.get("schema") === "trades" ? "trades" : "ohlcv-1m"),
        start: BigInt(start) * 1_000_000n,
        end: BigInt(Math.min(end, opts.anchorMs)) * 1_000_000n,
        stype_in: stypeCode(params.get("stype_in") ?? "continuous"),
        stype_out: stypeCode("instrument_id"),
        symbols: (params.get("symbols") ?? "").split(","),
        mappings,
      });
      const parts = [head, ...records.map((r) => encodeRecord(r, 3))];
      return concatBytes(parts);
    },
  });
  return { ...server, apiKey: opts.apiKey, startPrices };
}
