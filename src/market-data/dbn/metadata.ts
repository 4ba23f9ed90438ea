import { DbnDecodeError, UNDEF_TIMESTAMP } from "./constants";

/** DBN metadata (docs/databento.md §3), with Databento's own field names. */
export interface Metadata {
  version: number;
  dataset: string;
  /** Schema code; null = mixed (0xFFFF). */
  schema: number | null;
  start: bigint;
  /** null = none (UNDEF_TIMESTAMP). */
  end: bigint | null;
  limit: bigint;
  /** null = mixed/none (0xFF). */
  stype_in: number | null;
  stype_out: number | null;
  ts_out: boolean;
  symbol_cstr_len: number;
  symbols: string[];
  partial: string[];
  not_found: string[];
  mappings: { raw_symbol: string; intervals: { start_date: number; end_date: number; symbol: string }[] }[];
}

export const PRELUDE_SIZE = 8;
const FIXED_SIZE = 100;
/** Guard against absurd lengths in corrupt input (real headers are kilobytes). */
export const MAX_METADATA_LENGTH = 64 * 1024 * 1024;

const latin1 = new TextDecoder("latin1");

/**
 * A DBN version newer than this decoder reads (Databento raises it with new layouts). Not
 * corrupt bytes: the same source sends the same again, so a reader stops and says so.
 */
export class DbnVersionError extends DbnDecodeError {
  override name = "DbnVersionError";
  constructor(
    readonly version: number,
    offset: number,
  ) {
    super(
      `unsupported DBN version ${version}: this app reads versions 1 to 3; its DBN decoder must be updated for version ${version}`,
      offset,
    );
  }
}

/** Length of the whole header (prelude + metadata), or undefined until 8 bytes are available. */
export function headerLength(bytes: Uint8Array, streamOffset = 0): number | undefined {
  if (bytes.length < PRELUDE_SIZE) return undefined;
  if (bytes[0] !== 0x44 || bytes[1] !== 0x42 || bytes[2] !== 0x4e) {
    if (bytes[0] === 0x44 && bytes[1] === 0x42 && bytes[2] === 0x5a)
      throw new DbnDecodeError(
        "legacy DBZ data is not supported: convert it to DBN (dbn CLI: `dbn --dbn`)",
        streamOffset,
      );
    throw new DbnDecodeError('not DBN data: bad magic (expected "DBN")', streamOffset);
  }
  const version = bytes[3]!;
  if (version > 3) throw new DbnVersionError(version, streamOffset + 3);
  if (version < 1) throw new DbnDecodeError(`unsupported DBN version ${version} (1 to 3 are)`, streamOffset + 3);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (length < FIXED_SIZE + 4)
    throw new DbnDecodeError(`metadata length ${length} is shorter than the fixed part`, streamOffset + 4);
  if (length > MAX_METADATA_LENGTH)
    throw new DbnDecodeError(`metadata length ${length} is implausible`, streamOffset + 4);
  return PRELUDE_SIZE + length;
}

/** Parses a complete header (`bytes` holds at least headerLength bytes). */
export function decodeMetadata(bytes: Uint8Array, streamOffset = 0): Metadata {
  const total = headerLength(bytes, streamOffset);
  if (total === undefined || bytes.length < total)
    throw new DbnDecodeError("truncated metadata", streamOffset + bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, total);
  const version = bytes[3]!;
  const cstr = (at: number, n: number) => {
    if (at + n > total) throw new DbnDecodeError("metadata field runs past the header", streamOffset + at);
    let end = at;
    while (end < at + n && bytes[end] !== 0) end++;
    return latin1.decode(bytes.subarray(at, end));
  };
  const u32 = (at: number) => {
    if (at + 4 > total) throw new DbnDecodeError("metadata count runs past the header", streamOffset + at);
    return view.getUint32(at, true);
  };
  const schema = view.getUint16(24, true);
  const end = view.getBigUint64(34, true);
  const v1 = version === 1;
  const stypeIn = view.getUint8(v1 ? 58 : 50);
  const stypeOut = view.getUint8(v1 ? 59 : 51);
  const symbolLen = v1 ? 22 : view.getUint16(53, true);
  if (symbolLen === 0 || symbolLen > 1024)
    throw new DbnDecodeError(`symbol length ${symbolLen} is implausible`, streamOffset + 53);
  const schemaDefLen = u32(108);
  if (schemaDefLen !== 0)
    throw new DbnDecodeError("metadata with a schema definition is not supported", streamOffset + 108);
  let at = 112;
  const list = (): string[] => {
    const count = u32(at);
    at += 4;
    if (count * symbolLen > total - at)
      throw new DbnDecodeError(`symbol count ${count} does not fit in the header`, streamOffset + at - 4);
    const out: string[] = [];
    for (let i = 0; i < count; i++, at += symbolLen) out.push(cstr(at, symbolLen));
    return out;
  };
  const symbols = list();
  const partial = list();
  const not_found = list();
  const mappingCount = u32(at);
  at += 4;
  if (mappingCount * (symbolLen + 4) > total - at)
    throw new DbnDecodeError(`mapping count ${mappingCount} does not fit in the header`, streamOffset + at - 4);
  const mappings: Metadata["mappings"] = [];
  for (let i = 0; i < mappingCount; i++) {
    const raw_symbol = cstr(at, symbolLen);
    at += symbolLen;
    const n = u32(at);
    at += 4;
    if (n * (8 + symbolLen) > total - at)
      throw new DbnDecodeError(`interval count ${n} does not fit in the header`, streamOffset + at - 4);
    const intervals: Metadata["mappings"][number]["intervals"] = [];
    for (let j = 0; j < n; j++) {
      intervals.push({ start_date: u32(at), end_date: u32(at + 4), symbol: cstr(at + 8, symbolLen) });
      at += 8 + symbolLen;
    }
    mappings.push({ raw_symbol, intervals });
  }
  return {
    version,
    dataset: cstr(8, 16),
    schema: schema === 0xffff ? null : schema,
    start: view.getBigUint64(26, true),
    end: end === UNDEF_TIMESTAMP ? null : end,
    limit: view.getBigUint64(42, true),
    stype_in: stypeIn === 0xff ? null : stypeIn,
    stype_out: stypeOut === 0xff ? null : stypeOut,
    ts_out: view.getUint8(v1 ? 60 : 52) === 1,
    symbol_cstr_len: symbolLen,
    symbols,
    partial,
    not_found,
    mappings,
  };
}

