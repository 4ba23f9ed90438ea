import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DbnDecodeError, RType, SCHEMAS } from "./constants";
import { decodeDbn, decompressIfNeeded } from "./decoder";
import { DbnFramer } from "./framer";
import { decodeRecord, type DbnRecord } from "./record-codec";

/** Databento's own sample files, read where the project keeps them (never copied into it). */
const SAMPLES = join(process.env.SHARED_DIR ?? join(import.meta.dir, "../../../../shared"), "dbn-samples");
const have = existsSync(SAMPLES);
if (!have) console.warn(`!!! SKIPPED: DBN sample-file tests — ${SAMPLES} is absent (it is not part of a clone)`);

function files(): string[] {
  const out: string[] = [];
  for (const d of ["", "GLBX.MDP3", "LIVE", "real"]) {
    const dir = join(SAMPLES, d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (statSync(join(dir, f)).isFile() && !f.endsWith(".md")) out.push(join(d, f));
  }
  return out.sort();
}

const fragmentVersion = (name: string) =>
  name.includes(".frag") ? Number(/\.v(\d)\.dbn\.frag/.exec(name)?.[1] ?? 2) : undefined;
const load = (name: string) => decodeDbn(readFileSync(join(SAMPLES, name)), { fragmentVersion: fragmentVersion(name) });
const strip = (r: DbnRecord | DbnRecord[] | undefined) =>
  JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

describe.skipIf(!have)("Databento sample files", () => {
  test("every file decodes; DBZ files are refused by name", () => {
    const names = files();
    expect(names.length).toBeGreaterThan(100);
    for (const name of names) {
      if (name.endsWith(".dbz")) {
        expect(() => load(name)).toThrow(/legacy DBZ/);
        continue;
      }
      const d = load(name);
      expect({ name, skipped: d.skipped }).toEqual({ name, skipped: 0 });
      if (!name.includes(".frag"))
        expect(d.metadata?.version).toBe(
          /\.v1\./.test(name) || name.startsWith("real/") ? 1 : /\.v3\.|^GLBX|^LIVE/.test(name) ? 3 : 2,
        );
    }
  });

  test("trades: first and last record, identical in v1, v2 and v3", () => {
    for (const name of ["test_data.trades.v1.dbn", "test_data.trades.dbn", "test_data.trades.v3.dbn.zst"]) {
      const { records, metadata } = load(name);
      expect(metadata?.symbols).toEqual(["ESH1"]);
      expect(metadata?.mappings).toEqual([
        { raw_symbol: "ESH1", intervals: [{ start_date: 20201228, end_date: 20201229, symbol: "5482" }] },
      ]);
      expect(strip(records[0])).toEqual({
        hd: { rtype: 0, publisher_id: 1, instrument_id: 5482, ts_event: "1609160400098821953" },
        price: "3720250000000",
        size: 5,
        action: "T",
        side: "A",
        flags: 129,
        depth: 0,
        ts_recv: "1609160400099150057",
        ts_in_delta: 19251,
        sequence: 1170380,
      });
      expect(strip(records.at(-1))).toMatchObject({
        hd: { ts_event: "1609160400107665963" },
        price: "3720250000000",
        size: 21,
        sequence: 1170414,
      });
    }
  });

  test("mbp-1 and tbbo carry the top of book", () => {
    for (const name of ["test_data.mbp-1.v1.dbn", "test_data.mbp-1.dbn", "test_data.mbp-1.v3.dbn.zst"]) {
      const r = load(name).records[0]!;
      expect(r.hd.rtype).toBe(RType.MBP_1);
      const l = (r.levels as { bid_px: bigint; ask_px: bigint; bid_sz: number; ask_sz: number }[])[0]!;
      expect(l.bid_px).toBeLessThan(l.ask_px);
      expect(l.bid_px % 250_000_000n).toBe(0n); // ES tick 0.25
    }
  });

  test("OHLCV bars are consistent and agree across versions", () => {
    const v1 = load("test_data.ohlcv-1m.v1.dbn").records;
    const v3 = load("test_data.ohlcv-1m.v3.dbn.zst").records;
    expect(strip(v1)).toEqual(strip(v3));
    for (const b of v1) {
      expect(b.low as bigint).toBeLessThanOrEqual(b.open as bigint);
      expect(b.high as bigint).toBeGreaterThanOrEqual(b.close as bigint);
    }
    const real = load("real/futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst").records;
    expect(real.length).toBe(60);
    for (const b of real) expect(b.hd.ts_event % 60_000_000_000n).toBe(0n); // stamped at the minute's open
  });

  test("instrument definitions: the same instrument in v1, v2 and v3 layouts; a real ES definition", () => {
    const [a, b, c] = [
      "test_data.definition.v1.dbn",
      "test_data.definition.dbn",
      "test_data.definition.v3.dbn.zst",
    ].map((n) => load(n).records[0]!);
    for (const k of [
      "raw_symbol",
      "ts_recv",
      "min_lot_size_round_lot",
      "exchange",
      "security_update_action",
      "instrument_class",
    ]) {
      expect({ k, v: b![k] }).toEqual({ k, v: a![k] });
      expect({ k, v: c![k] }).toEqual({ k, v: a![k] });
    }
    expect(a!.raw_symbol).toBe("MSFT");
    const es = load("real/definition-glbx-es-fut.dbn.zst").records[0]!;
    expect(strip(es)).toMatchObject({
      raw_symbol: "ESM3",
      asset: "ES",
      exchange: "XCME",
      currency: "USD",
      min_price_increment: "250000000",
      unit_of_measure_qty: "50000000000",
      expiration: "1686922200000000000",
      maturity_year: 2023,
      instrument_class: "F",
    });
  });

  test("fragments in each version, and a multi-frame zstd fragment", () => {
    const v = (n: string) =>
      load(n).records.map((r) => [r.raw_symbol, r.instrument_class, r.strike_price, r.hd.instrument_id]);
    // The fragments hold two CME options, written in each version's layout.
    expect(v("test_data.definition.v1.dbn.frag").map((x) => x[0])).toEqual(["GEM3 P9812", "ESH1 P2250"]);
    expect(v("test_data.definition.v1.dbn.frag").map((x) => x[1])).toEqual(["P", "P"]);
    expect(v("test_data.definition.v2.dbn.frag")).toEqual(v("test_data.definition.v1.dbn.frag"));
    expect(v("test_data.definition.v3.dbn.frag")).toEqual(v("test_data.definition.v1.dbn.frag"));
    expect(v("test_data.definition.v3.dbn.frag.zst")).toEqual(v("test_data.definition.v1.dbn.frag"));
    expect(load("multi-frame.definition.v1.dbn.frag.zst").records.length).toBe(8);
  });

  test("a live session stream: symbol mappings then mixed records", () => {
    const { metadata, records } = load("LIVE/test_data.live.dbn.zst");
    expect(metadata?.schema).toBeNull();
    const maps = records.filter((r) => r.hd.rtype === RType.SYMBOL_MAPPING);
    expect(maps.length).toBeGreaterThan(0);
    expect(maps[0]!.stype_out_symbol).toBe("ESZ4");
  });

  test("statistics: v1 quantity i32, v3 quantity i64, same records", () => {
    const v1 = load("test_data.statistics.v1.dbn").records;
    const v3 = load("test_data.statistics.v3.dbn.zst").records;
    expect(v1.map((r) => r.sequence)).toEqual(v3.map((r) => r.sequence));
    expect(v1[0]!.quantity).toBe(2147483647);
    expect(v3[0]!.quantity).toBe(9223372036854775807n);
  });

  test("each schema agrees across its v1, v2 and v3 files (different layouts, same data)", () => {
    // Every schema with sample files in all three versions (none of ohlcv-eod, cbbo-1m, tcbbo).
    const schemas = SCHEMAS.filter((x) => !["ohlcv-eod", "cbbo-1m", "tcbbo"].includes(x));
    // Fields that changed type or meaning between versions are compared where they exist in both.
    const versionSpecific = new Set([
      "quantity",
      "raw_instrument_id",
      "trading_reference_price",
      "asset",
      "stype_in",
      "stype_out",
    ]);
    for (const schema of schemas) {
      const names = files().filter(
        (n) =>
          !n.includes("/") &&
          new RegExp(`^test_data\\.${schema.replace("-", "\\-")}\\.(v\\d\\.)?dbn(\\.zst)?$`).test(n),
      );
      const decoded = names.map((n) => ({ n, recs: strip(load(n).records) as Record<string, unknown>[] }));
      expect({ schema, files: decoded.length >= 2 }).toEqual({ schema, files: true });
      const base = decoded[0]!;
      for (const other of decoded.slice(1)) {
        expect({ schema, n: other.n, count: other.recs.length }).toEqual({
          schema,
          n: other.n,
          count: base.recs.length,
        });
        other.recs.forEach((r, i) => {
          const b = base.recs[i]!;
          for (const k of Object.keys(r)) {
            if (versionSpecific.has(k) || !(k in b)) continue;
            expect({ schema, file: other.n, i, k, v: r[k] }).toEqual({ schema, file: other.n, i, k, v: b[k] });
          }
        });
      }
      for (const r of base.recs) {
        const rec = r as { hd: { ts_event: string }; levels?: { bid_px: string; ask_px: string }[]; price?: string };
        expect(BigInt(rec.hd.ts_event)).toBeGreaterThan(1_500_000_000_000_000_000n);
        for (const l of rec.levels ?? [])
          if (BigInt(l.bid_px) !== 9223372036854775807n && BigInt(l.ask_px) !== 9223372036854775807n)
            expect(BigInt(l.bid_px)).toBeLessThanOrEqual(BigInt(l.ask_px));
      }
    }
  });

  test("any chunking, down to one byte, yields the same records", () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (const name of files().filter((n) => !n.endsWith(".dbz") && !n.includes("esh4"))) {
      const whole = load(name);
      const bytes = decompressIfNeeded(readFileSync(join(SAMPLES, name)));
      for (const max of [1, 7, 64, 1000]) {
        const got: DbnRecord[] = [];
        const framer: DbnFramer = new DbnFramer(
          { record: (view, b, off) => got.push(decodeRecord(view, b, off, framer.tsOut)!) },
          fragmentVersion(name),
        );
        for (let i = 0; i < bytes.length; ) {
          const n = Math.max(1, Math.floor(rand() * max));
          framer.push(bytes.slice(i, i + n));
          i += n;
        }
        framer.finish();
        expect({
          name,
          max,
          same: JSON.stringify(strip(got as never)) === JSON.stringify(strip(whole.records as never)),
        }).toEqual({ name, max, same: true });
      }
    }
  });

  test("10,000 random corruptions give a typed error or a result, never anything else", () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const sources = files()
      .filter((n) => !n.endsWith(".dbz") && !n.includes(".frag") && !n.includes("esh4"))
      .map((n) => decompressIfNeeded(readFileSync(join(SAMPLES, n))));
    let errors = 0;
    for (let i = 0; i < 10_000; i++) {
      const src = sources[rand(sources.length)]!;
      let b = src.slice();
      const kind = rand(3);
      if (kind === 0) for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256);
      else if (kind === 1) b = b.slice(0, rand(b.length));
      else {
        const at = rand(b.length);
        b = new Uint8Array([
          ...b.slice(0, at),
          ...Array.from({ length: 1 + rand(8) }, () => rand(256)),
          ...b.slice(at),
        ]);
      }
      try {
        decodeDbn(b);
      } catch (err) {
        if (!(err instanceof DbnDecodeError))
          throw new Error(
            `corruption ${i} (kind ${kind}) escaped as ${(err as Error).name}: ${(err as Error).message}`,
          );
        expect(err.offset).toBeGreaterThanOrEqual(0);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
