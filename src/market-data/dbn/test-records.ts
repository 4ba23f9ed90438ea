import { RType } from "./constants";
import type { DbnRecord } from "./record-codec";

/**
 * An MBP-1 trade print (action T) for tests, on a 0.25 grid: the price `ticks` ticks up from 0,
 * the book one tick wide with the bid at the print.
 */
export function mbp1Print(p: {
  instrumentId: number;
  eventNs: bigint;
  recvNs: bigint;
  ticks: number;
  size?: number;
  side?: "A" | "B" | "N";
  sequence?: number;
  bookSizes?: [bid: number, ask: number];
}): DbnRecord {
  const [bidSz, askSz] = p.bookSizes ?? [1, 1];
  return {
    hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: p.instrumentId, ts_event: p.eventNs },
    price: BigInt(p.ticks) * 250_000_000n,
    size: p.size ?? 1,
    action: "T",
    side: p.side ?? "B",
    flags: 128,
    depth: 0,
    ts_recv: p.recvNs,
    ts_in_delta: 0,
    sequence: p.sequence ?? 1,
    levels: [
      {
        bid_px: BigInt(p.ticks) * 250_000_000n,
        ask_px: BigInt(p.ticks + 1) * 250_000_000n,
        bid_sz: bidSz,
        ask_sz: askSz,
        bid_ct: 1,
        ask_ct: 1,
      },
    ],
  };
}
