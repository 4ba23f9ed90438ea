import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../persistence/database";
import { startServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import { connectDatabase } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { ShardLeases } from "../persistence/shard-leases";
import { TradingEngine } from "../trading/engine/engine";
import type { Effect } from "../trading/engine/types";
import { startProxy } from "../web/nginx-proxy";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, printAt } from "../web/test-harness";
import { clusterNats, clusterPrerequisites, TestCluster, testPostgresUrl, until } from "./test-cluster";

/**
 * Defects the cluster's chaos test (cluster-chaos.test.ts) ran into, each reduced to a small,
 * deterministic test of its own: the chaos test meets them only now and then.
 */
/** A transaction that takes its locks (`lock`), then stays open until `release()`; `beforeCommit` runs in it last. */
async function holdInTransaction(
  db: Kysely<Database>,
  lock: (trx: Transaction<Database>) => Promise<unknown>,
  beforeCommit?: (trx: Transaction<Database>) => Promise<unknown>,
) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = db.transaction().execute(async (trx) => {
    await lock(trx);
    locked();
    await released;
    await beforeCommit?.(trx);
  });
  await Promise.race([isLocked, done]);
  return { release, done };
}

/**
 * A migrated schema of its own on the test Postgres, a data directory, and the config of a server on
 * both (no feed, 1.5 s leases, its own secret key); `drop` removes all three.
 */
