import type { Nanos, OrderRequest } from "../engine/types";
import type { ExecutionAdapter, ReportSink } from "./adapter";
import { RestingOrders } from "./fill-model";

export interface PaperOptions {
  /** Adverse slippage on market orders, in ticks (default 0). */
  slippageTicks?: number;
  /** Fill at most this many contracts per print (partial fills; default: all). */
  maxPerPrint?: number;
  tick: (symbol: string) => Nanos | undefined;
}

/**
 * Simulated execution by the shared fill model (fill-model.ts): market orders at their print,
 * take-profits at their level, other limits when a print reaches them. An order that does not
 * fill at once rests (reported as working) until a print fills it or the engine cancels it.
 * Nothing leaves the process.
 */
export class PaperAdapter implements ExecutionAdapter {
  readonly name = "paper";
  private readonly resting: RestingOrders;
  private readonly seen = new Set<string>();

  constructor(
    private readonly report: ReportSink,
    opts: PaperOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.resting = new RestingOrders({
      slip: (o) => (opts.slippageTicks ?? 0) * (opts.tick(o.symbol) ?? 1),
      maxPerPrint: opts.maxPerPrint,
    });
  }

  submit(order: OrderRequest): void {
    // The same id again (a restart re-sending a working order) is one order, not two.
    if (this.seen.has(order.id)) return;
    this.seen.add(order.id);
    const fill = this.resting.accept(order);
    if (fill) {
      this.fill(order, fill.qty, fill.price);
      return;
    }
    const id = order.id;
    const tsMs = this.now();
    queueMicrotask(() => this.report({ type: "report", orderId: id, kind: "working", tsMs }));
  }

  cancel(orderId: string): void {
    this.resting.cancel(orderId);
  }

  /** Prints reach resting orders. */
  onTrade(symbol: string, price: Nanos): void {
    if (this.resting.size) this.resting.reach(symbol, price, (o, qty, at) => this.fill(o, qty, at));
  }

  private fill(order: OrderRequest, qty: number, price: Nanos): void {
    const id = order.id;
    const tsMs = this.now();
    queueMicrotask(() => this.report({ type: "report", orderId: id, kind: "filled", qty, price, tsMs }));
  }
}
