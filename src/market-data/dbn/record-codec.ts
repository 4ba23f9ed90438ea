import { DbnDecodeError, HEADER_SIZE } from "./constants";
import { layoutFor, layoutForVersion, type Field, type Layout } from "./layouts";

export interface RecordHeader {
  rtype: number;
  publisher_id: number;
  instrument_id: number;
  ts_event: bigint;
}

export type FieldValue = bigint | number | string | Level[];

export interface Level {
  bid_px: bigint;
  ask_px: bigint;
  bid_sz: number;
  ask_sz: number;
  bid_ct?: number;
  ask_ct?: number;
  bid_pb?: number;
  ask_pb?: number;
}

/** A decoded record: the header under `hd`, then the spec's fields by their spec names. */
export interface DbnRecord {
  hd: RecordHeader;
  ts_out?: bigint;
  [field: string]: FieldValue | RecordHeader | undefined;
}

const latin1 = new TextDecoder("latin1");

function readCstr(bytes: Uint8Array, at: number, n: number): string {
  let end = at;
  const stop = at + n;
  while (end < stop && bytes[end] !== 0) end++;
  return latin1.decode(bytes.subarray(at, end));
}

function readField(view: DataView, bytes: Uint8Array, base: number, f: Field): FieldValue {
  const [, type, off] = f;
  const at = base + off;
  switch (type) {
    case "i64":
      return view.getBigInt64(at, true);
    case "u64":
      return view.getBigUint64(at, true);
    case "i32":
      return view.getInt32(at, true);
    case "u32":
      return view.getUint32(at, true);
    case "i16":
      return view.getInt16(at, true);
    case "u16":
      return view.getUint16(at, true);
    case "i8":
      return view.getInt8(at);
    case "u8":
      return view.getUint8(at);
    case "char": {
      const c = view.getUint8(at);
      return c === 0 ? "" : String.fromCharCode(c);
    }
    default:
      if ("cstr" in type) return readCstr(bytes, at, type.cstr);
      return readLevels(view, at, type.levels, type.consolidated);
  }
}

function readLevels(view: DataView, at: number, count: number, consolidated: boolean): Level[] {
  const out: Level[] = [];
  for (let i = 0; i < count; i++) {
    const p = at + i * 32;
    const l: Level = {
      bid_px: view.getBigInt64(p, true),
      ask_px: view.getBigInt64(p + 8, true),
      bid_sz: view.getUint32(p + 16, true),
      ask_sz: view.getUint32(p + 20, true),
    };
    if (consolidated) {
      l.bid_pb = view.getUint16(p + 24, true);
      l.ask_pb = view.getUint16(p + 28, true);
    } else {
      l.bid_ct = view.getUint32(p + 24, true);
      l.ask_ct = view.getUint32(p + 28, true);
    }
    out.push(l);
  }
  return out;
}

/**
 * Decodes the record at `offset` (its full length already known to be in `bytes`). The layout
 * follows the record's own length, not the stream's DBN version (layoutFor). Unknown record
 * types return undefined; the caller skips them by their length byte.
 */
export function decodeRecord(view: DataView, bytes: Uint8Array, offset: number, tsOut: boolean): DbnRecord | undefined {
  const size = view.getUint8(offset) * 4;
  const rtype = view.getUint8(offset + 1);
  const body = tsOut ? size - 8 : size;
  const layout = layoutFor(rtype, body);
  if (!layout) return undefined;
  if (body < layout.size)
    throw new DbnDecodeError(
      `record of type 0x${rtype.toString(16)} is ${size} bytes, shorter than its ${layout.size}-byte layout`,
      offset,
    );
  const rec: DbnRecord = {
    hd: {
      rtype,
      publisher_id: view.getUint16(offset + 2, true),
      instrument_id: view.getUint32(offset + 4, true),
      ts_event: view.getBigUint64(offset + 8, true),
    },
  };
  for (const f of layout.fields) rec[f[0]] = readField(view, bytes, offset, f);
  if (tsOut) rec.ts_out = view.getBigUint64(offset + size - 8, true);
  return rec;
}

export function recordLayout(rtype: number, version: number): Layout | undefined {
  return layoutForVersion(rtype, version);
}

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Encodes a record in the layout of `version`; fields absent from `rec` are written as zero. */
export function encodeRecord(rec: DbnRecord, version: number, tsOut?: bigint): Uint8Array {
  const layout = layoutForVersion(rec.hd.rtype, version);
  if (!layout) throw new RangeError(`cannot encode record type 0x${rec.hd.rtype.toString(16)}`);
  const size = layout.size + (tsOut === undefined ? 0 : 8);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, size / 4);
  view.setUint8(1, rec.hd.rtype);
  view.setUint16(2, rec.hd.publisher_id, true);
  view.setUint32(4, rec.hd.instrument_id, true);
  view.setBigUint64(8, rec.hd.ts_event, true);
  for (const [name, type, off] of layout.fields) {
    const v = rec[name];
    if (v === undefined) continue;
    switch (type) {
      case "i64":
        view.setBigInt64(off, v as bigint, true);
        break;
      case "u64":
        view.setBigUint64(off, v as bigint, true);
        break;
      case "i32":
        view.setInt32(off, v as number, true);
        break;
      case "u32":
        view.setUint32(off, v as number, true);
        break;
      case "i16":
        view.setInt16(off, v as number, true);
        break;
      case "u16":
        view.setUint16(off, v as number, true);
        break;
      case "i8":
        view.setInt8(off, v as number);
        break;
      case "u8":
        view.setUint8(off, v as number);
        break;
      case "char":
        view.setUint8(off, (v as string).length ? (v as string).charCodeAt(0) : 0);
        break;
      default:
        if ("cstr" in type) {
          const b = latin1Bytes(v as string);
          if (b.length >= type.cstr) throw new RangeError(`${name} is longer than ${type.cstr - 1} characters`);
          bytes.set(b, off);
        } else {
          (v as Level[]).slice(0, type.levels).forEach((l, i) => {
            const p = off + i * 32;
            view.setBigInt64(p, l.bid_px, true);
            view.setBigInt64(p + 8, l.ask_px, true);
            view.setUint32(p + 16, l.bid_sz, true);
            view.setUint32(p + 20, l.ask_sz, true);
            if (type.consolidated) {
              view.setUint16(p + 24, l.bid_pb ?? 0, true);
              view.setUint16(p + 28, l.ask_pb ?? 0, true);
            } else {
              view.setUint32(p + 24, l.bid_ct ?? 0, true);
              view.setUint32(p + 28, l.ask_ct ?? 0, true);
            }
          });
        }
    }
  }
  if (tsOut !== undefined) view.setBigUint64(size - 8, tsOut, true);
  return bytes;
}

export { HEADER_SIZE };
