import { RType, SCHEMA_RTYPES, schemaCode, stypeCode } from "../dbn/constants";
import { encodeMetadata } from "../dbn/metadata";
import { encodeRecord, type DbnRecord } from "../dbn/record-codec";
import type { FakeGatewaySession } from "./fake-gateway";

/**
 * What the fake gateway streams into a session, as the real one does: a DBN v3 header, a
 * SymbolMappingMsg per requested symbol, subscription acks, intraday replay from `start` when
 * asked, live records after, heartbeats on silence — and the fault switches tests need.
 */
export interface InstrumentRef {
  instrumentId: number;
  /** Raw contract symbol, e.g. ESZ5. */
  raw: string;
  /** The symbols that resolve to it, e.g. ["ES.c.0", "ESZ5"]. */
  aliases: string[];
}

export interface FeedOptions {
  dataset?: string;
  instruments: InstrumentRef[];
  /**
   * Records the gateway can replay, in the order it sent them. Each subscription with `start=`
   * replays its own schema's records of its own symbols from its own start, filtered on ts_event
   * (BBO and CBBO on ts_recv), as Databento's gateway does; a "replay completed" per schema follows.
   */
  history?: DbnRecord[];
  /** Send heartbeats after this much silence (the session's interval by default). */
  heartbeatMs?: number;
}

export interface SessionFeed {
  /** Sends live records now. False once the session is closed. */
  send(records: DbnRecord[]): boolean;
  /** Gateway records (system, error) as they are, to any session. */
  sendControl(records: DbnRecord[]): void;
  /** Fault: half a record, then close. */
  dropMidRecord(record: DbnRecord): void;
  /** Fault: bytes that are not DBN. */
  sendGarbage(bytes?: Uint8Array): void;
  /** Fault: go silent (no data, no heartbeats) until resumed. */
  stall(on: boolean): void;
  /** Fault: an ErrorMsg then close. */
  errorAndClose(message: string, code?: number): void;
  /**
   * The roll: from now on `alias` resolves to another contract — but, as on the real gateway,
   * only for subscriptions made after this; running ones keep streaming the old contract.
   */
  remap(alias: string, to: InstrumentRef): void;
  /** The contract expires now: no more records of it are sent (live or replayed), as after its last trading day. */
  expire(instrumentId: number): void;
  close(): void;
  readonly closed: boolean;
}

/** Record types whose intraday replay is filtered on ts_recv (BBO, CBBO); every other on ts_event. */
const BY_RECV = new Set<number>([RType.BBO_1S, RType.BBO_1M, RType.CBBO_1S, RType.CBBO_1M]);

/** A subscription `start`: UNIX ns, or ISO 8601. */
function startNs(start: string): bigint | undefined {
  if (/^\d+$/.test(start)) return BigInt(start);
  const ms = Date.parse(start);
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined;
}

const system = (msg: string, code: number, ts: bigint): DbnRecord => ({
  hd: { rtype: RType.SYSTEM, publisher_id: 0, instrument_id: 0, ts_event: ts },
  msg,
  code,
});

