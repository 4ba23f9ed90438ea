import type { PriceBus } from "../bus/price-bus";
import { RType } from "../dbn/constants";
import type { RecordCursor } from "../dbn/cursor";
import { decodeRecord } from "../dbn/record-codec";
import type { Logger } from "../../log/logger";
import type { InstrumentRegistry } from "../instruments/instrument-registry";

/** A price record of the root's current contract → the bus: a Databento bar, a print, the book. */
export function publishRecord(bus: PriceBus, c: RecordCursor, rtype: number, id: number): void {
  if (rtype === RType.OHLCV_1M) {
    bus.publishBar({
      instrumentId: id,
      interval: "1m",
      startMs: c.tsEventMs,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      source: "databento",
    });
    return;
  }
  if (rtype === RType.MBP_1 || rtype === RType.MBP_0) {
    const ts = c.tsEventMs;
    const side = c.sideCode === 66 ? "B" : c.sideCode === 65 ? "A" : "N";
    // In MBP-1, action 'T' is a trade print; anything else changed the book.
    const action = c.view.getUint8(c.offset + 28);
    if (rtype === RType.MBP_0 || action === 84)
      bus.publishTrade({ instrumentId: id, tsMs: ts, recvMs: c.tsRecvMs, price: c.price, size: c.size32, side });
    if (rtype === RType.MBP_1) {
      const bid = c.bidPx;
      const ask = c.askPx;
      bus.publishQuote({
        instrumentId: id,
        tsMs: ts,
        bid: Number.isNaN(bid) ? null : bid,
        ask: Number.isNaN(ask) ? null : ask,
        bidSize: c.bidSz,
        askSize: c.askSz,
      });
    }
  }
}

/** An instrument definition: the exchange's tick size and point value override the catalogue's. */
export function applyDefinition(
  c: RecordCursor,
  root: string | undefined,
  stream: { version: number; tsOut: boolean },
  instruments: InstrumentRegistry,
  logger: Logger,
): void {
  const bytes = new Uint8Array(c.view.buffer, c.view.byteOffset, c.view.byteLength);
  const def = decodeRecord(c.view, bytes, c.offset, stream.tsOut);
  if (!root || !def) return;
  const r = instruments.applyDefinition(root, def);
  if (!r.ok) logger.debug("feed.definition_ignored", { symbol: root, reason: r.reason });
  else if (r.changed.length)
    logger.warn("feed.definition_override", {
      symbol: root,
      contract: String(def.raw_symbol ?? ""),
      changed: r.changed.join("; "),
      reason: "the exchange's definition differs from the catalogue",
    });
}