/** What a header is written from: any field left out takes the value most headers carry. */
export type MetadataFields = Partial<Omit<Metadata, "symbol_cstr_len">> & { symbol_cstr_len?: number };

/**
 * A header's fields with the usual values filled in: a DBN v3 GLBX.MDP3 stream of mixed schema,
 * from time 0, no end, no limit, symbols out as instrument ids, no ts_out, empty lists, and the
 * version's symbol width (22 bytes in v1, 71 after).
 */
export function metadataWith(m: MetadataFields): Metadata {
  const version = m.version ?? 3;
  return {
    version,
    symbol_cstr_len: version === 1 ? 22 : 71,
    dataset: "GLBX.MDP3",
    schema: null,
    start: 0n,
    end: null,
    limit: 0n,
    stype_in: null,
    stype_out: 0,
    ts_out: false,
    symbols: [],
    partial: [],
    not_found: [],
    mappings: [],
    ...m,
  };
}

/** Writes a header; v3 pads the metadata to a multiple of 8 bytes as Databento does. */
export function encodeMetadata(fields: MetadataFields): Uint8Array {
  const m = metadataWith(fields);
  const v1 = m.version === 1;
  const L = v1 ? 22 : (m.symbol_cstr_len ?? 71);
  const listBytes = (xs: string[]) => 4 + xs.length * L;
  let length = FIXED_SIZE + 4 + listBytes(m.symbols) + listBytes(m.partial) + listBytes(m.not_found) + 4;
  for (const mp of m.mappings) length += L + 4 + mp.intervals.length * (8 + L);
  if (m.version >= 3) length = Math.ceil(length / 8) * 8;
  const bytes = new Uint8Array(PRELUDE_SIZE + length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x44, 0x42, 0x4e, m.version]);
  view.setUint32(4, length, true);
  const put = (at: number, s: string, n: number) => {
    if (s.length >= n) throw new RangeError(`"${s}" is longer than ${n - 1} characters`);
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i) & 0xff;
  };
  put(8, m.dataset, 16);
  view.setUint16(24, m.schema ?? 0xffff, true);
  view.setBigUint64(26, m.start, true);
  view.setBigUint64(34, m.end ?? UNDEF_TIMESTAMP, true);
  view.setBigUint64(42, m.limit, true);
  if (v1) {
    view.setBigUint64(50, 0n, true);
    view.setUint8(58, m.stype_in ?? 0xff);
    view.setUint8(59, m.stype_out ?? 0xff);
    view.setUint8(60, m.ts_out ? 1 : 0);
  } else {
    view.setUint8(50, m.stype_in ?? 0xff);
    view.setUint8(51, m.stype_out ?? 0xff);
    view.setUint8(52, m.ts_out ? 1 : 0);
    view.setUint16(53, L, true);
  }
  let at = 112;
  for (const xs of [m.symbols, m.partial, m.not_found]) {
    view.setUint32(at, xs.length, true);
    at += 4;
    for (const s of xs) {
      put(at, s, L);
      at += L;
    }
  }
  view.setUint32(at, m.mappings.length, true);
  at += 4;
  for (const mp of m.mappings) {
    put(at, mp.raw_symbol, L);
    at += L;
    view.setUint32(at, mp.intervals.length, true);
    at += 4;
    for (const iv of mp.intervals) {
      view.setUint32(at, iv.start_date, true);
      view.setUint32(at + 4, iv.end_date, true);
      put(at + 8, iv.symbol, L);
      at += 8 + L;
    }
  }
  return bytes;
}
