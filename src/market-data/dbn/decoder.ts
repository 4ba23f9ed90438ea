import { DbnDecodeError, ZSTD_MAGIC, ZSTD_SKIPPABLE_MAGIC } from "./constants";
import { DbnFramer } from "./framer";
import type { Metadata } from "./metadata";
import { decodeRecord, type DbnRecord } from "./record-codec";

export interface DecodeOptions {
  /** Records without a header: the version they were written in. */
  fragmentVersion?: number;
  /** Fragments only: records carry an 8-byte ts_out suffix. */
  fragmentTsOut?: boolean;
}

export interface Decoded {
  metadata: Metadata | undefined;
  records: DbnRecord[];
  /** Records of a type this decoder does not know, skipped by their length. */
  skipped: number;
}

function magic(bytes: Uint8Array): number {
  return bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : 0;
}

/** Plain DBN, or zstd (one or several frames) around it. Legacy DBZ is refused by name. */
export function decompressIfNeeded(bytes: Uint8Array): Uint8Array {
  const m = magic(bytes);
  if (m === ZSTD_SKIPPABLE_MAGIC)
    throw new DbnDecodeError("legacy DBZ data is not supported: convert it to DBN (dbn CLI: `dbn --dbn`)", 0);
  if (m !== ZSTD_MAGIC) return bytes;
  try {
    return Bun.zstdDecompressSync(bytes);
  } catch (err) {
    throw new DbnDecodeError(`corrupt zstd data: ${(err as Error).message}`, 0);
  }
}

/**
 * The DBN version of header-less records, from the size of the first one whose layout changed
 * between versions (definitions, statistics, mappings, system and error messages); records
 * whose layout never changed decode the same in any version, so 3 is as good as any.
 */
export function inferFragmentVersion(bytes: Uint8Array): number {
  const sizes: Record<number, Record<number, number>> = {
    19: { 360: 1, 400: 2, 520: 3 },
    24: { 64: 2, 80: 3 },
    22: { 80: 1, 176: 2 },
    23: { 80: 1, 320: 2 },
    21: { 80: 1, 320: 2 },
  };
  for (let at = 0; at + 2 <= bytes.length; ) {
    const size = bytes[at]! * 4;
    if (size < 16) break;
    const v = sizes[bytes[at + 1]!]?.[size] ?? sizes[bytes[at + 1]!]?.[size - 8];
    if (v !== undefined) return v;
    at += size;
  }
  return 3;
}

/** A framer that decodes each record into an object (undefined: a record type it does not know). */
function recordFramer(
  opts: DecodeOptions,
  onRecord: (rec: DbnRecord | undefined) => void,
  onMetadata?: (m: Metadata) => void,
): DbnFramer {
  const framer: DbnFramer = new DbnFramer(
    {
      metadata: onMetadata,
      record: (view, b, offset) =>
        onRecord(
          decodeRecord(
            view,
            b,
            offset,
            opts.fragmentVersion !== undefined ? Boolean(opts.fragmentTsOut) : framer.tsOut,
          ) ?? undefined,
        ),
    },
    opts.fragmentVersion,
  );
  return framer;
}

/** A whole file or buffer into its metadata and record objects. */
export function decodeDbn(input: Uint8Array, opts: DecodeOptions = {}): Decoded {
  const bytes = decompressIfNeeded(input);
  const records: DbnRecord[] = [];
  let skipped = 0;
  const framer = recordFramer(opts, (rec) => {
    if (rec) records.push(rec);
    else skipped++;
  });
  framer.push(bytes);
  framer.finish();
  return { metadata: framer.metadata, records, skipped };
}

/**
 * Records as they arrive from a byte stream (socket, HTTP body, file), zstd detected from the
 * first bytes and decompressed on the fly; nothing is buffered beyond a split record.
 */
export async function* decodeDbnStream(
  stream: ReadableStream<Uint8Array>,
  opts: DecodeOptions = {},
): AsyncGenerator<Metadata | DbnRecord> {
  const reader = stream.getReader();
  let first = await reader.read();
  while (!first.done && first.value.length < 4) {
    const more = await reader.read();
    if (more.done) break;
    const joined = new Uint8Array(first.value.length + more.value.length);
    joined.set(first.value);
    joined.set(more.value, first.value.length);
    first = { done: false, value: joined };
  }
  if (first.done) throw new DbnDecodeError("empty input: no DBN header", 0);
  const head = first.value;
  if (magic(head) === ZSTD_SKIPPABLE_MAGIC)
    throw new DbnDecodeError("legacy DBZ data is not supported: convert it to DBN (dbn CLI: `dbn --dbn`)", 0);
  let source: ReadableStreamDefaultReader<Uint8Array> = reader;
  if (magic(head) === ZSTD_MAGIC) {
    const rest = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(head);
      },
      async pull(c) {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
    });
    source = rest
      .pipeThrough(
        new DecompressionStream("zstd" as CompressionFormat) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      )
      .getReader();
  }
  const out: (Metadata | DbnRecord)[] = [];
  const framer = recordFramer(
    opts,
    (rec) => void (rec && out.push(rec)),
    (m) => void out.push(m),
  );
  if (source === reader) framer.push(head);
  for (;;) {
    const r = await source.read().catch((err: Error) => {
      throw new DbnDecodeError(`corrupt zstd data: ${err.message}`, 0);
    });
    if (r.done) break;
    framer.push(r.value);
    yield* out.splice(0);
  }
  framer.finish();
  yield* out.splice(0);
}
