import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RType, UNDEF_PRICE } from "./constants";
import { RecordCursor } from "./cursor";
import { decodeDbn } from "./decoder";
import { DbnFramer } from "./framer";
import { recordToJson } from "./json";
import { layoutForVersion, type FieldType } from "./layouts";
import { encodeMetadata, type Metadata, metadataWith } from "./metadata";
import { encodeRecord, type DbnRecord, type Level } from "./record-codec";

const ALL_RTYPES = Object.values(RType);

function arbField(t: FieldType): fc.Arbitrary<unknown> {
  switch (t) {
    case "i64":
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case "u64":
      return fc.bigInt(0n, 2n ** 64n - 1n);
    case "i32":
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case "u32":
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case "i16":
      return fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 });
    case "u16":
      return fc.integer({ min: 0, max: 2 ** 16 - 1 });
    case "i8":
      return fc.integer({ min: -128, max: 127 });
    case "u8":
      return fc.integer({ min: 0, max: 255 });
    case "char":
      return fc.constantFrom("A", "B", "N", "T", "F", "Y", "");
    default: {
      if ("cstr" in t) return fc.string({ unit: fc.constantFrom(..."ABCXYZ0189 .-"), maxLength: t.cstr - 1 });
      const common = {
        bid_px: arbField("i64"),
        ask_px: arbField("i64"),
        bid_sz: arbField("u32"),
        ask_sz: arbField("u32"),
      };
      const level: fc.Arbitrary<unknown> = t.consolidated
        ? fc.record({ ...common, bid_pb: arbField("u16"), ask_pb: arbField("u16") })
        : fc.record({ ...common, bid_ct: arbField("u32"), ask_ct: arbField("u32") });
      return fc.array(level, { minLength: t.levels, maxLength: t.levels });
    }
  }
}

function arbRecord(rtype: number, version: number): fc.Arbitrary<DbnRecord> {
  const layout = layoutForVersion(rtype, version)!;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, type] of layout.fields) fields[name] = arbField(type);
  return fc.record({
    hd: fc.record({
      rtype: fc.constant(rtype),
      publisher_id: arbField("u16"),
      instrument_id: arbField("u32"),
      ts_event: arbField("u64"),
    }),
    ...fields,
  }) as fc.Arbitrary<DbnRecord>;
}

