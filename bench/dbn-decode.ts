// DBN decode throughput: the zero-allocation cursor path vs a floor loop that only reads one
// 8-byte field per record (stepping by the length byte), in the same run on the same buffers.
//   bun bench/dbn-decode.ts        (BENCH_RECORDS=10000000 by default)
import { RType } from "../src/market-data/dbn/constants";
import { RecordCursor } from "../src/market-data/dbn/cursor";
import { DbnFramer } from "../src/market-data/dbn/framer";
import { encodeMetadata } from "../src/market-data/dbn/metadata";
import { decodeRecord, encodeRecord, type DbnRecord } from "../src/market-data/dbn/record-codec";

const N = Number(process.env.BENCH_RECORDS ?? 10_000_000);

function build(rtype: number): Uint8Array {
  const sample: DbnRecord = {
    hd: { rtype, publisher_id: 1, instrument_id: 42, ts_event: 1_732_400_000_000_000_000n },
    price: 5012_250_000_000n,
    size: 1,
    action: "T",
    side: "B",
    flags: 128,
    depth: 0,
    ts_recv: 1_732_400_000_000_100_000n,
    ts_in_delta: 1,
    sequence: 1,
    ...(rtype === RType.MBP_1
      ? {
          levels: [
            { bid_px: 5012_000_000_000n, ask_px: 5012_250_000_000n, bid_sz: 10, ask_sz: 12, bid_ct: 1, ask_ct: 1 },
          ],
        }
      : {}),
  };
  const one = encodeRecord(sample, 3);
  const meta = encodeMetadata({
    schema: rtype === RType.MBP_1 ? 1 : 4,
    stype_in: 3,
    symbols: ["ES.c.0"],
  });
  const out = new Uint8Array(meta.length + one.length * N);
  out.set(meta);
  const view = new DataView(out.buffer);
  for (let i = 0, at = meta.length; i < N; i++, at += one.length) {
    out.set(one, at);
    view.setUint32(at + 8, i, true); // vary ts_event and price a little
    view.setUint32(at + 16, 0x2fa4e0 + (i & 63) * 0x3b9aca0, true);
  }
  return out;
}

function time(label: string, fn: () => number): number {
  fn(); // warm up
  const t0 = performance.now();
  const count = fn();
  const s = (performance.now() - t0) / 1000;
  const rate = count / s;
  console.log(`  ${label.padEnd(44)} ${(rate / 1e6).toFixed(1).padStart(6)} M records/s`);
  return rate;
}

console.log(`command: bun bench/dbn-decode.ts   (${N.toLocaleString()} records per schema, built with the encoder)`);
for (const [name, rtype] of [
  ["trades", RType.MBP_0],
  ["mbp-1", RType.MBP_1],
] as const) {
  const plain = build(rtype);
  const zstd = Bun.zstdCompressSync(plain, { level: 3 });
  console.log(`${name}: ${(plain.length / 1e6).toFixed(0)} MB plain, ${(zstd.length / 1e6).toFixed(1)} MB zstd`);
  let sink = 0;
  const floor = time("floor (read one 8-byte field per record)", () => {
    const view = new DataView(plain.buffer);
    let at = 8 + view.getUint32(4, true);
    let n = 0;
    while (at < plain.length) {
      // The price, as two 32-bit halves into one exact number: the cheapest useful read.
      sink += view.getInt32(at + 20, true) * 4294967296 + view.getUint32(at + 16, true);
      at += plain[at]! * 4;
      n++;
    }
    return n;
  });
  const cursor = new RecordCursor();
  const priceRate = time("cursor: instrument id and price", () => {
    let n = 0;
    const framer = new DbnFramer({
      record: (v, _b, off) => {
        cursor.at(v, off);
        sink += cursor.instrumentId + cursor.price;
        n++;
      },
    });
    framer.push(plain);
    return n;
  });
  const viewRate = time("cursor: id, price, size, ts_event (ms)", () => {
    let n = 0;
    const framer = new DbnFramer({
      record: (v, _b, off) => {
        cursor.at(v, off);
        sink += cursor.instrumentId + cursor.price + cursor.size32 + cursor.tsEventMs;
        n++;
      },
    });
    framer.push(plain);
    return n;
  });
  time("cursor, fed in 64 KiB chunks", () => {
    let n = 0;
    const framer = new DbnFramer({
      record: (v, _b, off) => {
        cursor.at(v, off);
        sink += cursor.price + cursor.size32;
        n++;
      },
    });
    for (let i = 0; i < plain.length; i += 65536) framer.push(plain.subarray(i, i + 65536));
    return n;
  });
  // Streaming decompression (as decodeDbnStream does): whole-buffer zstd of hundreds of MB
  // spends its time growing one huge buffer.
  let n = 0;
  const t0 = performance.now();
  {
    const framer = new DbnFramer({
      record: (v, _b, off) => {
        cursor.at(v, off);
        sink += cursor.price + cursor.size32;
        n++;
      },
    });
    const reader = new Blob([new Uint8Array(zstd)])
      .stream()
      .pipeThrough(
        new DecompressionStream("zstd" as CompressionFormat) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      )
      .getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) framer.push(r.value);
  }
  console.log(
    `  ${"zstd streamed + cursor".padEnd(44)} ${(n / ((performance.now() - t0) / 1000) / 1e6).toFixed(1).padStart(6)} M records/s`,
  );

  const objects = plain.subarray(
    0,
    Math.min(
      plain.length,
      8 +
        new DataView(plain.buffer).getUint32(4, true) +
        1_000_000 * plain[8 + new DataView(plain.buffer).getUint32(4, true)]! * 4,
    ),
  );
  time("full objects (first 1 M records)", () => {
    let n = 0;
    const framer: DbnFramer = new DbnFramer({
      record: (v, b, off) => {
        const r = decodeRecord(v, b, off, false);
        if (r) n++;
      },
    });
    framer.push(objects);
    return n;
  });
  console.log(
    `  cursor (id + price) vs floor: ${(floor / priceRate).toFixed(2)}× ; cursor (4 fields) vs floor: ${(floor / viewRate).toFixed(2)}×  (target ≤ 2×, ≥ 25 M records/s)`,
  );
  if (sink === 42) console.log("");
}
