import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "kysely";
import { connectDatabase, type DatabaseHandle } from "./connect";
import { FencedError, ShardLeases, type LeaseListener } from "./shard-leases";
import { createTestDatabase } from "./test-database";
import { eventually, until } from "../shared/testing";

/**
 * Two instances on one Postgres database never run the same accounts: shard leases with an
 * owner, an epoch and an expiry, and a fence in every engine write. Embedded PGlite needs none
 * (its directory belongs to one process), so this runs on Postgres only.
 */
const url = process.env.DATABASE_URL;
const postgres = describe.skipIf(!url);
if (!url)
  console.log(
    "shard-leases.test: SKIPPED on PGlite (its data directory already belongs to one process); runs on Postgres",
  );

function recorder(): LeaseListener & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    gained: async (_owns, shards) => void log.push(`gained ${shards.length}`),
    lost: (_owns, shards, reason, graceful) =>
      void log.push(`lost ${shards.length} ${graceful ? "graceful" : "at once"}: ${reason.split(":")[0]}`),
  };
}

/** Writes inside a transaction the way the engine does: fence first. */
const write = (db: DatabaseHandle["db"], leases: ShardLeases, userId: number) =>
  db.transaction().execute(async (trx) => {
    await leases.fence(trx, [userId]);
    return "written";
  });

const epochs = async (db: DatabaseHandle["db"]) =>
  (await sql<{ epoch: string }>`select distinct epoch::text as epoch from engine_shards`.execute(db)).rows.map((r) =>
    Number(r.epoch),
  );

