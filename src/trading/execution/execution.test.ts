import { describe, expect, test } from "bun:test";
import { memoryLogger } from "../../log/logger";
import type { OrderRequest, ReportInput } from "../engine/types";
import { PaperAdapter } from "./paper-adapter";
import { ExecutionRouter } from "./router";
import { WebhookAdapter, webhookPayload } from "./webhook-adapter";
import { until } from "../../shared/testing";

const order = (o: Partial<OrderRequest> = {}): OrderRequest => ({
  id: "1:MES:t1:tp1:a1",
  accountId: 1,
  accountKind: "live",
  symbol: "MES",
  side: "sell",
  qty: 2,
  type: "market",
  refPrice: 6002.25e9,
  purpose: "tp",
  reason: "TP1 6002.00 reached",
  tsMs: 1_800_000_000_000,
  ...o,
});

function collector() {
  const reports: ReportInput[] = [];
  return {
    reports,
    sink: (r: ReportInput) => void reports.push(r),
    next: async (n = 1) => {
      await until(() => reports.length >= n, 400, 2);
      return reports;
    },
  };
}

describe("execution", () => {
  test("paper and replay orders never reach the webhook, whatever the route says", () => {
    const used: string[] = [];
    const paper = { name: "paper" as const, submit: (o: OrderRequest) => void used.push(`paper:${o.accountKind}`) };
    const webhook = {
      name: "webhook" as const,
      submit: (o: OrderRequest) => void used.push(`webhook:${o.accountKind}`),
    };
    const r = new ExecutionRouter(paper, webhook);
    for (const id of [1, 2, 3]) r.setRoute(id, "webhook");
    r.submit(order({ accountId: 1, accountKind: "paper" }));
    r.submit(order({ accountId: 2, accountKind: "replay" }));
    r.submit(order({ accountId: 3, accountKind: "live" }));
    r.setRoute(3, "paper");
    r.submit(order({ accountId: 3, accountKind: "live" }));
    expect(used).toEqual(["paper:paper", "paper:replay", "webhook:live", "paper:live"]);
  });

  test("the webhook adapter itself refuses a non-live order (defence in depth) without any request", async () => {
    const c = collector();
    let requests = 0;
    const w = new WebhookAdapter(
      c.sink,
      {
        urlFor: async () => "http://127.0.0.1:1/x",
        decimals: () => 2,
        fetch: (async () => {
          requests++;
          return new Response("ok");
        }) as unknown as typeof fetch,
      },
      memoryLogger(),
    );
    w.submit(order({ accountKind: "replay" }));
    expect((await c.next())[0]).toMatchObject({ kind: "rejected" });
    expect(requests).toBe(0);
  });

  test("webhook: 5xx and network errors are retried under one idempotency key; 2xx is 'sent'; 4xx is a reject; exhaustion is a failure", async () => {
    const seen: { key: string | null; body: any }[] = [];
    const answers = [new Error("ECONNRESET"), 503, 200, 422, 500, 500, 500, 500];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen.push({ key: new Headers(init.headers).get("idempotency-key"), body: JSON.parse(String(init.body)) });
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return new Response(a === 422 ? "insufficient margin" : "x", { status: a });
    }) as unknown as typeof fetch;
    const log = memoryLogger();
    const c = collector();
    const w = new WebhookAdapter(
      c.sink,
      {
        urlFor: async () => "https://bridge.example/hook?secret=abc",
        decimals: () => 2,
        fetch: fakeFetch,
        sleep: async () => {},
        retryBaseMs: 1,
      },
      log,
    );
    w.submit(order());
    await c.next(1);
    expect(c.reports[0]).toMatchObject({ kind: "filled", qty: 2, price: 6002.25e9, assumed: true });
    expect(seen.slice(0, 3).map((s) => s.key)).toEqual(["1:MES:t1:tp1:a1", "1:MES:t1:tp1:a1", "1:MES:t1:tp1:a1"]);
    expect(seen[0]!.body).toEqual(webhookPayload(order(), 2));
    expect(seen[0]!.body).toMatchObject({
      ticker: "MES",
      action: "sell",
      orderType: "market",
      quantity: 2,
      price: 6002.25,
    });
    w.submit(order({ id: "b" }));
    await c.next(2);
    expect(c.reports[1]).toMatchObject({ kind: "rejected", reason: "bridge refused: HTTP 422: insufficient margin" });
    w.submit(order({ id: "c" }));
    await c.next(3);
    expect(c.reports[2]).toMatchObject({ kind: "failed" });
    expect(JSON.stringify(log.lines)).not.toContain("secret=abc");
  });

  test("paper: market at the print with slippage; limits rest until a print reaches them; partial fills; one fill per order id", async () => {
    const c = collector();
    const p = new PaperAdapter(c.sink, { tick: () => 0.25e9, slippageTicks: 1, maxPerPrint: 1 });
    p.submit(order({ id: "m", qty: 1 }));
    p.submit(order({ id: "m", qty: 1 }));
    await c.next(1);
    expect(c.reports).toEqual([expect.objectContaining({ orderId: "m", price: 6002e9, qty: 1 })]);
    p.submit(order({ id: "l", side: "sell", type: "limit", limitPrice: 6005e9, qty: 2 }));
    p.onTrade("MES", 6004.75e9);
    p.onTrade("MES", 6005.5e9);
    p.onTrade("MES", 6005e9);
    p.onTrade("MES", 6006e9);
    await c.next(4);
    // It rests (reported as working), then fills at its limit, never better (6005.50 printed).
    expect(c.reports.slice(1).map((r) => [r.orderId, r.kind === "filled" ? [r.qty, r.price] : r.kind])).toEqual([
      ["l", "working"],
      ["l", [1, 6005e9]],
      ["l", [1, 6005e9]],
    ]);
  });
});
