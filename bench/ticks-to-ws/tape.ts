// The bench's tape: what the gateway wrote, when, and the run being measured (shared by the
// gateway side and the clients, which time each print against its write on one clock).
import { RType } from "../../src/market-data/dbn/constants";
import type { DbnRecord } from "../../src/market-data/dbn/record-codec";
import type { SessionFeed } from "../../src/market-data/databento/gateway-feed";
import { BASE_NANOS, CLIENTS, CLUSTER, INSTRUMENT, RATE, SECONDS, TICK_NANOS, WARMUP_S } from "./options";

/** Log-bucketed latency histogram (1 % resolution, no allocation per sample). */
export class Histogram {
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

/**
 * The run being measured: client latencies (all, and per server instance the client is connected
 * to), and (server in this process) gateway → hub publish. `foreign` counts prices this bench
 * never sent (another feed on the same NATS subjects would show up here).
 */
export interface Run {
  firstSeq: number;
  hist: Histogram;
  hub: Histogram;
  per: Histogram[];
  foreign: number;
}
export const newRun = (slots: number, firstSeq: number = tape.seq): Run => ({
  firstSeq,
  hist: new Histogram(),
  hub: new Histogram(),
  per: Array.from({ length: slots }, () => new Histogram()),
  foreign: 0,
});

// seq → performance.now() of the gateway write; seq runs on across runs so a stale "current
// price" replayed on subscribe can never be mistaken for a fresh one.
export const tape: { seq: number; sentAt: Float64Array; current: Run; maxOpen: number } = {
  seq: 0,
  sentAt: new Float64Array(
    Math.ceil((RATE * (SECONDS + 1) * CLIENTS.length + RATE * (WARMUP_S + 1)) * (CLUSTER ? 2 : 1) + 10_000),
  ),
  current: newRun(1, 0),
  maxOpen: 0,
};
export const seqOf = (priceNanos: number) => Math.round((priceNanos - BASE_NANOS) / TICK_NANOS);

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
export const feeds: SessionFeed[] = [];
export const openFeeds = () => feeds.filter((f) => !f.closed);
/** Sends `count` trade records (seq, seq+1, …) now, stamping their write time; false without an open session. */
export function sendTrades(count: number): boolean {
  if (tape.seq + count > tape.sentAt.length) {
    const grown = new Float64Array(Math.max(tape.sentAt.length * 2, tape.seq + count));
    grown.set(tape.sentAt);
    tape.sentAt = grown;
  }
  const batch: DbnRecord[] = [];
  for (let i = 0; i < count; i++) batch.push(tradeRecord(tape.seq + i));
  tape.sentAt.fill(performance.now(), tape.seq, tape.seq + count);
  tape.seq += count;
  const open = openFeeds();
  if (open.length > tape.maxOpen) tape.maxOpen = open.length;
  for (const f of open) f.send(batch);
  return open.length > 0;
}
