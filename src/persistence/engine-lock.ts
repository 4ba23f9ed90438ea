import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import type { Database } from "./database";

/** The process whose engine runs on this database, as it wrote itself down. */
export interface EngineHolder {
  host: string;
  pid: number;
  sinceMs: number;
}

export class EngineLockRefused extends Error {
  override name = "EngineLockRefused";
  constructor(readonly holder: EngineHolder | undefined) {
    super(holder
      ? `another server runs the trading engine on this database: host ${holder.host}, pid ${holder.pid}, since ${new Date(holder.sinceMs).toISOString()}; stop it first — one engine per database, or every exit would fire twice`
      : "another server runs the trading engine on this database; stop it first — one engine per database, or every exit would fire twice");
  }
}

export interface EngineLock {
  /** Resolves when the lock is gone without release() (its connection died): the engine must stop. */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

const CHECK_MS = 5_000;

/**
 * One engine per database (per schema): a session-level advisory lock held on a connection of
 * its own for the engine's whole life. A process killed outright loses its connection and with
 * it the lock, so a restart is never blocked by a dead owner; the holder also writes its host,
 * pid and start time, so the refused process can say whom it met. Embedded PGlite needs none:
 * its data directory already belongs to one process.
 */
export async function acquireEngineLock(db: Kysely<Database>, kind: "postgres" | "pglite"): Promise<EngineLock> {
  if (kind === "pglite") return { lost: new Promise(() => {}), release: async () => {} };
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let lose!: (e: Error) => void;
  const lost = new Promise<Error>((r) => (lose = r));
  const me = { host: hostname(), pid: process.pid, since: new Date() };
  let answer!: (ok: boolean) => void;
  const acquired = new Promise<boolean>((r) => (answer = r));
  const held = db.connection().execute(async (conn) => {
    const key = sql`hashtext('trading-app engine ' || current_schema())`;
    const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}) as ok`.execute(conn);
    if (!got.rows[0]?.ok) return answer(false);
    await sql`insert into engine_owner (id, host, pid, started_at) values (1, ${me.host}, ${me.pid}, ${me.since})
      on conflict (id) do update set host = excluded.host, pid = excluded.pid, started_at = excluded.started_at`.execute(conn);
    answer(true);
    // The lock lives as long as this connection: check it now and then, and say so if it died.
    for (let done = false; !done; ) {
      done = await Promise.race([released.then(() => true), Bun.sleep(CHECK_MS).then(() => false)]);
      if (!done) await sql`select 1`.execute(conn);
    }
    await sql`delete from engine_owner where id = 1 and pid = ${me.pid} and host = ${me.host}`.execute(conn);
    await sql`select pg_advisory_unlock(${key})`.execute(conn);
  });
  held.catch((err: Error) => {
    answer(false);
    lose(err);
  });
  if (!(await acquired)) {
    const row = await db.selectFrom("engine_owner").select(["host", "pid", "started_at"]).where("id", "=", 1).executeTakeFirst().catch(() => undefined);
    throw new EngineLockRefused(row ? { host: row.host, pid: row.pid, sinceMs: new Date(row.started_at).getTime() } : undefined);
  }
  return {
    lost,
    async release() {
      release();
      await held.catch(() => {});
    },
  };
}
