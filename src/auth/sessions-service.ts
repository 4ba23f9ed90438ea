import type { Kysely } from "kysely";
import type { Database } from "../persistence/database";
import { TtlCache } from "../shared/ttl-cache";
import { randomToken, sha256Hex } from "./crypto";

export interface SessionInfo {
  userId: number;
  username: string;
  csrfToken: string;
  userAgent: string;
  idHash: string;
  isAdmin: boolean;
}

/** Writes of last_seen_at are throttled so reading a page does not write on every request. */
const TOUCH_EVERY_MS = 60_000;
/** Like API tokens: a sign-out here is immediate, one in another process within this time. */
const SESSION_CACHE_MS = 5_000;

export class SessionsService {
  private readonly cache = new TtlCache<string, SessionInfo & { expiresAt: number }>(SESSION_CACHE_MS);
  private readonly ended: ((idHash: string) => void)[] = [];
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the cookie value; only its hash is stored. */
  async create(
    userId: number,
    userAgent: string,
    ip: string,
  ): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = randomToken();
    const csrfToken = randomToken();
    const expiresAt = new Date(this.now() + this.ttlMs);
    await this.db
      .insertInto("sessions")
      .values({
        id_hash: sha256Hex(token),
        user_id: userId,
        csrf_token: csrfToken,
        user_agent: userAgent.slice(0, 300),
        ip,
        expires_at: expiresAt,
      })
      .execute();
    return { token, csrfToken, expiresAt };
  }

  async lookup(token: string): Promise<SessionInfo | undefined> {
    if (!token || token.length > 100) return undefined;
    const idHash = sha256Hex(token);
    const cached = this.cache.get(idHash);
    if (cached && cached.expiresAt > this.now()) return cached;
    const row = await this.db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .select([
        "sessions.user_id",
        "users.username",
        "users.is_admin",
        "sessions.csrf_token",
        "sessions.user_agent",
        "sessions.expires_at",
        "sessions.last_seen_at",
      ])
      .where("sessions.id_hash", "=", idHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.now();
    if (new Date(row.expires_at).getTime() <= now) {
      await this.db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
      return undefined;
    }
    if (now - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS) {
      await this.db
        .updateTable("sessions")
        .set({ last_seen_at: new Date(now) })
        .where("id_hash", "=", idHash)
        .execute();
    }
    const info = {
      userId: row.user_id,
      username: row.username,
      csrfToken: row.csrf_token,
      userAgent: row.user_agent,
      idHash,
      isAdmin: row.is_admin,
    };
    this.cache.set(idHash, { ...info, expiresAt: new Date(row.expires_at).getTime() });
    return info;
  }

  /** Told of every sign-out in this process, so what the session holds open (sockets) closes at once. */
  onEnded(listener: (idHash: string) => void): void {
    this.ended.push(listener);
  }

  async destroy(token: string): Promise<void> {
    const idHash = sha256Hex(token);
    this.cache.delete(idHash);
    await this.db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
    for (const l of this.ended) l(idHash);
  }

  /** Which of these sessions still exist and have not expired (one query, for the socket check). */
  async alive(idHashes: string[]): Promise<Set<string>> {
    if (!idHashes.length) return new Set();
    const rows = await this.db
      .selectFrom("sessions")
      .select("id_hash")
      .where("id_hash", "in", idHashes)
      .where("expires_at", ">", new Date(this.now()))
      .execute();
    return new Set(rows.map((r) => r.id_hash));
  }

  async purgeExpired(): Promise<number> {
    const res = await this.db.deleteFrom("sessions").where("expires_at", "<=", new Date(this.now())).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
