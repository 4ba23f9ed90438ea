import type { Nanos, OrderRequest } from "../engine/types";

/**
 * How simulated orders fill (paper accounts and replays alike; docs/trading-rules.md R1.2,
 * R1.3, R2.2, R3.2). One place, so a paper trade and the same trade replayed fill alike.
 *
 * - Market: at its reference print ± slippage; with no reference (sent while the feed was down)
 *   at the next print.
 * - Take-profit (a limit at its level): at the level once a print reaches it — never better,
 *   even when the print jumped beyond it.
 * - Any other limit (an entry, a stop-limit's exit): marketable when placed → at the print (it
 *   takes the market); otherwise it rests and fills at its limit when a print reaches it.
 */
export function fillOnSubmit(o: OrderRequest, slip: Nanos = 0): Nanos | undefined {
  if (o.type === "market") return o.refPrice > 0 ? adverse(o, o.refPrice, slip) : undefined;
  const limit = o.limitPrice!;
  if (!(o.refPrice > 0) || !reaches(o, o.refPrice, limit)) return undefined;
  return o.purpose === "tp" ? limit : o.refPrice;
}

/** A resting order and a later print: the fill price, or undefined while it keeps resting. */
export function fillOnPrint(o: OrderRequest, price: Nanos, slip: Nanos = 0): Nanos | undefined {
  if (o.type === "market") return adverse(o, price, slip);
  const limit = o.limitPrice!;
  return reaches(o, price, limit) ? limit : undefined;
}

/** A sell limit is reached at or above it, a buy limit at or below. */
const reaches = (o: OrderRequest, price: Nanos, limit: Nanos) => (o.side === "buy" ? price <= limit : price >= limit);
const adverse = (o: OrderRequest, price: Nanos, slip: Nanos) => (o.side === "buy" ? price + slip : price - slip);