async function ownSchema(prefix: string, secretByte: string, poolSize = 3) {
  const schema = `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const h = await connectDatabase({ databaseUrl: testPostgresUrl!, dataDir: "", schema, poolSize });
  await migrateUp(h.db);
  const url = new URL(testPostgresUrl!);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const dir = mkdtempSync(join(tmpdir(), `chaos-${prefix}-`));
  const config = loadConfig({
    PORT: "0",
    DATABASE_URL: url.toString(),
    FEED: "off",
    LEASE_TTL_MS: "1500",
    SECRET_KEY: secretByte.repeat(32),
    DATA_DIR: dir,
  });
  return {
    h,
    config,
    async drop() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(h.db).catch(() => {});
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const { haveDb, haveNats, haveNginx } = await clusterPrerequisites();
if (!haveDb || !haveNats || !haveNginx)
  console.log(
    "cluster-regressions.test: some SKIPPED — they need Postgres (DATABASE_URL), NATS and nginx; CI runs all of them",
  );

describe.skipIf(!haveDb || !haveNats)("regressions found by the chaos test: cluster processes", () => {
  test("D1: two deployments on one NATS server cross-talk — a user's position changes reach the other deployment's user with the same id, and its requests are answered there", async () => {
    const nats = await clusterNats("cluster-regressions");
    const url = nats.url;
    // Two separate deployments (own databases) that happen to share the NATS server.
    const a = await TestCluster.create({ NATS_URL: url });
    const b = await TestCluster.create({ NATS_URL: url });
    try {
      const [alice] = await a.users(["alice"]);
      const [bob] = await b.users(["bob"]);
      expect(alice!.id).toBe(bob!.id);
      await a.start(0);
      await a.start(1);
      // Indices apart: both clusters of this process count their ports from the same base.
      await b.start(2);
      await until(
        async () =>
          (await a.health(0)).instance.shards === 32 &&
          (await a.health(1)).instance.shards === 32 &&
          (await b.health(2)).instance.shards === 64,
        15_000,
        "the shards",
      );
      // Alice's own instance, and the other one of her deployment.
      const own = await sql<{ owner: string }>`select owner from engine_shards where shard = ${alice!.id % 64}`.execute(
        a.db.db,
      );
      const owner = a.indexOfOwner(own.rows[0]!.owner)!;
      const other = 1 - owner;
      const heard: string[] = [];
      const ws = new WebSocket(`${b.instances[2]!.url.replace("http", "ws")}/ws`, {
        headers: { authorization: `Bearer ${bob!.token}` },
      } as unknown as string[]);
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data));
        if (m.t === "position") heard.push(`${m.symbol} ${m.position?.side} ${m.position?.qty}`);
      };
      await new Promise((r) => (ws.onopen = r));
      const rec = await fetch(`${a.instances[owner]!.url}/api/v1/accounts/paper/positions/MES/record`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice!.token}`, "content-type": "application/json" },
        body: JSON.stringify({ side: "long", qty: 3, entryPrice: 6000 }),
      });
      expect(rec.status).toBe(200);
      await Bun.sleep(1500);
      ws.close();
      // Alice's requests through the instance of her deployment that does not run her: answered by whoever replies first.
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++)
        statuses.push(
          (
            await fetch(`${a.instances[other]!.url}/api/v1/positions`, {
              headers: { authorization: `Bearer ${alice!.token}` },
            })
          ).status,
        );
      expect({ bobsSocketHeard: heard, aliceGotNon200: statuses.filter((x) => x !== 200) }).toEqual({
        bobsSocketHeard: [],
        aliceGotNon200: [],
      });
    } finally {
      await a.stop();
      await b.stop();
      await nats.stop();
    }
  }, 60_000);

  test("D2: an owner stopped (SIGSTOP) while writing holds no transaction open (its batch is one query, fenced when it runs): its shards are taken over once the lease expires", async () => {
    // Without NATS: the first instance runs every shard, the second stands by and takes what expires.
    // (It was: stopped between a write's fence and its commit, the owner kept the shard rows locked.)
    const c = await TestCluster.create({ NATS_URL: "", LEASE_TTL_MS: "1000" });
    try {
      const [u] = await c.users(["busy"]);
      const a = await c.start(0);
      await until(async () => (await c.health(0)).instance.shards === 64, 10_000, "instance 0 to run every shard");
      const b = await c.start(1);
      const call = (path: string, body: unknown, method = "POST") =>
        fetch(`${a.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${u!.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(500),
        }).then(
          (r) => r.status,
          () => 0,
        );
      expect(await call("/api/v1/accounts/paper/positions/MES/record", { side: "long", qty: 2, entryPrice: 100 })).toBe(
        200,
      );
      // Keep the owner writing (each command: one fenced batch).
      let writing = true;
      const writers = [0, 1, 2, 3].map(async (k) => {
        for (let i = 0; writing; i++)
          await call(
            "/api/v1/accounts/paper/positions/MES/stop",
            { stop: { kind: "fixed", initial: { unit: "ticks", value: 4 + ((i + k) % 4) } } },
            "PUT",
          );
      });
      const heldBy = async (pid: number) =>
        (
          await sql<{
            shard: number;
          }>`select shard from engine_shards where owner like ${`%:${pid}:%`} order by shard`.execute(c.db.db)
        ).rows.map((r) => r.shard);
      const idleLocks = async () =>
        (
          await sql<{ n: number }>`select count(*)::int as n from pg_locks l join pg_stat_activity s on s.pid = l.pid
        where l.relation = ${`${c.schema}.engine_shards`}::regclass and l.mode = 'RowShareLock' and l.granted and s.state like 'idle in transaction%'`.execute(
            c.db.db,
          )
        ).rows[0]!.n;
      const seen: number[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        c.signal(0, "SIGSTOP");
        await Bun.sleep(100);
        seen.push(await idleLocks());
        c.signal(0, "SIGCONT");
        await Bun.sleep(50 + Math.random() * 100);
      }
      expect(seen.every((n) => n === 0)).toBe(true);
      // Stopped for three leases: the standby takes every shard, the user's among them.
      c.signal(0, "SIGSTOP");
      await until(
        async () => (await heldBy(b.proc.pid)).includes(u!.id % 64),
        10_000,
        "the standby to take the user's shard",
      );
      expect(await heldBy(a.proc.pid)).not.toContain(u!.id % 64);
      c.signal(0, "SIGCONT");
      writing = false;
      await Promise.all(writers);
      console.log(
        `cluster-chaos D2: no engine write idle in transaction in ${seen.length} stops; the standby took the user's shard while the owner was stopped`,
      );
    } finally {
      await c.stop();
    }
  }, 90_000);

  /**
   * One instance alone on a fresh schema (all 64 shards, no feed: the test makes the prints), a
   * user long 2 MES with a trailing stop; then a write for the user is fenced (another instance
   * took the shard) while the replay's reload of the committed state is held up, and the lease
   * round drops the user meanwhile. `during` runs while the reload waits.
   */
  async function leaseLostDuringReplay<T>(
    during: (
      ctx: Awaited<ReturnType<typeof startServer>>["ctx"],
      caller: { actor: { kind: "user"; label: string; userId: number }; userId: number },
    ) => T,
  ) {
    const { h, config, drop } = await ownSchema("cd", "66");
    const logs = memoryLogger("info");
    const server = await startServer(config, logs);
    const ctx = server.ctx;
    const user = await ctx.users.create("ghost", "a long enough password", {
      kind: "cli",
      label: "test",
      userId: null,
    });
    const caller = { actor: { kind: "user" as const, label: "ghost", userId: user.id }, userId: user.id };
    const accountId = await ctx.trading.accountId(user.id, "paper");
    const px = (n: number) => Math.round(n * 1e9);
    ctx.engine.onTrade("MES", px(5000), Date.now());
    await ctx.trading.record(caller, "paper", "MES", { side: "long", qty: 2, entryPrice: "5000" });
    await ctx.trading.setStop(caller, "paper", "MES", {
      stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } },
    });
    await ctx.engine.settled();
    // The committed state is slow to read for a moment (the orders table is locked by the test) ...
    const blocker = await holdInTransaction(h.db, (trx) =>
      sql`lock table engine_orders in access exclusive mode`.execute(trx),
    );
    // ... when another instance takes the user's shard over, and a write for the account is fenced.
    await sql`update engine_shards set owner = 'another-instance', epoch = epoch + 1, expires_at = now() + interval '1 hour' where shard = ${user.id % 64}`.execute(
      h.db,
    );
    const fenced = ctx.trading
      .setStop(caller, "paper", "MES", {
        stop: { kind: "trailing", initial: { unit: "ticks", value: 6 }, trailBy: { unit: "ticks", value: 6 } },
      })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    await until(() => logs.lines.some((l) => l.event === "engine.persist_failed"), 5000, "the fenced write");
    const meanwhile = during(ctx, caller);
    // The lease round sees the loss and drops the account, while the replay's reload still waits for the snapshot.
    await until(() => !ctx.engine.serves(accountId), 5000, "the account to be dropped");
    blocker.release();
    await blocker.done;
    return {
      ctx,
      h,
      accountId,
      px,
      fenced: await fenced,
      meanwhile,
      async cleanup() {
        await server.stop();
        await drop();
      },
    };
  }

  test("D3+D4: a fenced write that races the loss of its lease brings the dropped account back into the engine, and that ghost's writes pass the fence of shard 63", async () => {
    const t = await leaseLostDuringReplay(() => undefined);
    try {
      await Bun.sleep(100);
      const ghost = t.ctx.engine.engine.position(t.accountId, "MES") !== undefined;
      const version = async () =>
        (
          await sql<{
            version: number;
          }>`select version from engine_positions where key = ${`${t.accountId}:MES`}`.execute(t.h.db)
        ).rows[0]!.version;
      const before = await version();
      // A new high ratchets the ghost's trailing stop; the batch is fenced with shard 63 (usersOf: -1 for an unknown account), which this instance holds.
      t.ctx.engine.onTrade("MES", t.px(5003), Date.now());
      await Bun.sleep(200);
      await t.ctx.engine.settled();
      const after = await version();
      expect({
        serves: t.ctx.engine.serves(t.accountId),
        ghostInEngine: ghost,
        positionRowWrittenByANonOwner: after !== before,
      }).toEqual({ serves: false, ghostInEngine: false, positionRowWrittenByANonOwner: false });
    } finally {
      await t.cleanup();
    }
  }, 30_000);

  test('D9: a command replayed after its account left this instance is answered 404 "unknown account" (final) instead of 503 (try again: it moved)', async () => {
    // A second command arrives while the failed batch is being replayed: it waits, then runs after the account left.
    const t = await leaseLostDuringReplay((ctx, caller) =>
      ctx.trading.moveStop(caller, "paper", "MES", { price: "4990" }).then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    try {
      const second = await t.meanwhile;
      const answer = (e: Error | undefined) =>
        e ? `${(e as { status?: number }).status} ${e.message.slice(0, 40)}` : "200";
      console.log(`cluster-chaos D9: fenced → ${answer(t.fenced)}; queued → ${answer(second)}`);
      expect({ fenced: answer(t.fenced).slice(0, 3), queued: answer(second).slice(0, 3) }).toEqual({
        fenced: "503",
        queued: "503",
      });
      // The queued command's refusal says why for programs too: the account moved, try again.
      expect((second as { code?: string } | undefined)?.code).toBe("account_moved");
    } finally {
      await t.cleanup();
    }
  }, 30_000);
});

