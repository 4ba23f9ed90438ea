import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { AppError } from "../shared/app-error";
import { TtlCache } from "../shared/ttl-cache";
import { randomToken, sha256Hex } from "./crypto";

export const tokenNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}$/, "token name: 1-60 characters, letters, digits, space, '.', '_' or '-'");

/** A recognisable prefix lets secret scanners and humans tell what leaked. */
export const TOKEN_PREFIX = "tma_";

export interface TokenInfo {
  id: number;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A token name refused, or taken: the app's refusal (400), caught by the settings page to show beside the form. */
export class TokenError extends AppError {
  override name = "TokenError";
  constructor(message: string) {
    super(400, message);
  }
}

const TOUCH_EVERY_MS = 60_000;
/**
 * A verified token is trusted for this long without asking the database again. A revocation
 * made through this process takes effect at once; one made by another process (the CLI on a
 * shared Postgres) within this many milliseconds.
 */
export const TOKEN_CACHE_MS = 5_000;

type Verified = { userId: number; username: string; tokenId: number; tokenName: string; isAdmin: boolean };

export class ApiTokensService {
  private readonly touched = new Map<number, number>();
  private readonly cache = new TtlCache<string, Verified>(TOKEN_CACHE_MS);
  private readonly revoked: ((tokenId: number) => void)[] = [];
  constructor(private readonly db: Kysely<Database>) {}

  /** Told of every revocation in this process, so the token's open sockets close at once. */
  onRevoked(listener: (tokenId: number) => void): void {
    this.revoked.push(listener);
  }

  /** Which of these tokens are still active (one query, for the socket check). */
  async alive(ids: number[]): Promise<Set<number>> {
    if (!ids.length) return new Set();
    const rows = await this.db
      .selectFrom("api_tokens")
      .select("id")
      .where("id", "in", ids)
      .where("revoked_at", "is", null)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** The token is shown once here and never stored: only its SHA-256 is. */
  async create(userId: number, nameInput: string, actor: Actor): Promise<{ token: string; info: TokenInfo }> {
    const parsed = tokenNameSchema.safeParse(typeof nameInput === "string" ? nameInput : "");
    if (!parsed.success) throw new TokenError(parsed.error.issues[0]!.message);
    const name = parsed.data;
    const token = TOKEN_PREFIX + randomToken();
    const clash = () => new TokenError(`an active token named "${name}" already exists`);
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom("api_tokens")
        .select("id")
        .where("user_id", "=", userId)
        .where("name", "=", name)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (existing) throw clash();
      const row = await trx
        .insertInto("api_tokens")
        .values({ user_id: userId, name, token_hash: sha256Hex(token) })
        .onConflict((oc) => oc.columns(["user_id", "name"]).where("revoked_at", "is", null).doNothing())
        .returning(["id", "name", "created_at", "last_used_at"])
        .executeTakeFirst();
      // Two creations of one name at once both pass the check above; the unique index decides.
      if (!row) throw clash();
      await appendEvent(trx, {
        actor,
        kind: "token.created",
        reason: `API token "${name}" created`,
        data: { token_id: row.id },
      });
      return { token, info: { id: row.id, name: row.name, createdAt: new Date(row.created_at), lastUsedAt: null } };
    });
  }

  async verify(token: string): Promise<Verified | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const hash = sha256Hex(token);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const row = await this.db
      .selectFrom("api_tokens")
      .innerJoin("users", "users.id", "api_tokens.user_id")
      .select(["api_tokens.id", "api_tokens.name", "api_tokens.user_id", "users.username", "users.is_admin"])
      .where("api_tokens.token_hash", "=", hash)
      .where("api_tokens.revoked_at", "is", null)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = Date.now();
    if (now - (this.touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      this.touched.set(row.id, now);
      await this.db
        .updateTable("api_tokens")
        .set({ last_used_at: new Date(now) })
        .where("id", "=", row.id)
        .execute();
    }
    const verified = {
      userId: row.user_id,
      username: row.username,
      tokenId: row.id,
      tokenName: row.name,
      isAdmin: row.is_admin,
    };
    this.cache.set(hash, verified);
    return verified;
  }

  async list(userId: number): Promise<TokenInfo[]> {
    const rows = await this.db
      .selectFrom("api_tokens")
      .select(["id", "name", "created_at", "last_used_at"])
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .orderBy("id")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: new Date(r.created_at),
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
    }));
  }

  async revoke(userId: number, name: string, actor: Actor): Promise<boolean> {
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable("api_tokens")
        .set({ revoked_at: new Date() })
        .where("user_id", "=", userId)
        .where("name", "=", name)
        .where("revoked_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!row) return undefined;
      this.cache.deleteWhere((v) => v.tokenId === row.id);
      await appendEvent(trx, {
        actor,
        kind: "token.revoked",
        reason: `API token "${name}" revoked`,
        data: { token_id: row.id },
      });
      return row.id;
    });
    if (id === undefined) return false;
    for (const l of this.revoked) l(id);
    return true;
  }
}
