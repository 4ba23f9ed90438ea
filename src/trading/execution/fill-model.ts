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

/** An order the fill model holds until prints fill what is left of it. */
export interface Resting {
  order: OrderRequest;
  left: number;
}

export interface RestingOptions {
  /** Adverse slippage of an order (paper's ticks of slippage; none in a replay). */
  slip?: (o: OrderRequest) => Nanos;
  /** Fill at most this many contracts per print (partial fills; default: all). */
  maxPerPrint?: number;
  /**
   * Visit the newest resting order first, and answer each fill before the next is looked at
   * (a replay steps its engine inside `fill`, which may add or cancel orders). Paper reports
   * later and visits the oldest first. Each keeps the order its fills have always come in.
   */
  newestFirst?: boolean;
  /** Is the order still working? One the engine has forgotten is dropped, unfilled, when a print comes. */
  working?: (orderId: string) => boolean;
}

/**
 * The orders that did not fill when they arrived, for paper accounts and replays alike: an order
 * is filled at once or rests (`accept`), a print fills what it reaches (`reach`), and the engine's
 * cancel withdraws it. The prices are the rules above; only when the fills are answered differs.
 */
export class RestingOrders {
  private readonly list: Resting[] = [];

  constructor(private readonly o: RestingOptions = {}) {}

  get size(): number {
    return this.list.length;
  }

  /** An order arrives: the fill it gets at once, if any; what is left of it rests. */
  accept(order: OrderRequest): { qty: number; price: Nanos } | undefined {
    const r: Resting = { order, left: order.qty };
    const price = fillOnSubmit(order, this.slip(order));
    const fill = price === undefined ? undefined : { qty: this.take(r), price };
    if (r.left > 0) this.list.push(r);
    return fill;
  }

  cancel(orderId: string): void {
    const i = this.list.findIndex((r) => r.order.id === orderId);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** A print of `symbol`: every resting order it reaches is filled (all of what is left, or maxPerPrint). */
  reach(symbol: string, price: Nanos, fill: (order: OrderRequest, qty: number, price: Nanos) => void): void {
    const list = this.list;
    if (!this.o.newestFirst) {
      let filled = false;
      for (const r of list) {
        if (r.order.symbol !== symbol) continue;
        const at = fillOnPrint(r.order, price, this.slip(r.order));
        if (at === undefined) continue;
        fill(r.order, this.take(r), at);
        filled = true;
      }
      // Most prints reach nothing: the list is only compacted when an order filled.
      if (filled) for (let i = list.length - 1; i >= 0; i--) if (list[i]!.left === 0) list.splice(i, 1);
      return;
    }
    const working = this.o.working;
    for (let i = list.length - 1; i >= 0; i--) {
      // A fill's answer cancelled orders before this one: the list is shorter now (it used to throw here).
      if (i >= list.length) continue;
      const r = list[i]!;
      if (working && !working(r.order.id)) {
        list.splice(i, 1);
        continue;
      }
      if (r.order.symbol !== symbol) continue;
      const at = fillOnPrint(r.order, price, this.slip(r.order));
      if (at === undefined) continue;
      const qty = this.take(r);
      // Out of the list before its fill is answered: the answer may add orders or cancel others.
      if (r.left === 0) list.splice(i, 1);
      fill(r.order, qty, at);
    }
  }

  private slip(o: OrderRequest): Nanos {
    return this.o.slip ? this.o.slip(o) : 0;
  }

  private take(r: Resting): number {
    const qty = Math.min(r.left, this.o.maxPerPrint ?? r.left);
    r.left -= qty;
    return qty;
  }
}