describe.skipIf(!haveDb)("regressions found by the chaos test: leases and the engine on Postgres", () => {
  test("D7: a batch held back after a late lease renewal is dropped whole when any one of its accounts leaves: the orders of the accounts that stay are never sent", async () => {
    const { h, config, drop } = await ownSchema("cr", "67", 6);
    const logs = memoryLogger("info");
    const server = await startServer(config, logs);
    let unlock: (() => void) | undefined;
    try {
      const ctx = server.ctx;
      const cli = { kind: "cli" as const, label: "test", userId: null };
      // Two users in two shards (ids 1 and 2), each long 2 MES with a take-profit 4 ticks up.
      const users = [
        await ctx.users.create("stays", "a long enough password", cli),
        await ctx.users.create("leaves", "a long enough password", cli),
      ];
      const px = (n: number) => Math.round(n * 1e9);
      ctx.engine.onTrade("MES", px(5000), Date.now());
      const accounts: number[] = [];
      for (const u of users) {
        const caller = { actor: { kind: "user" as const, label: u.username, userId: u.id }, userId: u.id };
        accounts.push(await ctx.trading.accountId(u.id, "paper"));
        await ctx.trading.record(caller, "paper", "MES", { side: "long", qty: 2, entryPrice: "5000" });
        await ctx.trading.setLadder(caller, "paper", "MES", {
          levels: [{ qty: 1, target: { unit: "ticks", value: 4 } }],
        });
      }
      await ctx.engine.settled();
      // The lease renewal is slow (its UPDATE waits on shard rows locked FOR SHARE, as the deadlock of D8 makes it wait): the local deadline passes.
      const blocker = await holdInTransaction(
        h.db,
        (trx) => sql`select shard from engine_shards for share`.execute(trx),
        // Meanwhile another instance takes the second user's shard.
        (trx) =>
          sql`update engine_shards set owner = 'another-instance', epoch = epoch + 1, expires_at = now() + interval '1 hour' where shard = ${users[1]!.id % 64}`.execute(
            trx,
          ),
      );
      unlock = blocker.release;
      await Bun.sleep(1700);
      // One print reaches both take-profits: one batch, committed, held back (release_held).
      ctx.engine.onTrade("MES", px(5001), Date.now());
      await until(() => logs.lines.some((l) => l.event === "engine.release_held"), 3000, "the batch to be held back");
      blocker.release();
      unlock = undefined;
      await blocker.done;
      // The renewal goes through: the first user's shard is still this instance's, the second's is lost.
      await until(() => !ctx.engine.serves(accounts[1]!), 5000, "the second account to be dropped");
      await Bun.sleep(1500);
      const tp = await sql<{
        id: string;
        status: string;
      }>`select id, status from engine_orders where account_id = ${accounts[0]!} and purpose = 'tp'`.execute(h.db);
      const level = ctx.engine.engine.position(accounts[0]!, "MES")?.ladder[0]?.status;
      // The first user's take-profit was committed as sent; it must have gone out (paper fills it at once).
      expect({ stillServed: ctx.engine.serves(accounts[0]!), order: tp.rows.map((r) => r.status), level }).toEqual({
        stillServed: true,
        order: ["filled"],
        level: "filled",
      });
    } finally {
      unlock?.();
      await server.stop();
      await drop();
    }
  }, 30_000);

  test("D8: the fence's FOR SHARE on a write's shard rows and the lease renewal's UPDATE of the same instance deadlock (Postgres aborts one after deadlock_timeout)", async () => {
    const { h, drop } = await ownSchema("cl", "69", 6);
    try {
      // Three owners renewing their own shards interleave the rows' physical order, as in a running cluster.
      await sql`alter table engine_shards set (autovacuum_enabled = false)`.execute(h.db);
      for (let i = 0; i < 300; i++)
        await sql`update engine_shards set epoch = epoch where shard % 3 = ${i % 3}`.execute(h.db);
      const errors: string[] = [];
      // One instance: every shard, renewed often; its engine writes fence 8 users' shards each.
      const leases = new ShardLeases(h.db, {
        ttlMs: 60_000,
        renewMs: 20,
        balance: false,
        onError: (e) => errors.push(`lease renewal: ${(e as Error).message}`),
      });
      await leases.start({ gained: async () => {}, lost: () => {} });
      const end = Date.now() + 4000;
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (Date.now() < end) {
            const users = Array.from({ length: 8 }, () => Math.floor(Math.random() * 64));
            await h.db
              .transaction()
              .execute(async (trx) => {
                await leases.fence(trx, users);
                await sql`select pg_sleep(0.002)`.execute(trx);
              })
              .catch((e: Error) => errors.push(`engine write: ${e.message}`));
          }
        }),
      );
      await leases.stop();
      expect([...new Set(errors)]).toEqual([]);
    } finally {
      await drop();
    }
  }, 30_000);
});

