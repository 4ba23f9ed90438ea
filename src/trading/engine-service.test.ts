import { findAccount } from "../persistence/repositories/accounts-repo";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { startEngine } from "../app/engine-startup";
import type { Actor } from "../persistence/events";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, type Harness, printAt } from "../web/test-harness";
import { FencedError } from "../persistence/shard-leases";
import { EngineService } from "./engine-service";
import type { EngineError, Command } from "./engine/types";
import { ExecutionRouter } from "./execution/router";

/**
 * A write the database refuses fails the command that caused it, and only that command: the
 * other steps of the same batch (another user's exit, a broker's fill) are written and
 * released. The fault is real: a trigger refuses one account's rows, as a full disk or a
 * constraint would.
 */
let h: Harness;
let stop: () => Promise<void>;
const ids = { alice: 0, bob: 0 };
const users = new Map<number, number>();
const actor = (userId: number): Actor => ({ kind: "user", label: `user ${userId}`, userId });

beforeAll(async () => {
  h = await createHarness();
  for (const name of ["alice", "bob"] as const) {
    const u = await addUser(h);
    const acct = (await findAccount(h.db.db, u.id, "paper"))!;
    ids[name] = acct.id;
    users.set(acct.id, u.id);
  }
  stop = await startEngine(h.ctx, 0);
});
afterAll(async () => {
  await stop();
  await h.close();
});

const cmd = (account: number, command: Command) =>
  h.ctx.engine.command({
    type: "command",
    accountId: account,
    symbol: "MES",
    command,
    actor: actor(users.get(account)!),
    tsMs: Date.now(),
  });
async function print(price: number) {
  await printAt(h, "MES", price * 1e9);
}

describe(`engine service: one refused write fails alone (${testDatabaseKind})`, () => {
  test("alice's order is refused by the database; bob's exit in the same batch commits and fills", async () => {
    await print(5000);
    await cmd(ids.alice, { kind: "order", side: "buy", qty: 1, refPrice: 5000e9 });
    await cmd(ids.bob, {
      kind: "order",
      side: "buy",
      qty: 2,
      refPrice: 5000e9,
      bracket: {
        stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } },
      },
    });
    await print(5000);
    expect(h.ctx.engine.engine.position(ids.bob, "MES")!.qty).toBe(2);
    await sql
      .raw(`
      create or replace function refuse_account() returns trigger language plpgsql as $$
      begin
        if new.account_id = ${ids.alice} and new.kind = 'order.submitted' then raise exception 'disk full (test)'; end if;
        return new;
      end $$`)
      .execute(h.db.db);
    await sql
      .raw("create trigger refuse_account before insert on events for each row execute function refuse_account()")
      .execute(h.db.db);
    try {
      // A print that ratchets bob's stop starts a write; both commands join the next batch.
      h.ctx.engine.onTrade("MES", 5001e9, Date.now());
      const alice = cmd(ids.alice, { kind: "order", side: "buy", qty: 3, refPrice: 5001e9 });
      const bob = cmd(ids.bob, { kind: "exit", qty: 1, refPrice: 5001e9 });
      const [a, b] = await Promise.allSettled([alice, bob]);
      expect(a.status).toBe("rejected");
      expect(String((a as PromiseRejectedResult).reason)).toContain("disk full (test)");
      expect(b.status).toBe("fulfilled");
    } finally {
      await sql.raw("drop trigger refuse_account on events").execute(h.db.db);
      await sql.raw("drop function refuse_account()").execute(h.db.db);
    }
    await print(5001);
    // Bob's exit filled; alice's refused order left nothing behind, in memory or in the database.
    expect(h.ctx.engine.engine.position(ids.bob, "MES")!.qty).toBe(1);
    const alice = h.ctx.engine.engine.position(ids.alice, "MES")!;
    expect(alice.qty).toBe(1);
    expect(h.ctx.engine.engine.workingOrders().filter((o) => o.accountId === ids.alice)).toEqual([]);
    const rows = await h.db.db
      .selectFrom("engine_orders")
      .select(["account_id", "qty", "status"])
      .where("account_id", "=", ids.alice)
      .execute();
    expect(rows.map((r) => [r.qty, r.status])).toEqual([[1, "filled"]]);
    // Both keep trading afterwards: nothing is stuck "under way".
    await cmd(ids.alice, { kind: "exit" });
    await cmd(ids.bob, { kind: "exit" });
    await print(5001.25);
    expect([
      h.ctx.engine.engine.position(ids.alice, "MES")!.qty,
      h.ctx.engine.engine.position(ids.bob, "MES")!.qty,
    ]).toEqual([0, 0]);
    expect(h.logs.lines.some((l) => l.event === "engine.step_refused")).toBe(true);
  });
});

