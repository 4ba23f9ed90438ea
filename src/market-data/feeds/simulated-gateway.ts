import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import { startFakeGateway, type FakeGateway } from "../databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../databento/gateway-feed";
import { CATALOGUE, type Instrument } from "../instruments/catalogue";
import { randomToken } from "../../shared/digest";
import { SimulatedMarket, type SimEvent, type SimStart } from "./simulated-market";

export type { SimStart };

/**
 * The demo feed: a simulated market served by an in-process gateway that speaks Databento's
 * Live protocol and DBN, so the app consumes it through exactly the code that reads the real
 * feed (CRAM auth, subscriptions, symbol mappings, MBP-1 records, heartbeats).
 */
export interface SimulatedGateway {
  host: string;
  port: number;
  /** A key this gateway accepts (random per process; it guards nothing else). */
  apiKey: string;
  instruments: InstrumentRef[];
  stop(): void;
}

/** The contract a continuous `.c.0` symbol maps to: the next listed month not yet expired. */
export function frontContract(inst: Instrument, nowMs: number): string {
  const d = new Date(nowMs);
  let year = d.getUTCFullYear();
  let month = d.getUTCMonth() + 1;
  // Roll a little before month end: index futures expire in the third week.
  if (d.getUTCDate() > 14) month++;
  for (let i = 0; i < 24; i++, month++) {
    if (month > 12) {
      month = 1;
      year++;
    }
    const code = "FGHJKMNQUVXZ"[month - 1]!;
    if (inst.months.includes(code)) return `${inst.root}${code}${year % 10}`;
  }
  return `${inst.root}Z${year % 10}`;
}

export function simulatedInstruments(nowMs: number): InstrumentRef[] {
  return CATALOGUE.map((inst, i) => {
    const raw = frontContract(inst, nowMs);
    return {
      instrumentId: 900_000 + i,
      raw,
      aliases: [`${inst.root}.c.0`, `${inst.root}.v.0`, `${inst.root}.n.0`, inst.root],
    };
  });
}

function toRecord(e: SimEvent, instrumentId: number, seq: number): DbnRecord {
  const ns = BigInt(e.tsMs) * 1_000_000n;
  return {
    hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: instrumentId, ts_event: ns },
    price: BigInt(e.kind === "trade" ? e.price : e.side === "B" ? e.bid : e.ask),
    size: e.kind === "trade" ? e.size : e.side === "B" ? e.bidSize : e.askSize,
    action: e.kind === "trade" ? "T" : "A",
    side: e.side,
    flags: 128,
    depth: 0,
    ts_recv: ns + 150_000n,
    ts_in_delta: 12_000,
    sequence: seq,
    levels: [
      {
        bid_px: BigInt(e.bid),
        ask_px: BigInt(e.ask),
        bid_sz: e.bidSize,
        ask_sz: e.askSize,
        bid_ct: 1 + (e.bidSize % 7),
        ask_ct: 1 + (e.askSize % 7),
      },
    ],
  };
}

/** A start (`SimStart.atMs`) at most this far back is caught up at once; an older one starts now. */
const CATCH_UP_MS = 60_000;

/**
 * `start`: the prices the market continues from (after a restart, where the stored past ends) and
 * when, so the live market picks up where the simulated history stops; absent, it starts fresh.
 */
export function startSimulatedGateway(
  opts: { seed?: number; stepMs?: number; now?: () => number; apiKey?: string; port?: number; start?: SimStart } = {},
): SimulatedGateway {
  const now = opts.now ?? Date.now;
  const apiKey = opts.apiKey ?? ("db-" + randomToken(24).replace(/[^A-Za-z0-9]/g, "x")).slice(0, 32);
  const instruments = simulatedInstruments(now());
  const idByRoot = new Map(CATALOGUE.map((c, i) => [c.root, instruments[i]!.instrumentId]));
  const feeds = new Set<SessionFeed>();
  const t0 = now();
  const at = opts.start?.atMs;
  const market = new SimulatedMarket(
    opts.seed ?? 1,
    at !== undefined && at <= t0 && t0 - at <= CATCH_UP_MS ? at : t0,
    undefined,
    opts.start?.prices,
  );
  let seq = 0;
  const gateway: FakeGateway = startFakeGateway({
    apiKeys: [apiKey],
    port: opts.port,
    onStart: (session) => {
      const feed = startSessionFeed(session, { instruments });
      feeds.add(feed);
    },
  });
  const timer = setInterval(() => {
    for (const f of feeds) if (f.closed) feeds.delete(f);
    const events = market.advance(now());
    if (feeds.size === 0 || events.length === 0) return;
    const records = events.map((e) => toRecord(e, idByRoot.get(e.root)!, ++seq));
    for (const f of feeds) f.send(records);
  }, opts.stepMs ?? 50);
  return {
    host: gateway.host,
    port: gateway.port,
    apiKey,
    instruments,
    stop: () => {
      clearInterval(timer);
      for (const f of feeds) f.close();
      gateway.stop();
    },
  };
}