describe.skipIf(!haveDb)("regressions found by the chaos test: an exit sent with no price", () => {
  test("D10: a webhook exit sent with no price and filled by the next print keeps its order row 'working': the next adopt (failover, restart) sends it again and its fill takes the position through zero", async () => {
    const { h, config, drop } = await ownSchema("ce", "68", 2);
    const posts: string[] = [];
    const broker = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => (posts.push(req.headers.get("idempotency-key") ?? ""), new Response("ok")),
    });
    // No feed: the test makes the prints; before the first one the exit has no price.
    let server = await startServer(config, memoryLogger("warn"));
    try {
      const user = await server.ctx.users.create("noprice", "a long enough password", {
        kind: "cli",
        label: "test",
        userId: null,
      });
      const caller = { actor: { kind: "user" as const, label: "noprice", userId: user.id }, userId: user.id };
      await server.ctx.trading.setExecution(
        caller,
        "live",
        { route: "webhook", webhookUrl: `http://127.0.0.1:${broker.port}/hook` },
        server.ctx.secrets,
      );
      const accountId = await server.ctx.trading.accountId(user.id, "live");
      await server.ctx.trading.record(caller, "live", "MES", { side: "long", qty: 2, entryPrice: "5000" });
      await server.ctx.trading.exit(caller, "live", "MES", {});
      await until(() => posts.length === 1, 3000, "the exit at the broker");
      await until(
        () => server.ctx.engine.engine.order(`${accountId}:MES:t1:exit:o1`)?.awaitingPrice === 2,
        3000,
        "the exit to wait for a price",
      );
      // The next print fills it: the trade is closed.
      server.ctx.engine.onTrade("MES", 5001e9, Date.now());
      await until(
        async () =>
          (
            await sql<{
              n: number;
            }>`select count(*)::int as n from closed_trades where account_id = ${accountId}`.execute(h.db)
          ).rows[0]!.n === 1,
        3000,
        "the trade to close",
      );
      await server.ctx.engine.settled();
      const row = (
        await sql<{
          status: string;
          filled: number;
        }>`select status, filled from engine_orders where id = ${`${accountId}:MES:t1:exit:o1`}`.execute(h.db)
      ).rows[0];
      // A restart (or another instance taking the shard) resumes from the database.
      await server.stop();
      server = await startServer(config, memoryLogger("warn"));
      await Bun.sleep(500);
      server.ctx.engine.onTrade("MES", 5002e9, Date.now());
      await Bun.sleep(500);
      await server.ctx.engine.settled();
      const position = (
        await sql<{
          qty: number;
          side: string;
        }>`select qty, state->>'side' as side from engine_positions where account_id = ${accountId} and symbol = 'MES'`.execute(
          h.db,
        )
      ).rows[0];
      const lateFills = (
        await sql<{
          n: number;
        }>`select count(*)::int as n from events where account_id = ${accountId} and kind = 'order.late_fill'`.execute(
          h.db,
        )
      ).rows[0]!.n;
      expect({ row, postsOfTheExit: posts.length, position, lateFills }).toEqual({
        row: { status: "filled", filled: 2 },
        postsOfTheExit: 1,
        position: { qty: 0, side: "long" },
        lateFills: 0,
      });
    } finally {
      await server.stop();
      broker.stop(true);
      await drop();
    }
  }, 30_000);
});

