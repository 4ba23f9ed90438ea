import { Kysely, PGliteDialect, PostgresDialect } from "kysely";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Database } from "./database";
import { acquireDirLock, type DirLock } from "./dir-lock";
import { createPGlite } from "./pglite";

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: "postgres" | "pglite";
  /** Where the data lives, without credentials (safe to log and show). */
  location: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Postgres schema to use (tests give each file its own); created when missing. */
  schema?: string;
  poolSize?: number;
  /**
   * Postgres ends a session that sits in an open transaction longer than this. A process
   * stopped (SIGSTOP) inside a write would otherwise hold that write's row locks — the shard
   * lease rows its fence locks among them — for as long as it stays stopped, and no other
   * instance could take its accounts over; with it the write is rolled back and the rows freed.
   */
  idleInTransactionMs?: number;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return `${u.protocol}//${u.username ? u.username + "@" : ""}${u.host}${u.pathname}`;
  } catch {
    return "postgres://(unparseable url)";
  }
}

export async function connectDatabase(opts: ConnectOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) return connectPostgres(opts.databaseUrl, opts);
  return connectPGlite(opts);
}

async function connectPostgres(url: string, opts: ConnectOptions): Promise<DatabaseHandle> {
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  if (opts.idleInTransactionMs) {
    const ms = Math.max(100, Math.floor(opts.idleInTransactionMs));
    pool.on("connect", (c) => void c.query(`set idle_in_transaction_session_timeout = ${ms}`).catch(() => {}));
  }
  // Fail at start-up with a clear message rather than on the first request.
  const client = await pool.connect().catch(async (err: Error) => {
    await pool.end().catch(() => {});
    throw new Error(`cannot connect to Postgres at ${redactUrl(url)}: ${err.message}`);
  });
  try {
    if (schema) await client.query(`create schema if not exists ${schema}`);
  } finally {
    client.release();
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: "postgres", location: redactUrl(url) + (schema ? `#${schema}` : ""), close: () => db.destroy() };
}

async function connectPGlite(opts: ConnectOptions): Promise<DatabaseHandle> {
  const dataDir = resolve(opts.dataDir, "pglite");
  mkdirSync(dataDir, { recursive: true });
  // PGlite is one process's database: a second server on the same directory would corrupt it.
  const lock: DirLock = acquireDirLock(join(resolve(opts.dataDir), "pglite.lock"));
  try {
    const pglite = await createPGlite({ dataDir });
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    return {
      db,
      kind: "pglite",
      location: dataDir,
      close: async () => {
        await db.destroy();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
