// The counting pass: a server behind the counting proxy (bench/pg-count-proxy.ts), the SQL
// statements and transactions each endpoint's requests cost, one at a time and in bursts.
import { seed, send, type Endpoint, type Target } from "../http-api-load";
import { minus, transactions, type CountingProxy } from "../pg-count-proxy";
import { BURST, BURSTS, ENDPOINTS, IDLE_MS, ONE_AT_A_TIME, QUIET_MS, SETTLE_MS } from "./options";
import type { Server } from "./servers";

export interface PerRequest {
  statements: number;
  transactions: number;
}

/**
 * What `work` (n requests) made the server send, less what it sends unprompted: the window
 * runs on a second after the last answer (for work that follows a request), and an idle
 * window of the same length right after is subtracted.
 */
async function perRequest(proxy: CountingProxy, n: number, work: () => Promise<unknown>): Promise<PerRequest> {
  const c0 = { ...proxy.counts };
  const t0 = performance.now();
  await work();
  await Bun.sleep(1000);
  const busy = minus(proxy.counts, c0);
  const span = performance.now() - t0;
  const c1 = { ...proxy.counts };
  await Bun.sleep(span);
  const net = minus(busy, minus(proxy.counts, c1));
  return { statements: net.statements / n, transactions: transactions(net) / n };
}

/** The k-th burst: BURST requests of the endpoint sent together. */
const burst = (t: Target, e: Endpoint, k: number) =>
  Promise.all(Array.from({ length: BURST }, (_, j) => send(t, e, k * BURST + j)));

export interface SqlCost {
  idle: { statementsPerS: number; transactionsPerS: number };
  oneAtATime: Map<string, PerRequest>;
  burst: Map<string, PerRequest>;
}

/** What the server sends with no request coming in: lease renewals, the clock, the archive. */
async function idleRate(proxy: CountingProxy): Promise<SqlCost["idle"]> {
  const before = { ...proxy.counts };
  await Bun.sleep(IDLE_MS);
  const idle = minus(proxy.counts, before);
  return {
    statementsPerS: idle.statements / (IDLE_MS / 1000),
    transactionsPerS: transactions(idle) / (IDLE_MS / 1000),
  };
}

export async function countSql(server: Server, proxied: string, proxy: CountingProxy): Promise<SqlCost> {
  const t = await server.start("count", proxied);
  try {
    await seed(t);
    await Bun.sleep(SETTLE_MS);
    const cost: SqlCost = { idle: await idleRate(proxy), oneAtATime: new Map(), burst: new Map() };
    for (const e of ENDPOINTS) {
      const ready = async () => {
        await seed(t);
        await e.prepare?.(t);
      };
      // An untimed burst first fills the server's connection pool and caches: a window counts the steady cost.
      const window = async (n: number, work: () => Promise<unknown>) => {
        await ready();
        await burst(t, e, 0);
        await ready();
        await Bun.sleep(QUIET_MS);
        await send(t, ENDPOINTS[1]!, 0); // get_tp_levels: a read that changes nothing
        return perRequest(proxy, n, work);
      };
      cost.oneAtATime.set(
        e.name,
        await window(ONE_AT_A_TIME, async () => {
          for (let k = 0; k < ONE_AT_A_TIME; k++) await send(t, e, k);
        }),
      );
      cost.burst.set(
        e.name,
        await window(BURST * BURSTS, async () => {
          for (let b = 0; b < BURSTS; b++) await burst(t, e, b);
        }),
      );
      console.log(`counted ${server.label}: ${e.name}`);
    }
    return cost;
  } finally {
    await t.stop();
  }
}
