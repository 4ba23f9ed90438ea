import { describe, expect, test } from "bun:test";
import { RType, schemaCode } from "../market-data/dbn/constants";
import { encodeMetadata } from "../market-data/dbn/metadata";
import { encodeRecord, type DbnRecord } from "../market-data/dbn/record-codec";
import type { Actor } from "../persistence/events";
import { concatBytes } from "../shared/bytes";
import { ReplayPlayer, type ReplaySink } from "./player";
import { ReplaySession, type ReplayWrite } from "./replay-session";
import { DbnSource, QUOTE, TRADE } from "./sources";
import { TAPE_IDS, tapeMetadata } from "./test-tape";

/**
 * Issue 16 item 7. In bbo-1s/bbo-1m (and cbbo-1s/1m) the price and size fields are the session's
 * last trade, carried forward from interval to interval: a record says where the book was at the
 * end of the interval, never that a trade happened in it. Replay must play them as quotes.
 */

const T0 = Date.UTC(2025, 2, 3, 15, 0, 0); // a Monday, 09:00 CT
const ACCOUNT = { id: 901, userId: 1, kind: "replay" as const, commission: 0n, name: "replay-bbo" };
const trader: Actor = { kind: "user", label: "bob (bbo replay test)", userId: 1 };
const px = (p: number) => BigInt(Math.round(p * 1e9));

interface Top {
  tsMs: number;
  bid: number;
  ask: number;
  /** The last-trade field the record carries (UNDEF when undefined). */
  last?: number;
  lastSize?: number;
}

/** A one-symbol (MES) tape of subsampled top-of-book records, as Databento sends bbo-1s / cbbo-1s. */
function topTape(rows: readonly Top[], schema: "bbo-1s" | "bbo-1m" | "cbbo-1s" | "tcbbo"): Uint8Array {
  const rtype = { "bbo-1s": RType.BBO_1S, "bbo-1m": RType.BBO_1M, "cbbo-1s": RType.CBBO_1S, tcbbo: RType.TCBBO }[
    schema
  ];
  const consolidated = schema !== "bbo-1s" && schema !== "bbo-1m";
  const meta = {
    ...tapeMetadata(rows.map((r) => ({ symbol: "MES", tsMs: r.tsMs, price: r.bid }))),
    schema: schemaCode(schema),
  };
  const records = rows.map(
    (r, i): DbnRecord => ({
      hd: { rtype, publisher_id: 1, instrument_id: TAPE_IDS.MES!, ts_event: BigInt(r.tsMs) * 1_000_000n },
      price: r.last === undefined ? 0x7fffffffffffffffn : px(r.last),
      size: r.lastSize ?? 0,
      side: "B",
      flags: 128,
      ...(schema === "tcbbo" ? { action: "T", ts_in_delta: 0 } : { sequence: 1000 + i }),
      ts_recv: BigInt(r.tsMs) * 1_000_000n + 1000n,
      levels: [
        {
          bid_px: px(r.bid),
          ask_px: px(r.ask),
          bid_sz: 10,
          ask_sz: 12,
          ...(consolidated ? { bid_pb: 1, ask_pb: 1 } : { bid_ct: 1, ask_ct: 1 }),
        },
      ],
    }),
  );
  return concatBytes([encodeMetadata(meta), ...records.map((r) => encodeRecord(r, 3))]);
}

/**
 * Two minutes of one-second BBO records: the session's last trade was 4999.00 (3 lots) before the
 * tape and nothing traded since, so every record repeats it, while the book moves up a point.
 */
const stale: Top[] = Array.from({ length: 120 }, (_, i) => {
  const bid = 5000 + Math.floor(i / 30) * 0.25;
  return { tsMs: T0 + i * 1000, bid, ask: bid + 0.25, last: 4999, lastSize: 3 };
});

function recorder(): ReplaySink & { trades: number[]; quotes: [number, number][] } {
  const trades: number[] = [];
  const quotes: [number, number][] = [];
  return {
    trades,
    quotes,
    trade: (_s, _t, price) => trades.push(price / 1e9),
    quote: (_s, _t, bid, ask) => quotes.push([bid / 1e9, ask / 1e9]),
    clock: () => {},
  };
}

