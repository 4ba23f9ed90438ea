import { sql, type Kysely } from "kysely";
import { SqlScript } from "../persistence/multi-row";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { fromJson, toJson, writeStep } from "../persistence/repositories/engine-repo";
import type { ReplaySummary, ReplayWrite } from "./replay-session";
import { createAccounts, paperCommission, renameAccount } from "../persistence/repositories/accounts-repo";

export interface SourceInfo {
  kind: "archive" | "upload" | "historical";
  description: string;
  symbols: string[];
  schema: string;
  startMs: number;
  endMs: number;
  fileId?: number;
}

export interface FileRow {
  id: number;
  kind: "upload" | "historical";
  name: string;
  bytes: number;
  schema: string;
  symbols: string[];
  startMs: number;
  endMs: number;
  records: number;
  cost: number | null;
  path: string;
  createdAt: Date;
}

export interface SessionRow {
  id: number;
  accountId: number;
  account: string;
  source: SourceInfo;
  state: string;
  replayMs: number | null;
  summary: ReplaySummary | null;
  createdAt: Date;
}

/** Replay sessions, their accounts, files and results in the database. */
export class ReplayStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** A new session with its own account (kind `replay`, the paper account's commission). */
  async createSession(
    userId: number,
    source: SourceInfo,
    actor: Actor,
  ): Promise<{ id: number; accountId: number; account: string; commission: string }> {
    return this.db.transaction().execute(async (trx) => {
      const commission = await paperCommission(trx, userId);
      // A temporary unique name: the account's real name holds the session's id, made next.
      const temp = `replay-new-${crypto.randomUUID().slice(0, 8)}`;
      const [accountId] = await createAccounts(trx, userId, [{ name: temp, kind: "replay", commission }]);
      const acct = { id: accountId! };
      const s = await trx
        .insertInto("replay_sessions")
        .values({ user_id: userId, account_id: acct.id, source: toJson(source), state: "paused" })
        .returning("id")
        .executeTakeFirstOrThrow();
      const account = `replay-${s.id}`;
      await renameAccount(trx, acct.id, account);
      await appendEvent(trx, {
        actor,
        accountId: acct.id,
        kind: "replay.created",
        reason: `replay ${s.id} created: ${source.description}`,
      });
      return { id: s.id, accountId: acct.id, account, commission: String(commission) };
    });
  }

  /** A session's events and closed trades (tagged `replay`), in one transaction. */
  async persist(sessionId: number, w: ReplayWrite): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const script = new SqlScript();
      writeStep(script, {
        positions: [],
        newOrders: [],
        orderUpdates: [],
        events: w.events,
        closed: w.closed,
        days: [],
      });
      await script.run(trx, false);
      if (w.closed.length) {
        await trx
          .updateTable("closed_trades")
          .set({ tags: ["replay", `replay-${sessionId}`] })
          .where(
            "trade_id",
            "in",
            w.closed.map((t) => t.tradeId),
          )
          .execute();
      }
    });
  }

  async saveState(sessionId: number, state: string, replayMs: number, summary?: ReplaySummary): Promise<void> {
    await this.db
      .updateTable("replay_sessions")
      .set({
        state,
        replay_ms: Math.round(replayMs),
        ...(summary ? { summary: toJson(summary), ended_at: new Date() } : {}),
      })
      .where("id", "=", sessionId)
      .execute();
  }

  /** Sessions that were running when the process stopped cannot continue (their state was in memory). */
  async interruptRunning(): Promise<number> {
    const r = await this.db
      .updateTable("replay_sessions")
      .set({ state: "interrupted" })
      .where("state", "in", ["playing", "paused"])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async sessions(userId: number, limit = 50): Promise<SessionRow[]> {
    const rows = await this.db
      .selectFrom("replay_sessions as s")
      .innerJoin("accounts as a", "a.id", "s.account_id")
      .select(["s.id", "s.account_id", "a.name", "s.source", "s.state", "s.replay_ms", "s.summary", "s.created_at"])
      .where("s.user_id", "=", userId)
      .orderBy("s.id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      account: r.name,
      source: fromJson<SourceInfo>(r.source),
      state: r.state,
      replayMs: r.replay_ms === null ? null : Number(r.replay_ms),
      summary: r.summary ? fromJson<ReplaySummary>(r.summary) : null,
      createdAt: new Date(r.created_at),
    }));
  }

  async addFile(
    userId: number,
    f: Omit<FileRow, "id" | "createdAt">,
    sha256: string,
    request?: unknown,
  ): Promise<FileRow> {
    const row = await this.db
      .insertInto("replay_files")
      .values({
        user_id: userId,
        kind: f.kind,
        name: f.name.slice(0, 200),
        sha256,
        bytes: f.bytes,
        schema: f.schema,
        symbols: toJson(f.symbols),
        start_ms: f.startMs,
        end_ms: f.endMs,
        records: f.records,
        request: request === undefined ? null : toJson(request),
        cost: f.cost === null ? null : String(f.cost),
        path: f.path,
      })
      // The same bytes uploaded again are the same file.
      .onConflict((oc) => oc.columns(["user_id", "sha256"]).doUpdateSet({ name: sql`excluded.name` }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return fileRow(row);
  }

  async files(userId: number): Promise<FileRow[]> {
    const rows = await this.db
      .selectFrom("replay_files")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id", "desc")
      .limit(200)
      .execute();
    return rows.map(fileRow);
  }

  async file(userId: number, id: number): Promise<FileRow | undefined> {
    const row = await this.db
      .selectFrom("replay_files")
      .selectAll()
      .where("user_id", "=", userId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? fileRow(row) : undefined;
  }
}

function fileRow(r: {
  id: number;
  kind: "upload" | "historical";
  name: string;
  bytes: string;
  schema: string;
  symbols: unknown;
  start_ms: string;
  end_ms: string;
  records: string;
  cost: string | null;
  path: string;
  created_at: Date;
}): FileRow {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    bytes: Number(r.bytes),
    schema: r.schema,
    symbols: fromJson<string[]>(r.symbols),
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    records: Number(r.records),
    cost: r.cost === null ? null : Number(r.cost),
    path: r.path,
    createdAt: new Date(r.created_at),
  };
}
