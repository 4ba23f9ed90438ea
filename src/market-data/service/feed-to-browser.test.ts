import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../app/server";
import { loadConfig } from "../../config/config";
import { memoryLogger } from "../../log/logger";
import { startSimulatedGateway, type SimulatedGateway } from "../feeds/simulated-gateway";
import { ROOTS } from "../instruments/catalogue";
import { until } from "../../shared/testing";

/** The whole path a trader sees: gateway protocol → DBN decoder → service → bus → hub → /ws. */

const servers: RunningServer[] = [];
const gateways: SimulatedGateway[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const g of gateways) g.stop();
});

async function boot(env: Record<string, string>) {
  const server = await startServer(
    loadConfig({ PORT: "0", DATA_DIR: mkdtempSync(join(tmpdir(), "feed-")), SECRET_KEY: "55".repeat(32), ...env }),
    memoryLogger("warn"),
  );
  servers.push(server);
  const user = await server.ctx.users.create("feeduser", "a long enough password", {
    kind: "cli",
    label: "test",
    userId: null,
  });
  const token = (await server.ctx.tokens.create(user.id, "ws", { kind: "cli", label: "test", userId: null })).token;
  return { server, token };
}

/** Subscribes to every catalogue symbol and records which ones printed, and how soon. */
async function pricesForAll(server: RunningServer, token: string, withinMs: number) {
  const seen = new Map<string, number>();
  const statuses: any[] = [];
  const ws = new WebSocket(server.url.replace("http", "ws") + "/ws", {
    headers: { authorization: `Bearer ${token}` },
  } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("socket error"));
  });
  const t0 = performance.now();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data));
    // One print is a `trade` message; several (or one with a moved book) a `trades` message.
    if ((m.t === "trade" || m.t === "trades") && !seen.has(m.s)) seen.set(m.s, performance.now() - t0);
    if (m.t === "status") statuses.push(m.feed);
  };
  ws.send(JSON.stringify({ op: "subscribe", symbols: ROOTS }));
  while (seen.size < ROOTS.length && performance.now() - t0 < withinMs) await Bun.sleep(20);
  // Wait for one status push too (they come every second).
  while (statuses.length === 0 && performance.now() - t0 < withinMs + 1500) await Bun.sleep(20);
  ws.close();
  return { seen, statuses };
}

describe("prices reach the browser through the real feed path", () => {
  test("no key: the simulated market, served over the gateway protocol, prices every catalogue symbol within 2 s", async () => {
    const { server, token } = await boot({});
    expect(server.ctx.marketData.status().kind).toBe("simulated");
    const { seen, statuses } = await pricesForAll(server, token, 2000);
    expect([...ROOTS].filter((r) => !seen.has(r))).toEqual([]);
    expect(statuses.at(-1)).toMatchObject({ kind: "simulated", state: "live", symbols: ROOTS.length });
    const health = await (await fetch(server.url + "/healthz")).json();
    expect(health.feed).toMatchObject({ kind: "simulated", state: "live" });
    expect(health.feed.lastTickAgeMs).toBeLessThan(2000);
  }, 30_000);

  test("with a key and a gateway address: the Databento Live client is used and reaches the browser the same way", async () => {
    const key = "db-" + "A".repeat(24) + "bcdef";
    const gw = startSimulatedGateway({ apiKey: key, seed: 7 });
    gateways.push(gw);
    const { server, token } = await boot({ DATABENTO_API_KEY: key, DATABENTO_GATEWAY: `${gw.host}:${gw.port}` });
    expect(server.ctx.marketData.status().kind).toBe("databento");
    const { seen, statuses } = await pricesForAll(server, token, 2000);
    expect([...ROOTS].filter((r) => !seen.has(r))).toEqual([]);
    expect(statuses.at(-1)).toMatchObject({ kind: "databento", state: "live" });
  }, 30_000);

  test("a refused key is a visible, final feed state, not a silent one", async () => {
    const gw = startSimulatedGateway({ apiKey: "db-" + "B".repeat(29) });
    gateways.push(gw);
    const { server } = await boot({
      DATABENTO_API_KEY: "db-" + "C".repeat(29),
      DATABENTO_GATEWAY: `${gw.host}:${gw.port}`,
    });
    await until(() => server.ctx.marketData.status().state === "auth-failed", 2000, 20);
    const health = await (await fetch(server.url + "/healthz")).json();
    expect(health.feed).toMatchObject({ kind: "databento", state: "auth-failed" });
    expect(JSON.stringify(health)).not.toContain("C".repeat(29));
  }, 30_000);
});
