/**
 * Zero-allocation reads of the hot record types (trades, MBP-1/TBBO, BBO, OHLCV) straight from
 * the buffer. 64-bit fields are read as two 32-bit halves into exact JS numbers: prices of
 * futures in 1e-9 units stay below 2^53, and timestamps are converted to milliseconds exactly.
 * One cursor is reused for every record; BigInt only on request.
 */
const TWO_32 = 4294967296;

export class RecordCursor {
  view: DataView = new DataView(new ArrayBuffer(16));
  offset = 0;

  /** Points the cursor at the record starting at `offset` of `view`. */
  at(view: DataView, offset: number): this {
    this.view = view;
    this.offset = offset;
    return this;
  }

  get size(): number {
    return this.view.getUint8(this.offset) * 4;
  }
  get rtype(): number {
    return this.view.getUint8(this.offset + 1);
  }
  get publisherId(): number {
    return this.view.getUint16(this.offset + 2, true);
  }
  get instrumentId(): number {
    return this.view.getUint32(this.offset + 4, true);
  }

  /** ts_event in whole milliseconds, exact (floor), without BigInt. */
  get tsEventMs(): number {
    return this.u64Ms(8);
  }
  tsEventNs(): bigint {
    return this.view.getBigUint64(this.offset + 8, true);
  }

  /** i64 price at a byte offset, in 1e-9 units; NaN for UNDEF_PRICE. */
  priceAt(off: number): number {
    const lo = this.view.getUint32(this.offset + off, true);
    const hi = this.view.getInt32(this.offset + off + 4, true);
    if (hi === 0x7fffffff && lo === 0xffffffff) return Number.NaN;
    return hi * TWO_32 + lo;
  }

  // Trades, MBP-1, TBBO, BBO, CMBP-1 share these offsets.
  get price(): number {
    return this.priceAt(16);
  }
  get size32(): number {
    return this.view.getUint32(this.offset + 24, true);
  }
  /** Aggressor / side as a char code ('A' 65, 'B' 66, 'N' 78). */
  get sideCode(): number {
    return this.view.getUint8(this.offset + 29);
  }
  get flags(): number {
    return this.view.getUint8(this.offset + 30);
  }
  get tsRecvMs(): number {
    return this.u64Ms(32);
  }
  // Top of book (level 0 at 48).
  get bidPx(): number {
    return this.priceAt(48);
  }
  get askPx(): number {
    return this.priceAt(56);
  }
  get bidSz(): number {
    return this.view.getUint32(this.offset + 64, true);
  }
  get askSz(): number {
    return this.view.getUint32(this.offset + 68, true);
  }
  // OHLCV.
  get open(): number {
    return this.priceAt(16);
  }
  get high(): number {
    return this.priceAt(24);
  }
  get low(): number {
    return this.priceAt(32);
  }
  get close(): number {
    return this.priceAt(40);
  }
  get volume(): number {
    const lo = this.view.getUint32(this.offset + 48, true);
    const hi = this.view.getUint32(this.offset + 52, true);
    return hi * TWO_32 + lo;
  }

  /** u64 nanoseconds at `off` → milliseconds, exactly: 2^32 ns = 4294 ms + 967296 ns. */
  private u64Ms(off: number): number {
    const lo = this.view.getUint32(this.offset + off, true);
    const hi = this.view.getUint32(this.offset + off + 4, true);
    return hi * 4294 + Math.floor((hi * 967296 + lo) / 1_000_000);
  }
}
