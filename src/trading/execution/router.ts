import type { OrderRequest } from "../engine/types";
import type { ExecutionAdapter } from "./adapter";

/**
 * Picks the adapter for an order. Only a live account whose route is the webhook reaches the
 * webhook; paper and replay accounts always stay on paper, whatever their settings say.
 */
export class ExecutionRouter {
  private readonly routes = new Map<number, "paper" | "webhook">();

  constructor(
    private readonly paper: ExecutionAdapter,
    private readonly webhook: ExecutionAdapter,
  ) {}

  setRoute(accountId: number, route: "paper" | "webhook"): void {
    this.routes.set(accountId, route);
  }

  adapterFor(order: OrderRequest): ExecutionAdapter {
    if (order.accountKind !== "live") return this.paper;
    return this.routes.get(order.accountId) === "webhook" ? this.webhook : this.paper;
  }

  submit(order: OrderRequest): void {
    this.adapterFor(order).submit(order);
  }

  cancel(order: OrderRequest): void {
    this.adapterFor(order).cancel?.(order.id);
  }
}
