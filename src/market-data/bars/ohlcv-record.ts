import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import type { OhlcvRow } from "./bar";

/** A one-minute bar as a DBN OHLCV-1M record (the archive's export and the simulated past write them). */
export function ohlcvRecord(instrumentId: number, b: OhlcvRow): DbnRecord {
  return {
    hd: {
      rtype: RType.OHLCV_1M,
      publisher_id: 1,
      instrument_id: instrumentId,
      ts_event: BigInt(b.startMs) * 1_000_000n,
    },
    open: BigInt(b.open),
    high: BigInt(b.high),
    low: BigInt(b.low),
    close: BigInt(b.close),
    volume: BigInt(b.volume),
  };
}
