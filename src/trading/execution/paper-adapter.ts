import type { Nanos, OrderRequest } from "../engine/types";
import type { ExecutionAdapter, ReportSink } from "./adapter";

export interface PaperOptions {
  /** Adverse slippage on market orders, in ticks (default 0). */
  slippageTicks?: number;
  /** Fill at most this many contracts per print (partial fills; default: all). */
  maxPerPrint?: number;
  tick: (symbol: string) => Nanos | undefined;
}

interface Resting {
  order: OrderRequest;
  left: number;
}

/**
 * Simulated execution: a market order fills at the print that triggered it (plus slippage), a
 * limit order when a print reaches its price — at the limit, never better than the market
 * offered. Prices stay on the tick grid. Nothing leaves the process.
 */
export class PaperAdapter implements ExecutionAdapter {
  readonly name = "paper";
  private readonly resting = new Map<string, Resting[]>();
  private readonly seen = new Set<string>();

  constructor(private readonly report: ReportSink, private readonly opts: PaperOptions, private readonly now: () => number = Date.now) {}

  submit(order: OrderRequest): void {
    // The same id again (a restart re-sending a working order) is one order, not two.
    if (this.seen.has(order.id)) return;
    this.seen.add(order.id);
    const tick = this.opts.tick(order.symbol) ?? 1;
    if (order.type === "market") {
      const slip = (this.opts.slippageTicks ?? 0) * tick;
      const price = order.side === "buy" ? order.refPrice + slip : order.refPrice - slip;
      this.fill({ order, left: order.qty }, price);
      return;
    }
    const limit = order.limitPrice!;
    const marketable = order.side === "buy" ? order.refPrice <= limit : order.refPrice >= limit;
    const r = { order, left: order.qty };
    if (marketable) this.fill(r, order.refPrice);
    if (r.left > 0) {
      let list = this.resting.get(order.symbol);
      if (!list) this.resting.set(order.symbol, (list = []));
      list.push(r);
    }
  }

  /** Prints reach resting limit orders. */
  onTrade(symbol: string, price: Nanos): void {
    const list = this.resting.get(symbol);
    if (!list || list.length === 0) return;
    for (const r of list) {
      const limit = r.order.limitPrice!;
      if (r.order.side === "buy" ? price <= limit : price >= limit) this.fill(r, limit);
    }
    this.resting.set(symbol, list.filter((r) => r.left > 0));
  }

  private fill(r: Resting, price: Nanos): void {
    const qty = Math.min(r.left, this.opts.maxPerPrint ?? r.left);
    r.left -= qty;
    const id = r.order.id;
    const tsMs = this.now();
    queueMicrotask(() => this.report({ type: "report", orderId: id, kind: "filled", qty, price, tsMs }));
  }
}