describe.skipIf(!haveNginx)("regressions found by the chaos test: docs/deploy/nginx.conf.template", () => {
  test("D6: after two instances went down and came back, the third going down makes nginx answer 502 (no live upstreams) to everything — for as long as browsers keep their sockets", async () => {
    const backend = (name: string, port = 0) =>
      Bun.serve({
        port,
        hostname: "127.0.0.1",
        fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response(name)),
        websocket: { message() {} },
      });
    const servers = [backend("a"), backend("b"), backend("c")];
    const ports = servers.map((x) => x.port);
    const proxy = await startProxy({ backends: ports.map((p) => `127.0.0.1:${p}`), tls: false });
    // Browsers: one socket each, reconnecting like the pages do.
    let stopped = false;
    const sockets: WebSocket[] = [];
    const connect = (k: number) => {
      const ws = new WebSocket(proxy.wsUrl, { headers: { authorization: `Bearer user-${k}` } } as unknown as string[]);
      ws.onclose = () => void (!stopped && setTimeout(() => connect(k), 100 + Math.random() * 200));
      ws.onerror = () => {};
      sockets[k] = ws;
    };
    try {
      for (let k = 0; k < 50; k++) connect(k);
      await Bun.sleep(500);
      // Two instances die and are restarted on their ports (what SIGKILL and a restart do) ...
      servers[1]!.stop(true);
      servers[2]!.stop(true);
      await Bun.sleep(1000);
      servers[1] = backend("b2", ports[1]);
      servers[2] = backend("c2", ports[2]);
      await Bun.sleep(500);
      // ... then the third dies: two instances are up, and every request should reach one of them.
      servers[0]!.stop(true);
      const t0 = Date.now();
      let status = 0;
      while (Date.now() - t0 < 5000) {
        const res = await fetch(`${proxy.url}/api/v1/positions`, { headers: { authorization: "Bearer user-7" } });
        status = res.status;
        await res.arrayBuffer();
        if (status === 200) break;
        await Bun.sleep(100);
      }
      expect({ status, afterMs: status === 200 ? "< 5000" : Date.now() - t0 }).toEqual({
        status: 200,
        afterMs: "< 5000",
      });
    } finally {
      stopped = true;
      for (const s of sockets) s?.close();
      await proxy.stop();
      for (const s of servers) s.stop(true);
    }
  }, 30_000);
});

