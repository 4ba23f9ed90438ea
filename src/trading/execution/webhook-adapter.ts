import type { Logger } from "../../log/logger";
import type { OrderRequest } from "../engine/types";
import { formatPrice } from "../engine/price-math";
import type { ExecutionAdapter, ReportSink } from "./adapter";

export interface WebhookOptions {
  /** The account's webhook URL, from the encrypted secrets store (never logged). */
  urlFor: (accountId: number) => Promise<string | undefined>;
  decimals: (symbol: string) => number;
  fetch?: typeof fetch;
  maxAttempts?: number;
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  now?: () => number;
}

/** The original's TradersPost-style order JSON, plus an idempotency key and the reason. */
export function webhookPayload(o: OrderRequest, decimals: number): Record<string, unknown> {
  const num = (p: number) => Number(formatPrice(p, decimals));
  return {
    ticker: o.symbol,
    action: o.side,
    orderType: o.type === "market" ? "market" : "limit",
    ...(o.limitPrice !== undefined ? { limitPrice: num(o.limitPrice) } : {}),
    quantity: o.qty,
    // No price when the feed is down: a market exit is sent anyway (docs/trading-rules.md R1.2).
    ...(o.refPrice > 0 ? { price: num(o.refPrice) } : {}),
    time: new Date(o.tsMs).toISOString(),
    extras: { orderId: o.id, purpose: o.purpose, reason: o.reason },
  };
}

/**
 * Orders for a live account go to its broker bridge as JSON. A 2xx means "sent", not
 * "filled": the engine records the fill at the reference price marked as assumed, and the UI
 * says so. Network errors and 5xx/429 are retried with backoff under the same idempotency key;
 * a 4xx is a reject with the bridge's message; nothing is retried forever.
 */
export class WebhookAdapter implements ExecutionAdapter {
  readonly name = "webhook";
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly report: ReportSink,
    private readonly opts: WebhookOptions,
    private readonly logger: Logger,
  ) {}

  submit(order: OrderRequest): void {
    if (order.accountKind !== "live") {
      // Defence in depth: the router never sends these here; if it ever did, nothing leaves.
      this.report({
        type: "report",
        orderId: order.id,
        kind: "rejected",
        reason: `${order.accountKind} accounts never send orders to a webhook`,
        tsMs: this.now(),
      });
      return;
    }
    if (this.inFlight.has(order.id)) return;
    this.inFlight.add(order.id);
    void this.send(order).finally(() => this.inFlight.delete(order.id));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async send(o: OrderRequest): Promise<void> {
    const url = await this.opts.urlFor(o.accountId);
    if (!url) {
      this.report({
        type: "report",
        orderId: o.id,
        kind: "rejected",
        reason: "no webhook URL configured for this account (Settings → execution)",
        tsMs: this.now(),
      });
      return;
    }
    const body = JSON.stringify(webhookPayload(o, this.opts.decimals(o.symbol)));
    const max = this.opts.maxAttempts ?? 4;
    const doFetch = this.opts.fetch ?? fetch;
    const sleep = this.opts.sleep ?? ((ms: number) => Bun.sleep(ms));
    let last = "";
    for (let attempt = 1; attempt <= max; attempt++) {
      try {
        const res = await doFetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": o.id },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        });
        const text = (await res.text().catch(() => "")).slice(0, 300);
        if (res.ok) {
          this.logger.info("execution.webhook_sent", { order_id: o.id, status: res.status, attempt, reason: o.reason });
          // Price 0 (sent with none): the engine takes the fill at the next print.
          this.report({
            type: "report",
            orderId: o.id,
            kind: "filled",
            qty: o.qty,
            price: o.limitPrice ?? o.refPrice,
            assumed: true,
            tsMs: this.now(),
          });
          return;
        }
        last = `HTTP ${res.status}${text ? `: ${text}` : ""}`;
        if (res.status < 500 && res.status !== 429) {
          this.logger.warn("execution.webhook_rejected", { order_id: o.id, status: res.status, reason: last });
          this.report({
            type: "report",
            orderId: o.id,
            kind: "rejected",
            reason: `bridge refused: ${last}`,
            tsMs: this.now(),
          });
          return;
        }
      } catch (err) {
        last = (err as Error).message;
      }
      if (attempt < max) {
        const delay = Math.min(8_000, (this.opts.retryBaseMs ?? 250) * 2 ** (attempt - 1)) * (1 + Math.random() * 0.25);
        this.logger.warn("execution.webhook_retry", {
          order_id: o.id,
          attempt,
          delay_ms: Math.round(delay),
          reason: last,
        });
        await sleep(delay);
      }
    }
    this.logger.error("execution.webhook_failed", { order_id: o.id, attempts: max, reason: last });
    this.report({
      type: "report",
      orderId: o.id,
      kind: "failed",
      reason: `bridge unreachable after ${max} attempts: ${last}`,
      tsMs: this.now(),
    });
  }
}
