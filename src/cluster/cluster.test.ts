import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { natsReachable, TestCluster, testPostgresUrl, until } from "./test-cluster";

/**
 * Cluster mode end to end: real server processes on one Postgres schema and one NATS server.
 * Any instance answers any user (the owner of the user's shard does the work); position changes
 * reach the user's sockets on every instance; a killed owner's accounts move within the lease.
 */
const ready = Boolean(testPostgresUrl) && (await natsReachable());
if (!ready)
  console.log(
    `cluster.test: SKIPPED — needs Postgres (DATABASE_URL) and NATS (${process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222"}); CI runs both`,
  );
if (!ready && process.env.CI && testPostgresUrl) throw new Error("cluster.test: NATS is not reachable under CI");

describe.skipIf(!ready)("cluster mode (Postgres + NATS)", () => {
  let c: TestCluster;
  let token: string;
  beforeAll(async () => {
    c = await TestCluster.create();
    token = await c.user("alice");
    await c.start(0);
    await c.start(1);
    // Shared fairly once both have run a round or two.
    await until(
      async () => (await c.health(0)).instance.shards === 32 && (await c.health(1)).instance.shards === 32,
      10_000,
      "the shards to be shared",
    );
  }, 60_000);
  afterAll(() => c?.stop());

  const call = (i: number, method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    fetch(`${c.instances[i]!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...extra },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test("either instance answers with the owner's state; the browser on the other instance hears the change", async () => {
    const health = [await c.health(0), await c.health(1)];
    expect(health.map((h) => h.instance.role)).toEqual(["owner", "owner"]);
    expect(health.map((h) => h.cluster?.nats)).toEqual(["connected", "connected"]);
    // A socket on instance 1, a change through instance 0.
    const ws = new WebSocket(`${c.instances[1]!.url.replace("http", "ws")}/ws`, {
      headers: { authorization: `Bearer ${token}` },
    } as unknown as string[]);
    const messages: any[] = [];
    ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    await new Promise((r) => (ws.onopen = r));
    // The same request (and idempotency key) may go through either instance.
    const record = (instance: number) =>
      call(
        instance,
        "POST",
        "/api/v1/accounts/paper/positions/MES/record",
        { side: "long", qty: 3, entryPrice: 1000 },
        { "idempotency-key": "rec-1" },
      );
    const rec = await record(0);
    expect(rec.status).toBe(200);
    const recorded = (await rec.json()).position;
    const seen = await (await call(1, "GET", "/api/v1/accounts/paper/positions/MES")).json();
    expect(seen.position).toMatchObject({ qty: 3, side: "long", version: recorded.version });
    await until(
      () => messages.some((m) => m.t === "position" && m.symbol === "MES" && m.position?.qty === 3),
      5000,
      "the position message on the other instance",
    );
    // The same key through the other instance: applied once.
    const again = await record(1);
    expect(again.status).toBe(200);
    expect((await (await call(0, "GET", "/api/v1/accounts/paper/positions/MES")).json()).position.qty).toBe(3);
    ws.close();
  });

  test("one feed leader holds the session and relays it: both instances see the same prints; killing the leader moves the session", async () => {
    const roles = async () => [(await c.health(0)).feed.role, (await c.health(1)).feed.role];
    expect((await roles()).sort()).toEqual(["follower", "leader"]);
    const leader = (await roles()).indexOf("leader");
    const follower = 1 - leader;
    // The same trade prints of MES reach a browser on each instance.
    const prints = async (i: number, ms: number) => {
      const ws = new WebSocket(`${c.instances[i]!.url.replace("http", "ws")}/ws`, {
        headers: { authorization: `Bearer ${token}` },
      } as unknown as string[]);
      const seen: string[] = [];
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data));
        if (m.s === "MES" && (m.t === "trade" || m.t === "trades"))
          for (const [k, p] of (Array.isArray(m.p) ? m.p : [m.p]).entries())
            seen.push(`${(m.ts ?? 0) + (m.dt?.[k] ?? 0)}@${p}`);
      };
      await new Promise((r) => (ws.onopen = r));
      ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
      await Bun.sleep(ms);
      ws.close();
      return seen;
    };
    const [a, b] = await Promise.all([prints(leader, 3000), prints(follower, 3000)]);
    expect(a.length).toBeGreaterThan(5);
    const common = a.filter((x) => b.includes(x));
    // Opened a moment apart: all but the edges are the same prints.
    expect(common.length).toBeGreaterThan(Math.min(a.length, b.length) * 0.8);
    expect((await c.health(follower)).feed.state).toBe("live");
    const t0 = performance.now();
    await c.kill(leader);
    await until(async () => (await c.health(follower)).feed.role === "leader", 10_000, "the follower to take the feed");
    console.log(`cluster.test: feed leader moved after SIGKILL in ${Math.round(performance.now() - t0)} ms`);
    expect((await prints(follower, 2000)).length).toBeGreaterThan(0);
    await c.start(leader);
    await until(
      async () => (await c.health(leader)).feed.role === "follower" && (await c.health(leader)).feed.state === "live",
      10_000,
      "the restarted instance to follow",
    );
  }, 40_000);

  test("SIGKILL the owner: the other instance takes its accounts within the lease, with their state", async () => {
    const owner = await ownerOf(c);
    const other = 1 - owner;
    const t0 = performance.now();
    await c.kill(owner);
    await until(
      async () => (await call(other, "GET", "/api/v1/accounts/paper/positions/MES")).status === 200,
      10_000,
      "the survivor to serve alice",
    );
    const failover = performance.now() - t0;
    console.log(`cluster.test: failover after SIGKILL of the owner in ${Math.round(failover)} ms (lease 1500 ms)`);
    expect(failover).toBeLessThan(5000);
    expect((await (await call(other, "GET", "/api/v1/accounts/paper/positions/MES")).json()).position.qty).toBe(3);
    expect((await c.health(other)).instance.shards).toBe(64);
    await c.start(owner);
  }, 30_000);
});

/** The instance whose process holds user 1's shard lease, from the database. */
async function ownerOf(c: TestCluster): Promise<number> {
  const row = await sql<{
    owner: string;
  }>`select owner from ${sql.id(c.schema, "engine_shards")} where shard = 1`.execute(c.db.db);
  const pid = Number(row.rows[0]!.owner.split(":")[1]);
  return c.instances.findIndex((i) => i?.proc.pid === pid);
}