describe("regressions found by the chaos test: the engine (no database)", () => {
  test("D5: adopting stored state for a position the engine already holds leaves two copies in the book — both act on one print (how the ghost traded after it was adopted again)", () => {
    const MES = { root: "MES", tick: 250_000_000, pointValue: 5_000_000_000n, decimals: 2 };
    const e = new TradingEngine((s) => (s === "MES" ? MES : undefined));
    e.setAccount({ id: 1, userId: 1, kind: "paper", commission: 0n });
    const actor = { kind: "user" as const, label: "t", userId: 1 };
    const t = 1_800_000_000_000;
    e.onTrade("MES", 5000e9, t);
    e.step({
      type: "command",
      accountId: 1,
      symbol: "MES",
      command: { kind: "record", side: "long", qty: 2, entryPrice: 5000e9 },
      actor,
      tsMs: t,
    });
    e.step({
      type: "command",
      accountId: 1,
      symbol: "MES",
      command: { kind: "set-ladder", levels: [{ enabled: true, qty: 1, target: { unit: "ticks", value: 4 } }] },
      actor,
      tsMs: t,
    });
    // What EngineService.adopt does with a shard's snapshot; here the position is already in the engine (the ghost of D3).
    e.adopt(e.snapshot());
    const fx: Effect[] = e.onTrade("MES", 5001e9, t + 1000);
    const triggered = fx.filter((f) => f.type === "event" && f.event.kind === "tp.triggered").length;
    expect({ positionsInEngine: e.allPositions().length, tp1Triggered: triggered }).toEqual({
      positionsInEngine: 1,
      tp1Triggered: 1,
    });
  });
});