function playAll(bytes: Uint8Array) {
  const sink = recorder();
  const p = new ReplayPlayer(new DbnSource(bytes), sink);
  p.setSpeed("max", 0);
  p.play(0);
  while (p.state !== "ended") p.advance(1);
  return sink;
}

describe("BBO / CBBO replay: top of book, no invented prints", () => {
  test("bbo-1s and bbo-1m whose last-trade field repeats while the book moves give quotes only", () => {
    for (const schema of ["bbo-1s", "bbo-1m"] as const) {
      const sink = playAll(topTape(stale, schema));
      expect(sink.trades).toEqual([]);
      expect(sink.quotes.length).toBe(stale.length);
      expect(sink.quotes.at(-1)).toEqual([5000.75, 5001]);
      const src = new DbnSource(topTape(stale, schema));
      expect(src.schema).toBe(schema);
      const kinds = new Set<number>();
      while (src.next()) kinds.add(src.kind);
      expect([...kinds]).toEqual([QUOTE]);
      // The replay says so (nothing will print, no bar will form).
      expect(src.quotesOnly).toBe(true);
    }
  });

  test("cbbo-1s is played the same way; a record before the session's first trade (UNDEF price) too", () => {
    const rows: Top[] = [{ tsMs: T0, bid: 5000, ask: 5000.25 }, ...stale.slice(1)];
    const sink = playAll(topTape(rows, "cbbo-1s"));
    expect(sink.trades).toEqual([]);
    expect(sink.quotes.length).toBe(rows.length);
  });

  test("tcbbo is a trade schema: every record is a print, with the book before it", () => {
    const rows: Top[] = [
      { tsMs: T0, bid: 5000, ask: 5000.25, last: 5000.25, lastSize: 2 },
      { tsMs: T0 + 500, bid: 5000, ask: 5000.25, last: 5000, lastSize: 1 },
    ];
    const src = new DbnSource(topTape(rows, "tcbbo"));
    expect(src.quotesOnly).toBe(false);
    expect(src.next() && [src.kind, src.price / 1e9, src.size, src.bid / 1e9, src.ask / 1e9]).toEqual([
      TRADE,
      5000.25,
      2,
      5000,
      5000.25,
    ]);
    expect(playAll(topTape(rows, "tcbbo")).trades).toEqual([5000.25, 5000]);
  });

  test("a long position's stop is not hit by the stale last-trade price a BBO tape carries", async () => {
    const writes: ReplayWrite[] = [];
    const s = new ReplaySession(1, ACCOUNT, new DbnSource(topTape(stale, "bbo-1s")), async (w) => {
      writes.push(w);
    });
    s.setSpeed(60, 0);
    s.play(0);
    s.advance(100); // 6 s in
    await s.pause(100);
    expect([s.bid[0]! / 1e9, s.ask[0]! / 1e9]).toEqual([5000, 5000.25]);
    // Bought at the ask the trader sees, stop 4 ticks under: 4999.25, above the stale 4999.00.
    await s.command({
      type: "command",
      accountId: ACCOUNT.id,
      symbol: "MES",
      actor: trader,
      tsMs: 0,
      command: {
        kind: "order",
        side: "buy",
        qty: 1,
        refPrice: Number(px(5000.25)),
        bracket: { stop: { kind: "fixed", initial: { unit: "ticks", value: 4 } } },
      },
    });
    expect(s.engine.position(ACCOUNT.id, "MES")).toMatchObject({ qty: 1 });
    s.play(100);
    for (let wall = 100; s.player.state === "playing"; wall += 50) s.advance(wall);
    await s.flush();
    const reasons = writes.flatMap((w) => w.events).map((e) => e.reason);
    expect(reasons.filter((r) => /stop .* hit/.test(r))).toEqual([]);
    expect(s.engine.position(ACCOUNT.id, "MES")).toMatchObject({ qty: 1 });
    expect(s.closed).toEqual([]);
    // No phantom volume either: no print, so no bar was built from the tape.
    expect(s.minutes[0]!.length).toBe(0);
    expect([s.bid[0]! / 1e9, s.ask[0]! / 1e9]).toEqual([5000.75, 5001]);
  });
});