export function startSessionFeed(
  session: FakeGatewaySession,
  opts: FeedOptions,
  now: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
): SessionFeed {
  let stalled = false;
  let lastSend = Date.now();
  const write = (bytes: Uint8Array) => {
    if (stalled || session.closed) return false;
    lastSend = Date.now();
    if (!session.write(bytes)) {
      // The client is not keeping up: the real gateway warns (and may skip, on request).
      session.write(encodeRecord(system("Slow reader: records are being buffered", 2, now()), 3));
    }
    return true;
  };
  const enc = (r: DbnRecord) => encodeRecord(r, 3, session.tsOut ? now() : undefined);
  const subs = session.subscriptions;
  const mixed = new Set(subs.map((s) => s.schema)).size > 1;
  const first = subs[0];
  write(
    encodeMetadata({
      dataset: opts.dataset ?? session.dataset,
      schema: mixed || !first ? null : schemaCode(first.schema),
      start: now(),
      stype_in: mixed || !first ? null : stypeCode(first.stypeIn),
      ts_out: session.tsOut,
    }),
  );
  const known = new Map<string, InstrumentRef>();
  for (const i of opts.instruments) for (const a of [i.raw, ...i.aliases]) known.set(a, i);
  const wanted = new Set<number>();
  const expired = new Set<number>();
  // The fakes' instruments name one continuous alias (ES.c.0); the volume and open-interest rules resolve to it too.
  const lookup = (sym: string) => known.get(sym) ?? known.get(sym.replace(/\.[vn]\.(\d+)$/, ".c.$1"));
  const acknowledge = (s: FakeGatewaySession["subscriptions"][number]) => {
    for (const sym of s.symbols) {
      const inst = lookup(sym);
      if (!inst) {
        write(
          enc({
            hd: { rtype: RType.ERROR, publisher_id: 0, instrument_id: 0, ts_event: now() },
            err: `Failed to resolve symbol: ${sym}`,
            code: 4,
            is_last: 1,
          }),
        );
        continue;
      }
      wanted.add(inst.instrumentId);
      write(
        enc({
          hd: { rtype: RType.SYMBOL_MAPPING, publisher_id: 0, instrument_id: inst.instrumentId, ts_event: now() },
          // Live mappings name the raw contract: stype_out is raw_symbol (databento-python live tests, dbn SymbolMappingMsg).
          stype_in: stypeCode(s.stypeIn),
          stype_in_symbol: sym,
          stype_out: stypeCode("raw_symbol"),
          stype_out_symbol: inst.raw,
          start_ts: 0xffff_ffff_ffff_ffffn,
          end_ts: 0xffff_ffff_ffff_ffffn,
        }),
      );
    }
    write(enc(system(`Subscription request ${s.id ?? 0} for ${s.schema} data succeeded`, 1, now())));
  };
  for (const s of subs) acknowledge(s);
  // Subscriptions added to the running session are answered the same way.
  session.onSubscribe = acknowledge;
  const replays = subs.flatMap((s) => {
    const from = s.start === undefined ? undefined : startNs(s.start);
    if (from === undefined) return [];
    const ids = new Set(s.symbols.map((sym) => lookup(sym)?.instrumentId).filter((id) => id !== undefined));
    return [{ schema: s.schema, from, rtypes: new Set(SCHEMA_RTYPES[s.schema] ?? []), ids }];
  });
  if (replays.length > 0 && opts.history) {
    for (const r of opts.history) {
      const ts = BY_RECV.has(r.hd.rtype) && typeof r.ts_recv === "bigint" ? r.ts_recv : r.hd.ts_event;
      if (
        !expired.has(r.hd.instrument_id) &&
        replays.some((p) => p.rtypes.has(r.hd.rtype) && p.ids.has(r.hd.instrument_id) && ts >= p.from)
      )
        write(enc(r));
    }
    for (const schema of new Set(replays.map((p) => p.schema)))
      write(enc(system(`Finished ${schema} replay`, 3, now())));
  }
  const beatMs = opts.heartbeatMs ?? session.heartbeatIntervalS * 1000;
  const beat = setInterval(
    () => {
      if (session.closed) return clearInterval(beat);
      if (!stalled && Date.now() - lastSend >= beatMs) write(enc(system("Heartbeat", 0, now())));
    },
    Math.max(10, Math.floor(beatMs / 4)),
  );
  beat.unref?.();

  return {
    send(records) {
      if (session.closed) return false;
      for (const r of records) if (wanted.has(r.hd.instrument_id) && !expired.has(r.hd.instrument_id)) write(enc(r));
      return true;
    },
    sendControl(records) {
      for (const r of records) write(enc(r));
    },
    dropMidRecord(record) {
      const b = enc(record);
      write(b.subarray(0, Math.floor(b.length / 2)));
      setTimeout(() => session.close(), 5);
    },
    sendGarbage(bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 1) & 0xff)) {
      // A first byte of 0 claims a zero-length record: unmistakably corrupt.
      const g = new Uint8Array(bytes.length);
      g.set(bytes);
      g[0] = 0;
      write(g);
    },
    stall(on) {
      stalled = on;
    },
    remap(alias, to) {
      known.set(alias, to);
      known.set(alias.replace(/\.[vn]\.(\d+)$/, ".c.$1"), to);
    },
    expire(instrumentId) {
      expired.add(instrumentId);
    },
    errorAndClose(message, code = 6) {
      write(
        enc({
          hd: { rtype: RType.ERROR, publisher_id: 0, instrument_id: 0, ts_event: now() },
          err: message,
          code,
          is_last: 1,
        }),
      );
      setTimeout(() => session.close(), 5);
    },
    close() {
      clearInterval(beat);
      session.close();
    },
    get closed() {
      return session.closed;
    },
  };
}