describe(`regressions found by the chaos test: an account found unloaded (${testDatabaseKind})`, () => {
  test("D11: a request for an account of a user served here but not yet taken on (a shard just claimed, its state still being read) runs on the stored position, never on a blank one", async () => {
    const h = await createHarness({}, { engine: true });
    try {
      const user = await addUser(h);
      const caller = { actor: { kind: "user" as const, label: "d11", userId: user.id }, userId: user.id };
      await printAt(h, "MES", 5000e9);
      await h.ctx.trading.placeOrder(caller, "paper", "MES", { side: "buy", qty: 2 }, undefined);
      await printAt(h, "MES", 5000.25e9);
      const accountId = await h.ctx.trading.accountId(user.id, "paper");
      const stored = h.ctx.engine.engine.position(accountId, "MES")!;
      expect(stored.qty).toBe(2);
      // The account leaves this engine (its shard given up and claimed again: its state is being read) …
      await h.ctx.engine.drop((u) => u === user.id, "test: the shard is claimed again", true);
      expect(h.ctx.engine.serves(accountId)).toBe(false);
      // … and a request finds it unloaded: the engine takes it on from the database first.
      await h.ctx.engine.reloadAccounts();
      const found = h.ctx.engine.engine.position(accountId, "MES");
      expect({ qty: found?.qty, nextOrder: found?.nextOrder, version: found?.version }).toEqual({
        qty: 2,
        nextOrder: stored.nextOrder,
        version: stored.version,
      });
      // Its next order gets a new id, not the stored one's again.
      await h.ctx.trading.placeOrder(caller, "paper", "MES", { side: "sell", qty: 1 }, undefined);
      expect(h.ctx.engine.engine.position(accountId, "MES")!.nextOrder).toBe(stored.nextOrder + 1);
    } finally {
      await h.close();
    }
  }, 30_000);
});
