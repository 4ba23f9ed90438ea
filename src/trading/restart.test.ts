import { afterAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDatabase, type DatabaseHandle } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { fromJson } from "../persistence/repositories/engine-repo";
import { testDatabaseKind } from "../persistence/test-database";
import type { Command, Position } from "./engine/types";
import { runWorker, type WorkerLine } from "./restart-worker";

/**
 * SIGKILL the engine's process at random moments while it manages trades, restart it, carry on
 * — 50 times — and compare everything it did with a run that was never interrupted: the same
 * orders (deterministic ids, none repeated, none lost), the same fills, the same closed trades
 * to the cent, the same open positions.
 */

const KILLS = Number(process.env.RESTART_KILLS ?? 50);
const url = process.env.DATABASE_URL;
const TICK = 250_000_000;
const schemas: string[] = [];

afterAll(async () => {
  if (!url) return;
  const h = await connectDatabase({ databaseUrl: url, dataDir: "" });
  for (const s of schemas) await sql`drop schema if exists ${sql.id(s)} cascade`.execute(h.db);
  await h.close();
});

function target(): { env: Record<string, string>; open: () => Promise<DatabaseHandle> } {
  if (url) {
    const schema = `r_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    schemas.push(schema);
    return {
      env: { DATABASE_URL: url, TEST_SCHEMA: schema },
      open: () => connectDatabase({ databaseUrl: url, dataDir: "", schema, poolSize: 2 }),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "restart-"));
  return { env: { DATA_DIR: dir }, open: () => connectDatabase({ dataDir: dir }) };
}

async function seed(t: ReturnType<typeof target>, accounts: number) {
  const h = await t.open();
  await migrateUp(h.db);
  const u = await h.db
    .insertInto("users")
    .values({ username: "restart", password_hash: "x" })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (let a = 1; a <= accounts; a++)
    await h.db
      .insertInto("accounts")
      .values({ user_id: u.id, name: `p${a}`, kind: "paper" })
      .execute();
  const ids = (await h.db.selectFrom("accounts").select("id").orderBy("id").execute()).map((r) => r.id);
  await h.close();
  return ids;
}

/** Setup commands (run before any kill), then a long stream of prints where the rules act. */
function script(accountIds: number[], seedValue: number): { setup: WorkerLine[]; prints: WorkerLine[] } {
  let s = seedValue;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 16_777_216;
  let seq = 0;
  let ts = 1_800_000_000_000;
  const px: Record<string, number> = { MES: 6000e9, MNQ: 21000e9 };
  /** A command line, numbered and stamped in turn with the prints around it. */
  const cmd = (accountId: number, symbol: string, command: Command): WorkerLine => ({
    seq: ++seq,
    type: "cmd",
    accountId,
    symbol,
    ts: ++ts,
    command,
  });
  const setup: WorkerLine[] = [];
  for (const sym of ["MES", "MNQ"]) setup.push({ seq: ++seq, type: "print", symbol: sym, price: px[sym]!, ts: ++ts });
  for (const [i, a] of accountIds.entries()) {
    for (const sym of ["MES", "MNQ"]) {
      const kinds = [
        { kind: "fixed" as const, initial: { unit: "ticks" as const, value: 14 } },
        {
          kind: "trailing" as const,
          initial: { unit: "ticks" as const, value: 10 },
          trailBy: { unit: "ticks" as const, value: 10 },
        },
        {
          kind: "fixed" as const,
          initial: { unit: "ticks" as const, value: 12 },
          trailBy: { unit: "ticks" as const, value: 6 },
          breakevenAfterTp1: { offsetTicks: 1, thenTrail: true },
        },
      ];
      setup.push(
        cmd(a, sym, {
          kind: "order",
          side: (i + (sym === "MES" ? 0 : 1)) % 2 ? "sell" : "buy",
          qty: 4,
          refPrice: px[sym]!,
          bracket: {
            stop: kinds[i % 3],
            ladder: [
              { enabled: true, qty: 1, target: { unit: "ticks", value: 4 + (i % 3) } },
              { enabled: true, qty: 2, target: { unit: "ticks", value: 9 + i } },
            ],
          },
        }),
      );
    }
  }
  const prints: WorkerLine[] = [];
  for (let k = 0; k < 1500; k++) {
    const sym = rnd() < 0.5 ? "MES" : "MNQ";
    const r = rnd();
    px[sym]! += r < 0.3 ? -TICK : r < 0.6 ? TICK : 0;
    prints.push({ seq: ++seq, type: "print", symbol: sym, price: px[sym]!, ts: ++ts });
    // Now and then a flat account opens again, so the rules keep having work to do.
    if (k % 150 === 149) {
      const a = accountIds[((k / 150) % accountIds.length) | 0]!;
      prints.push(
        cmd(a, sym, {
          kind: "order",
          side: rnd() < 0.5 ? "buy" : "sell",
          qty: 2,
          refPrice: px[sym]!,
          bracket: {
            stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } },
            ladder: [{ enabled: true, qty: 1, target: { unit: "ticks", value: 5 } }],
          },
        }),
      );
    }
  }
  return { setup, prints };
}

interface Child {
  acked: number;
  refused: string[];
  ready: Promise<void>;
  exited: Promise<number>;
  proc: ReturnType<typeof Bun.spawn>;
}

function spawnWorker(env: Record<string, string>): Child {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "restart-worker.ts")], {
    env: { ...process.env, ...env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const child: Child = { acked: 0, refused: [], proc, ready: Promise.resolve(), exited: proc.exited };
  let markReady!: () => void;
  child.ready = new Promise((r) => (markReady = r));
  void (async () => {
    const dec = new TextDecoder();
    let buf = "";
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "ready") markReady();
        else if (line.startsWith("ack ")) child.acked = Number(line.slice(4));
        else if (line.startsWith("refused ")) child.refused.push(line);
      }
    }
  })();
  return child;
}

const send = (c: Child, lines: WorkerLine[]) => {
  const stdin = c.proc.stdin as import("bun").FileSink;
  stdin.write(lines.map((l) => JSON.stringify(l) + "\n").join(""));
  stdin.flush();
};

async function outcome(t: ReturnType<typeof target>) {
  const h = await t.open();
  const orders = await h.db
    .selectFrom("engine_orders")
    .select(["id", "status", "filled", "qty", "purpose"])
    .orderBy("id")
    .execute();
  const trades = await h.db
    .selectFrom("closed_trades")
    .select(["trade_id", "qty", "entry", "exit", "realized", "commissions"])
    .orderBy("trade_id")
    .execute();
  const positions = (await h.db.selectFrom("engine_positions").select("state").orderBy("key").execute()).map((r) => {
    const p = fromJson<Position>(r.state);
    return {
      key: p.key,
      side: p.qty ? p.side : null,
      qty: p.qty,
      cost: String(p.cost),
      stop: p.stop?.price ?? null,
      ladder: p.ladder.map((l) => `${l.price}:${l.status}:${l.filledQty}`),
    };
  });
  const tpFills = await h.db.selectFrom("events").select(["reason"]).where("kind", "=", "tp.filled").execute();
  await h.close();
  return { orders, trades, positions, tpFills: tpFills.length };
}

describe(`engine restarts (${testDatabaseKind})`, () => {
  test(`SIGKILL ${KILLS} times at random moments: no acknowledged action repeated, none lost`, async () => {
    const ref = target();
    const killed = target();
    const refAccounts = await seed(ref, 6);
    const killAccounts = await seed(killed, 6);
    expect(killAccounts).toEqual(refAccounts);
    const { setup, prints } = script(refAccounts, 7);
    const all = [...setup, ...prints];

    // The reference: the same lines, in process, never interrupted.
    const refDone = runWorker(
      (async function* () {
        yield all.map((l) => JSON.stringify(l)).join("\n") + "\n";
      })(),
      () => {},
      { ...(url ? { databaseUrl: url, schema: ref.env.TEST_SCHEMA } : { dataDir: ref.env.DATA_DIR }) },
    );
    await refDone;

    // The same lines to a process killed again and again.
    let next = 0;
    let kills = 0;
    let s = 99;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 16_777_216;
    const refusedAfterRestart: string[] = [];
    while (next < all.length) {
      const c = spawnWorker(killed.env);
      await Promise.race([
        c.ready,
        c.exited.then((code) =>
          Promise.reject(new Error(`worker exited ${code}: ${c.proc.stderr ? "see stderr" : ""}`)),
        ),
      ]);
      if (next < setup.length || kills >= KILLS) {
        // Setup runs whole (commands are not re-sent blindly); so does the tail after the last kill.
        const end = next < setup.length ? setup.length : all.length;
        send(c, all.slice(next, end));
        while (c.acked < all[end - 1]!.seq) await Bun.sleep(2);
        next = end;
        (c.proc.stdin as import("bun").FileSink).end();
        await c.exited;
        continue;
      }
      const n = 1 + Math.floor(rnd() * 40);
      const batch = all.slice(next, next + n);
      send(c, batch);
      // Kill somewhere inside the batch: between lines, mid-transaction, mid-fill.
      const waitFor = Math.floor(rnd() * n);
      const lastSeq = batch[Math.min(waitFor, batch.length - 1)]!.seq;
      const deadline = performance.now() + 5000;
      while (c.acked < lastSeq && performance.now() < deadline) await Bun.sleep(0);
      if (rnd() < 0.5) await Bun.sleep(rnd() * 3);
      c.proc.kill("SIGKILL");
      await c.exited;
      kills++;
      refusedAfterRestart.push(...c.refused);
      // Lines after the last acknowledged one are sent again to the next process.
      const ackedIndex = all.findIndex((l) => l.seq === c.acked);
      next = Math.max(next, ackedIndex + 1);
    }
    expect(kills).toBe(KILLS);

    const a = await outcome(ref);
    const b = await outcome(killed);
    expect(a.orders.length).toBeGreaterThan(40);
    expect(a.trades.length).toBeGreaterThan(5);
    expect(a.tpFills).toBeGreaterThan(10);
    // Every order the uninterrupted run released was released exactly once here too, and answered.
    expect(b.orders).toEqual(a.orders);
    expect(b.orders.every((o) => o.status === "filled")).toBe(true);
    expect(b.trades).toEqual(a.trades);
    expect(b.positions).toEqual(a.positions);
    expect(b.tpFills).toBe(a.tpFills);
  }, 600_000);
});
