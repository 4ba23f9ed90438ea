import { barPoints } from "../../market-data/bars/bar";
import type { BusEvents, QuoteTick } from "../../market-data/bus/price-bus";
import { nanosToPoints } from "../../shared/fixed-point";
import { barMessage, statusMessage } from "./messages";
import type { PriceHub } from "./hub";

export interface FeedBridgeOptions {
  /** The product root an instrument id prints for (market data's map), if any. */
  rootOf(instrumentId: number): string | undefined;
  /** What the status message says of the instance besides the feed (its role in a cluster). */
  describeInstance?: () => unknown;
}

type Book = Pick<QuoteTick, "bid" | "ask" | "bidSize" | "askSize">;

/**
 * Market data's domain events → browser messages: prices in points for the hub (which gathers
 * a chunk's prints into one message per symbol), `bar` and `status` messages. Returns the bus
 * subscriber; the app subscribes it, after the engine (app/subscribers.ts).
 */
export function feedToBrowsers(hub: PriceHub, o: FeedBridgeOptions): BusEvents {
  const lastQuote = new Map<number, Book>();
  return {
    trade: (t) => {
      const root = o.rootOf(t.instrumentId);
      if (!root) return;
      // The hub gathers the prints of one decoded chunk into one message per symbol.
      hub.publishTrade(root, nanosToPoints(t.price), t.size, t.side, t.tsMs);
    },
    quote: (q) => {
      const root = o.rootOf(q.instrumentId);
      if (!root) return;
      // MBP-1 repeats the top of book on every trade; browsers only need it when it moved.
      const last = lastQuote.get(q.instrumentId);
      if (last) {
        if (last.bid === q.bid && last.ask === q.ask && last.bidSize === q.bidSize && last.askSize === q.askSize)
          return;
        last.bid = q.bid;
        last.ask = q.ask;
        last.bidSize = q.bidSize;
        last.askSize = q.askSize;
      } else lastQuote.set(q.instrumentId, { bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize });
      hub.publishQuote(
        root,
        q.bid === null ? null : nanosToPoints(q.bid),
        q.ask === null ? null : nanosToPoints(q.ask),
        q.bidSize,
        q.askSize,
        q.tsMs,
      );
    },
    // A rolled-away contract's book is forgotten: should it print again, its first quote goes out.
    retired: (r) => void lastQuote.delete(r.instrumentId),
    bar: (b) => {
      const root = o.rootOf(b.instrumentId);
      if (!root) return;
      hub.broadcast(root, barMessage({ s: root, i: b.interval, ...barPoints(b) }));
    },
    status: (feed) => hub.broadcast(null, statusMessage(feed, o.describeInstance)),
  };
}