const arbMetadata = (version: number): fc.Arbitrary<Metadata> => {
  const sym = fc.string({
    unit: fc.constantFrom(..."ESNQ.c0123FUT"),
    minLength: 1,
    maxLength: version === 1 ? 21 : 70,
  });
  return fc.record({
    version: fc.constant(version),
    dataset: fc.constantFrom("GLBX.MDP3", "XNAS.ITCH"),
    schema: fc.option(fc.integer({ min: 0, max: 19 }), { nil: null }),
    start: arbField("u64") as fc.Arbitrary<bigint>,
    end: fc.option(fc.bigInt(0n, 2n ** 64n - 2n), { nil: null }),
    limit: arbField("u64") as fc.Arbitrary<bigint>,
    stype_in: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
    stype_out: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
    ts_out: fc.boolean(),
    symbol_cstr_len: fc.constant(version === 1 ? 22 : 71),
    symbols: fc.array(sym, { maxLength: 5 }),
    partial: fc.array(sym, { maxLength: 3 }),
    not_found: fc.array(sym, { maxLength: 3 }),
    mappings: fc.array(
      fc.record({
        raw_symbol: sym,
        intervals: fc.array(
          fc.record({
            start_date: fc.integer({ min: 20000101, max: 20991231 }),
            end_date: fc.integer({ min: 20000101, max: 20991231 }),
            symbol: sym,
          }),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 3 },
    ),
  });
};

describe("DBN encoder ↔ decoder", () => {
  test("decode(encode(x)) == x for random records of every type, in every version", () => {
    for (const version of [1, 2, 3]) {
      for (const rtype of ALL_RTYPES) {
        fc.assert(
          fc.property(
            arbMetadata(version),
            fc.array(arbRecord(rtype, version), { minLength: 1, maxLength: 5 }),
            (meta, recs) => {
              const tsOut = meta.ts_out;
              const parts = [
                encodeMetadata(meta),
                ...recs.map((r, i) => encodeRecord(r, version, tsOut ? BigInt(i) : undefined)),
              ];
              const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
              let at = 0;
              for (const p of parts) {
                bytes.set(p, at);
                at += p.length;
              }
              const d = decodeDbn(bytes);
              expect(d.metadata).toEqual(meta);
              expect(d.records).toEqual(recs.map((r, i) => (tsOut ? { ...r, ts_out: BigInt(i) } : r)));
              if (version === 3) expect((bytes.length - at + (parts[0]!.length - 8)) % 8).toBe(0);
            },
          ),
          { numRuns: 25 },
        );
      }
    }
  });

  test("zstd of several frames decodes as one stream", () => {
    const meta = metadataWith({
      schema: 4,
      start: 1n,
      stype_in: 3,
      symbols: ["ES.c.0"],
    });
    const rec = (i: number): DbnRecord => ({
      hd: { rtype: 0, publisher_id: 1, instrument_id: 7, ts_event: BigInt(i) },
      price: 5000_250_000_000n,
      size: i,
      action: "T",
      side: "B",
      flags: 128,
      depth: 0,
      ts_recv: BigInt(i),
      ts_in_delta: 0,
      sequence: i,
    });
    const frames = [encodeMetadata(meta), ...Array.from({ length: 20 }, (_, i) => encodeRecord(rec(i), 3))].map((p) =>
      Bun.zstdCompressSync(p),
    );
    const joined = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      joined.set(f, at);
      at += f.length;
    }
    expect(decodeDbn(joined).records.map((r) => r.size)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("the cursor reads what the object decoder reads, exactly, without BigInt", () => {
    const level: Level = {
      bid_px: 5012_000_000_000n,
      ask_px: 5012_250_000_000n,
      bid_sz: 10,
      ask_sz: 12,
      bid_ct: 3,
      ask_ct: 4,
    };
    const recs: DbnRecord[] = [
      {
        hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: 42, ts_event: 1_732_400_000_123_456_789n },
        price: 5012_250_000_000n,
        size: 3,
        action: "T",
        side: "B",
        flags: 128,
        depth: 0,
        ts_recv: 1_732_400_000_123_999_999n,
        ts_in_delta: 5,
        sequence: 9,
        levels: [level],
      },
      {
        hd: { rtype: RType.OHLCV_1M, publisher_id: 1, instrument_id: 42, ts_event: 1_732_400_040_000_000_000n },
        open: 95_000_000_000_000n,
        high: 95_005_000_000_000n,
        low: 94_990_000_000_000n,
        close: 95_000_000_000_000n,
        volume: 2n ** 40n + 5n,
      },
      {
        hd: { rtype: RType.MBP_0, publisher_id: 1, instrument_id: 42, ts_event: 18_446_744_073_709_551_000n },
        price: UNDEF_PRICE,
        size: 1,
        action: "T",
        side: "A",
        flags: 0,
        depth: 0,
        ts_recv: 0n,
        ts_in_delta: 0,
        sequence: 0,
      },
    ];
    const bytes = new Uint8Array(recs.reduce((n, r) => n + encodeRecord(r, 3).length, 0));
    let at = 0;
    for (const r of recs) {
      const b = encodeRecord(r, 3);
      bytes.set(b, at);
      at += b.length;
    }
    const c = new RecordCursor();
    const seen: unknown[] = [];
    const framer = new DbnFramer(
      {
        record: (view, _b, off) => {
          c.at(view, off);
          seen.push(
            c.rtype === RType.OHLCV_1M
              ? [c.instrumentId, c.tsEventMs, c.open, c.high, c.low, c.close, c.volume]
              : [
                  c.instrumentId,
                  c.tsEventMs,
                  c.price,
                  c.size32,
                  c.sideCode,
                  c.rtype === RType.MBP_1 ? [c.bidPx, c.askPx, c.bidSz, c.askSz] : null,
                ],
          );
        },
      },
      3,
    );
    framer.push(bytes);
    expect(seen).toEqual([
      [42, 1_732_400_000_123, 5012_250_000_000, 3, 66, [5012_000_000_000, 5012_250_000_000, 10, 12]],
      [
        42,
        1_732_400_040_000,
        95_000_000_000_000,
        95_005_000_000_000,
        94_990_000_000_000,
        95_000_000_000_000,
        2 ** 40 + 5,
      ],
      [42, 18_446_744_073_709, Number.NaN, 1, 65, null],
    ]);
  });

  test("truncation and bad headers are typed errors with offsets", () => {
    const meta = encodeMetadata({
      version: 2,
      schema: 4,
      stype_in: 1,
    });
    const rec = encodeRecord({ hd: { rtype: 0, publisher_id: 1, instrument_id: 1, ts_event: 1n } }, 2);
    const both = new Uint8Array([...meta, ...rec]);
    expect(() => decodeDbn(both.slice(0, both.length - 3))).toThrow(
      `truncated record: 45 of 48 bytes (at byte ${meta.length})`,
    );
    expect(() => decodeDbn(new Uint8Array([...meta, 0, 0, 0, 0]))).toThrow(/length 0 bytes/);
    expect(() => decodeDbn(new Uint8Array([0x44, 0x42, 0x4e, 9, 0, 0, 0, 0]))).toThrow(/unsupported DBN version 9/);
    expect(() => decodeDbn(new Uint8Array([0x44, 0x42, 0x4e, 2, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/implausible/);
    expect(() => decodeDbn(new TextEncoder().encode("hello world"))).toThrow(/bad magic/);
    expect(() => decodeDbn(new Uint8Array(0))).toThrow(/empty input/);
  });

  test("JSON lines follow the dbn tool: header under hd, 64-bit as strings, pretty prices and times", () => {
    const r: DbnRecord = {
      hd: { rtype: 0, publisher_id: 1, instrument_id: 5482, ts_event: 1609160400098821953n },
      price: 3720250000000n,
      size: 5,
      action: "T",
      side: "A",
      flags: 129,
      depth: 0,
      ts_recv: 1609160400099150057n,
      ts_in_delta: 19251,
      sequence: 1170380,
    };
    expect(recordToJson(r)).toBe(
      '{"ts_recv":"1609160400099150057","hd":{"ts_event":"1609160400098821953","rtype":0,"publisher_id":1,"instrument_id":5482},"price":"3720250000000","size":5,"action":"T","side":"A","flags":129,"depth":0,"ts_in_delta":19251,"sequence":1170380}',
    );
    expect(JSON.parse(recordToJson(r, true))).toMatchObject({
      ts_recv: "2020-12-28T13:00:00.099150057Z",
      hd: { ts_event: "2020-12-28T13:00:00.098821953Z" },
      price: "3720.250000000",
    });
    expect(JSON.parse(recordToJson({ ...r, price: UNDEF_PRICE }, true)).price).toBeNull();
  });
});
