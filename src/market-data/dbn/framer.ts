import { DbnDecodeError, HEADER_SIZE } from "./constants";
import { decodeMetadata, headerLength, type Metadata } from "./metadata";

export interface FramerHandlers {
  metadata?(m: Metadata): void;
  /** A complete record at `offset` in `bytes`/`view`, valid only during the call. */
  record(view: DataView, bytes: Uint8Array, offset: number, size: number): void;
}

/**
 * Cuts a DBN byte stream into its header and records, for bytes arriving in any chunking
 * (down to one byte at a time). Records inside a chunk are handed over in place, without
 * copying; only a record split across chunks is assembled in a small carry buffer.
 */
export class DbnFramer {
  private carry: Uint8Array = new Uint8Array(1024);
  private carryLen = 0;
  private haveHeader: boolean;
  private streamOffset = 0;
  metadata: Metadata | undefined;
  records = 0;

  constructor(
    private readonly h: FramerHandlers,
    /** For fragments (records without a header): the DBN version they were written in. */
    fragmentVersion?: number,
  ) {
    this.haveHeader = fragmentVersion !== undefined;
    if (fragmentVersion !== undefined) this.version = fragmentVersion;
  }

  version = 3;
  get tsOut(): boolean {
    return this.metadata?.ts_out ?? false;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    // Finish a unit split across chunks first.
    while (this.carryLen > 0 && pos < n) {
      const need = this.unitLength(this.carry, 0, this.carryLen, this.streamOffset);
      const target = need ?? (this.haveHeader ? 1 : 8);
      const take = Math.min(target - this.carryLen, n - pos);
      this.ensureCarry(this.carryLen + take);
      this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
      this.carryLen += take;
      pos += take;
      const full = this.unitLength(this.carry, 0, this.carryLen, this.streamOffset);
      if (full !== undefined && this.carryLen >= full) {
        this.emit(this.carry, 0, full, new DataView(this.carry.buffer, 0, full));
        this.streamOffset += full;
        this.carryLen = 0;
      }
    }
    if (pos >= n) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.haveHeader) {
      const len = this.unitLength(chunk, pos, n - pos, this.streamOffset);
      if (len !== undefined && pos + len <= n) {
        this.emit(chunk, pos, len, view);
        pos += len;
        this.streamOffset += len;
      }
    }
    if (this.haveHeader) {
      // The hot loop: records back to back, each handed over in place.
      const handler = this.h;
      const start = pos;
      let count = 0;
      while (pos < n) {
        const size = chunk[pos]! * 4;
        if (size < HEADER_SIZE)
          throw new DbnDecodeError(
            `corrupt record: length ${size} bytes is shorter than a record header`,
            this.streamOffset + pos - start,
          );
        if (pos + size > n) break;
        handler.record(view, chunk, pos, size);
        pos += size;
        count++;
      }
      this.records += count;
      this.streamOffset += pos - start;
    }
    if (pos < n) {
      this.ensureCarry(n - pos);
      this.carry.set(chunk.subarray(pos), 0);
      this.carryLen = n - pos;
    }
  }

  /** End of input: anything left over is a truncated header or record. */
  finish(): void {
    if (this.carryLen > 0) {
      const need = this.unitLength(this.carry, 0, this.carryLen, this.streamOffset);
      throw new DbnDecodeError(
        `truncated ${this.haveHeader ? "record" : "metadata"}: ${this.carryLen} of ${need ?? "at least " + (this.haveHeader ? HEADER_SIZE : 8)} bytes`,
        this.streamOffset,
      );
    }
    if (!this.haveHeader && this.streamOffset === 0) throw new DbnDecodeError("empty input: no DBN header", 0);
  }

  private ensureCarry(size: number) {
    if (this.carry.length >= size) return;
    const next = new Uint8Array(Math.max(size, this.carry.length * 2));
    next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }

  /** Bytes of the next unit (header or record) starting at `at`, or undefined if not yet known. */
  private unitLength(bytes: Uint8Array, at: number, available: number, streamOffset: number): number | undefined {
    if (!this.haveHeader) {
      if (available < 8) return undefined;
      return headerLength(
        at === 0 && bytes.length === available ? bytes : bytes.subarray(at, at + available),
        streamOffset,
      );
    }
    if (available < 1) return undefined;
    const size = bytes[at]! * 4;
    if (size < HEADER_SIZE)
      throw new DbnDecodeError(`corrupt record: length ${size} bytes is shorter than a record header`, streamOffset);
    return size;
  }

  private emit(bytes: Uint8Array, at: number, len: number, view: DataView) {
    if (!this.haveHeader) {
      this.metadata = decodeMetadata(bytes.subarray(at, at + len), this.streamOffset);
      this.version = this.metadata.version;
      this.haveHeader = true;
      this.h.metadata?.(this.metadata);
      return;
    }
    this.records++;
    this.h.record(view, bytes, at, len);
  }
}