postgres("shard leases (Postgres)", () => {
  let a: DatabaseHandle;
  let b: DatabaseHandle;
  let schema: string;
  beforeAll(async () => {
    a = await createTestDatabase();
    schema = a.location.split("#")[1]!;
    b = await connectDatabase({ databaseUrl: url, dataDir: "", schema, poolSize: 2 });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  test("the first instance takes every shard, a second stands by; a clean stop hands them over at once", async () => {
    const first = new ShardLeases(a.db, { ttlMs: 3000, renewMs: 1000, balance: false });
    const second = new ShardLeases(b.db, { ttlMs: 3000, renewMs: 200, balance: false });
    const l1 = recorder();
    const l2 = recorder();
    await first.start(l1);
    await second.start(l2);
    expect([first.ownedShards, second.ownedShards]).toEqual([64, 0]);
    expect(first.ownsUser(7) && !second.ownsUser(7)).toBe(true);
    expect(await write(a.db, first, 7)).toBe("written");
    expect(await write(b.db, second, 7).catch((e) => e)).toBeInstanceOf(FencedError);
    expect((await second.ownerOfUser(7))?.id).toBe(first.id);
    const t0 = performance.now();
    await first.stop();
    await until(() => second.ownedShards >= 64, 3000 - (performance.now() - t0), 20);
    expect(second.ownedShards).toBe(64);
    // Handed over without waiting for the 3 s lease.
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(l2.log).toEqual(["gained 64"]);
    await second.stop();
  });

  test("an owner paused past its lease: the other takes over, and the paused one can neither write nor release", async () => {
    // No renewal (as if SIGSTOPped): the lease runs out after 600 ms.
    const paused = new ShardLeases(a.db, { ttlMs: 600, renewMs: 60_000, balance: false });
    const other = new ShardLeases(b.db, { ttlMs: 600, renewMs: 100, balance: false });
    const lp = recorder();
    await paused.start(lp);
    const before = (await epochs(a.db))[0]!;
    await other.start(recorder());
    expect(paused.ownedShards).toBe(64);
    expect(paused.mayRelease([7])).toBe(true);
    const t0 = performance.now();
    await until(() => other.ownedShards >= 64, 3000 - (performance.now() - t0), 20);
    expect(other.ownedShards).toBe(64);
    // Resumed: the local deadline says hold back, the fence refuses the write.
    expect(paused.mayRelease([7])).toBe(false);
    expect(await write(a.db, paused, 7).catch((e) => e)).toBeInstanceOf(FencedError);
    expect(await write(b.db, other, 7)).toBe("written");
    // Every change of owner raised the fencing token by one.
    expect(await epochs(a.db)).toEqual([before + 1]);
    // Its next round finds out and drops the accounts' state at once.
    await (paused as unknown as { round(): Promise<void> }).round();
    expect(lp.log).toEqual([
      "gained 64",
      "lost 64 at once: the lease was taken over by another instance (this one paused or lost the database past its lease)",
    ]);
    expect(paused.ownedShards).toBe(0);
    await paused.stop();
    await other.stop();
  });

  test("a claim waits for the owner's write in flight: the write commits, then the shard moves", async () => {
    const owner = new ShardLeases(a.db, { ttlMs: 600, renewMs: 60_000, balance: false });
    await owner.start(recorder());
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    let finish!: () => void;
    const hold = new Promise<void>((r) => (finish = r));
    const writing = a.db.transaction().execute(async (trx) => {
      await owner.fence(trx, [7]);
      inside();
      await hold;
      await sql`insert into events (actor_kind, actor, kind, reason, data) values ('system', 'test', 'lease.test', 'written under the lease', '{}')`.execute(
        trx,
      );
    });
    await entered;
    await Bun.sleep(700); // the lease has expired meanwhile
    const other = new ShardLeases(b.db, { ttlMs: 600, renewMs: 60_000, balance: false });
    await other.start(recorder());
    // The row of user 7's shard is locked by the write: skipped, every other shard taken.
    expect(other.ownedShards).toBe(63);
    expect(other.ownsUser(7)).toBe(false);
    finish();
    await writing;
    await (other as unknown as { round(): Promise<void> }).round();
    expect(other.ownsUser(7)).toBe(true);
    await owner.stop();
    await other.stop();
  });

  test("with balancing (cluster mode) three instances share the shards fairly", async () => {
    const opts = { ttlMs: 2000, renewMs: 100, balance: true };
    const x = new ShardLeases(a.db, opts);
    // User 60's replay lives in x's memory: its shard never moves while balancing.
    await x.start({ ...recorder(), busy: (owns) => owns(60) });
    expect(x.ownedShards).toBe(64);
    const y = new ShardLeases(b.db, opts);
    const z = new ShardLeases(b.db, opts);
    await y.start(recorder());
    await z.start(recorder());
    const t0 = performance.now();
    while (
      performance.now() - t0 < 5000 &&
      !(
        x.ownedShards + y.ownedShards + z.ownedShards === 64 &&
        Math.max(x.ownedShards, y.ownedShards, z.ownedShards) <= 22
      )
    )
      await Bun.sleep(50);
    const owned = [x, y, z].map((l) => l.ownedShards);
    // Each takes up to its fair share, ceil(64 / 3) = 22; the last gets what is left.
    expect([owned.reduce((n, o) => n + o, 0), Math.max(...owned) <= 22, Math.min(...owned) >= 20]).toEqual([
      64,
      true,
      true,
    ]);
    expect((await x.instances()).length).toBe(3);
    expect(x.ownsUser(60)).toBe(true);
    await Promise.all([x.stop(), y.stop(), z.stop()]);
  });
});

postgres("two servers on one database (Postgres)", () => {
  let db: DatabaseHandle;
  let schema: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    schema = db.location.split("#")[1]!;
  });
  afterAll(() => db.close());

  test("the second stands by and refuses with who runs the accounts; an exit fires once; SIGKILL the first and the second takes over", async () => {
    const dbUrl = `${url}${url!.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const env = (port: number) => ({
      ...process.env,
      DATABASE_URL: dbUrl,
      PORT: String(port),
      FEED: "simulated",
      LOG_LEVEL: "info",
      SECRET_KEY: "22".repeat(32),
      LEASE_TTL_MS: "1500",
      DATA_DIR: join("/tmp", `shard-leases-${process.pid}-${port}`),
    });
    const main = join(import.meta.dir, "../main.ts");
    const port = 39000 + (process.pid % 500);
    const cli = (args: string[], stdin = "") =>
      Bun.spawn(["bun", main, ...args], {
        env: env(port + 9),
        stdin: new Blob([stdin]),
        stdout: "pipe",
        stderr: "pipe",
      });
    expect(await cli(["user", "add", "alice"], "a long enough password\n").exited).toBe(0);
    const made = cli(["token", "create", "t", "--user", "alice"]);
    const token = (await new Response(made.stdout).text()).trim().split("\n").at(-1)!;
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const first = Bun.spawn(["bun", main, "serve"], { env: env(port), stdout: "pipe", stderr: "pipe" });
    let second: ReturnType<typeof Bun.spawn> | undefined;
    try {
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        30_000,
        100,
      );
      second = Bun.spawn(["bun", main, "serve"], { env: env(port + 1), stdout: "pipe", stderr: "pipe" });
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${port + 1}/healthz`).catch(() => undefined))?.ok === true,
        30_000,
        100,
      );
      // A long far below the simulated market with a take-profit 1 point up: the next print takes it.
      const pos = `http://127.0.0.1:${port}/api/v1/accounts/paper/positions/MES`;
      expect(
        (
          await fetch(`${pos}/record`, {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ side: "long", qty: 2, entryPrice: 1000 }),
          })
        ).status,
      ).toBe(200);
      const ladder = await fetch(`${pos}/ladder`, {
        method: "PUT",
        headers: auth,
        body: JSON.stringify({ levels: [{ enabled: true, qty: 2, target: { unit: "points", value: 1 } }] }),
      });
      expect(ladder.status).toBe(200);
      const health = async (p: number) => (await (await fetch(`http://127.0.0.1:${p}/healthz`)).json()).instance;
      expect(await health(port)).toMatchObject({ role: "owner", shards: 64, of: 64 });
      expect(await health(port + 1)).toMatchObject({ role: "standby", shards: 0 });
      const refused = await fetch(`http://127.0.0.1:${port + 1}/api/v1/positions`, { headers: auth });
      expect(refused.status).toBe(503);
      expect((await refused.json()).message).toContain(`pid ${first.pid}`);
      await eventually(
        async () =>
          Number(
            (
              await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema, "closed_trades")}`.execute(
                db.db,
              )
            ).rows[0]!.n,
          ) >= 1,
        30_000,
        100,
      );
      await Bun.sleep(1500);
      const fills = await sql<{
        n: string;
      }>`select count(*)::text as n from ${sql.id(schema, "engine_orders")} where purpose = 'tp'`.execute(db.db);
      const closed = await sql<{
        n: string;
      }>`select count(*)::text as n from ${sql.id(schema, "closed_trades")}`.execute(db.db);
      expect([Number(fills.rows[0]!.n), Number(closed.rows[0]!.n)]).toEqual([1, 1]);
      // Killed outright: the second takes the accounts once the 1.5 s lease runs out.
      const t0 = performance.now();
      first.kill("SIGKILL");
      await first.exited;
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${port + 1}/api/v1/positions`, { headers: auth })).status === 200,
        10_000,
        100,
      );
      const failover = performance.now() - t0;
      console.log(`shard-leases.test: failover after SIGKILL in ${Math.round(failover)} ms (lease 1500 ms)`);
      expect(failover).toBeLessThan(5000);
      const journal = await (await fetch(`http://127.0.0.1:${port + 1}/api/v1/journal`, { headers: auth })).json();
      expect(journal.trades.length).toBe(1);
    } finally {
      first.kill("SIGKILL");
      second?.kill("SIGKILL");
      await Promise.all([first.exited, second?.exited]);
    }
  }, 60_000);
});
