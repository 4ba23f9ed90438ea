import type { Nanos, OrderRequest } from "../engine/types";
import type { ExecutionAdapter, ReportSink } from "./adapter";
import { fillOnPrint, fillOnSubmit } from "./fill-model";

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
 * Simulated execution by the shared fill model (fill-model.ts): market orders at their print,
 * take-profits at their level, other limits when a print reaches them. An order that does not
 * fill at once rests (reported as working) until a print fills it or the engine cancels it.
 * Nothing leaves the process.
 */
export class PaperAdapter implements ExecutionAdapter {
  readonly name = "paper";
  private readonly resting = new Map<string, Resting[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly report: ReportSink,
    private readonly opts: PaperOptions,
    private readonly now: () => number = Date.now,
  ) {}

  submit(order: OrderRequest): void {
    // The same id again (a restart re-sending a working order) is one order, not two.
    if (this.seen.has(order.id)) return;
    this.seen.add(order.id);
    const r = { order, left: order.qty };
    const price = fillOnSubmit(order, this.slip(order));
    if (price !== undefined) this.fill(r, price);
    if (r.left > 0) {
      let list = this.resting.get(order.symbol);
      if (!list) this.resting.set(order.symbol, (list = []));
      list.push(r);
      const id = order.id;
      const tsMs = this.now();
      if (price === undefined)
        queueMicrotask(() => this.report({ type: "report", orderId: id, kind: "working", tsMs }));
    }
  }

  cancel(orderId: string): void {
    for (const [symbol, list] of this.resting) {
      const kept = list.filter((r) => r.order.id !== orderId);
      if (kept.length !== list.length) this.resting.set(symbol, kept);
    }
  }

  /** Prints reach resting orders. */
  onTrade(symbol: string, price: Nanos): void {
    const list = this.resting.get(symbol);
    if (!list || list.length === 0) return;
    for (const r of list) {
      const at = fillOnPrint(r.order, price, this.slip(r.order));
      if (at !== undefined) this.fill(r, at);
    }
    this.resting.set(
      symbol,
      list.filter((r) => r.left > 0),
    );
  }

  private slip(o: OrderRequest): Nanos {
    return (this.opts.slippageTicks ?? 0) * (this.opts.tick(o.symbol) ?? 1);
  }

  private fill(r: Resting, price: Nanos): void {
    const qty = Math.min(r.left, this.opts.maxPerPrint ?? r.left);
    r.left -= qty;
    const id = r.order.id;
    const tsMs = this.now();
    queueMicrotask(() => this.report({ type: "report", orderId: id, kind: "filled", qty, price, tsMs }));
  }
}