describe(`engine service: ownership and fencing (${testDatabaseKind})`, () => {
  /** An ownership whose lease the test controls, and a broker that only records what it was sent. */
  function setup() {
    const lease = { owned: true, releasable: true };
    const ownership = {
      ownsUser: () => lease.owned,
      fence: async () => {
        if (!lease.owned) throw new FencedError("shard 1 is no longer this instance's");
      },
      mayRelease: () => lease.releasable,
    };
    const sent: string[] = [];
    const broker = { submit: (o: { id: string }) => void sent.push(o.id), cancel: () => {} };
    const router = new ExecutionRouter(broker as never, broker as never);
    return { lease, ownership, sent, router };
  }

  test("committed while the lease's local deadline had passed: held back, sent after a renewal, dropped when the lease is lost", async () => {
    const h2 = await createHarness();
    const { lease, ownership, sent, router } = setup();
    const es = new EngineService(h2.db.db, h2.ctx.instruments, router, h2.logs, Date.now, ownership);
    try {
      const u = await addUser(h2);
      const acct = (
        await h2.db.db
          .selectFrom("accounts")
          .select("id")
          .where("user_id", "=", u.id)
          .where("name", "=", "paper")
          .executeTakeFirstOrThrow()
      ).id;
      await es.start(0);
      const order = (qty: number) =>
        es.command({
          type: "command",
          accountId: acct,
          symbol: "MES",
          command: { kind: "order", side: "buy", qty, refPrice: 5000e9 },
          actor: actor(u.id),
          tsMs: Date.now(),
        });
      es.onTrade("MES", 5000e9, Date.now());
      await order(1);
      expect(sent.length).toBe(1);
      // Paused past the local deadline: the command is durable (answered), its order waits.
      lease.releasable = false;
      await order(1);
      expect(sent.length).toBe(1);
      expect(
        (await h2.db.db.selectFrom("engine_orders").select("id").where("account_id", "=", acct).execute()).length,
      ).toBe(2);
      expect(h2.logs.lines.some((l) => l.event === "engine.release_held")).toBe(true);
      es.leasesRenewed();
      expect(sent.length).toBe(1);
      lease.releasable = true;
      es.leasesRenewed();
      expect(sent.length).toBe(2);
      // Held back again, then the lease is found lost: nothing of it goes out (the new owner re-sends what is working).
      lease.releasable = false;
      await order(1);
      lease.owned = false;
      // A write after another instance took the shard is fenced: refused, nothing written, nothing sent.
      const rows = async () =>
        (await h2.db.db.selectFrom("engine_orders").select("id").where("account_id", "=", acct).execute()).length;
      const before = await rows();
      const fenced = await order(1).catch((e) => e);
      expect(fenced).toBeInstanceOf(FencedError);
      expect(await rows()).toBe(before);
      await es.drop(() => true, "the lease was taken over", false);
      lease.releasable = true;
      es.leasesRenewed();
      expect(sent.length).toBe(2);
      expect(es.serves(acct)).toBe(false);
      expect(((await order(1).catch((e) => e)) as EngineError).status).toBe(503);
    } finally {
      await es.stop();
      await h2.close();
    }
  });
});
