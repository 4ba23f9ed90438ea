import { Kysely, PGliteDialect, PostgresDialect, type Dialect, type Driver, type LogEvent } from "kysely";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Database } from "./database";
import { acquireDirLock, type DirLock } from "./dir-lock";
import { SCRIPT_MARK, STATEMENT_BREAK } from "./multi-row";
import { createPGlite } from "./pglite";

/**
 * Statements and transactions sent to the database since start: what a request costs is
 * counted in round trips, so tests and operators can see it (reads of the original API: 0).
 */
export class SqlCounter {
  statements = 0;
  transactions = 0;
  /** Kysely's query log: every statement (pg's BEGIN and COMMIT among them, which are not statements here). */
  readonly note = (e: LogEvent): void => {
    const text = e.query.sql;
    const head = text.slice(0, 8).toLowerCase();
    if (head.startsWith("begin") || head.startsWith("commit") || head.startsWith("rollback")) return;
    if (text.startsWith(SCRIPT_MARK)) {
      // An engine batch sent as one query runs as one (implicit) transaction.
      this.transactions++;
      this.statements += text.split(STATEMENT_BREAK).length;
    } else this.statements++;
  };

  /** The dialect with its transactions counted at the driver (PGlite's never pass through the log). */
  dialect(inner: Dialect): Dialect {
    return {
      createAdapter: () => inner.createAdapter(),
      createIntrospector: (db) => inner.createIntrospector(db),
      createQueryCompiler: () => inner.createQueryCompiler(),
      createDriver: () => {
        const d = inner.createDriver();
        return {
          init: () => d.init(),
          acquireConnection: () => d.acquireConnection(),
          beginTransaction: (c, settings) => d.beginTransaction(c, settings),
          commitTransaction: (c) => (this.transactions++, d.commitTransaction(c)),
          rollbackTransaction: (c) => (this.transactions++, d.rollbackTransaction(c)),
          releaseConnection: (c) => d.releaseConnection(c),
          destroy: () => d.destroy(),
          savepoint: d.savepoint && ((c, name, compile) => d.savepoint!(c, name, compile)),
          rollbackToSavepoint:
            d.rollbackToSavepoint && ((c, name, compile) => d.rollbackToSavepoint!(c, name, compile)),
          releaseSavepoint: d.releaseSavepoint && ((c, name, compile) => d.releaseSavepoint!(c, name, compile)),
        } satisfies Driver;
      },
    };
  }
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  sql: SqlCounter;
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
  const sql = new SqlCounter();
  const db = new Kysely<Database>({ dialect: sql.dialect(new PostgresDialect({ pool })), log: sql.note });
  return {
    db,
    sql,
    kind: "postgres",
    location: redactUrl(url) + (schema ? `#${schema}` : ""),
    close: () => db.destroy(),
  };
}

async function connectPGlite(opts: ConnectOptions): Promise<DatabaseHandle> {
  const dataDir = resolve(opts.dataDir, "pglite");
  mkdirSync(dataDir, { recursive: true });
  // PGlite is one process's database: a second server on the same directory would corrupt it.
  const lock: DirLock = acquireDirLock(join(resolve(opts.dataDir), "pglite.lock"));
  try {
    const pglite = await createPGlite({ dataDir });
    const sql = new SqlCounter();
    const db = new Kysely<Database>({ dialect: sql.dialect(new PGliteDialect({ pglite })), log: sql.note });
    return {
      db,
      sql,
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
