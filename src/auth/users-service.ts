import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { AppError } from "../shared/app-error";
import { createAccounts } from "../persistence/repositories/accounts-repo";

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, "username: 1-40 characters, letters, digits, '.', '_' or '-'");
export const passwordSchema = z
  .string()
  .min(10, "password: at least 10 characters")
  .max(512, "password: at most 512 characters");

export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
}

/** A user name refused or taken, or the first-run setup already done: the app's refusal (400). */
export class UserError extends AppError {
  override name = "UserError";
  constructor(message: string) {
    super(400, message);
  }
}

/** Every user trades in a paper account and a live one; replay accounts are added per session later. */
const DEFAULT_ACCOUNTS = [
  { name: "paper", kind: "paper", execution: "paper" },
  // Live orders go to the account's webhook; until one is set they are refused, never paper-filled.
  { name: "live", kind: "live", execution: "webhook" },
] as const;

export class UsersService {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The first user is an administrator; later ones only when `admin` is asked for (`cli user add --admin`). */
  async create(
    usernameInput: string,
    password: string,
    actor: Actor,
    opts: { onlyIfFirst?: boolean; admin?: boolean } = {},
  ): Promise<User> {
    const username = usernameSchema.parse(usernameInput);
    passwordSchema.parse(password);
    const hash = await Bun.password.hash(password, { algorithm: "argon2id" });
    return this.db.transaction().execute(async (trx) => {
      if (opts.onlyIfFirst) {
        // Serialises concurrent first-run setups: only one may create the first user.
        await trx.selectFrom("users").select("id").forUpdate().execute();
        const existing = await trx.selectFrom("users").select("id").limit(1).execute();
        if (existing.length > 0) throw new UserError("setup is already done: a user exists");
      }
      const clash = await trx.selectFrom("users").select("id").where("username", "=", username).executeTakeFirst();
      if (clash) throw new UserError(`user "${username}" already exists`);
      const first = (await trx.selectFrom("users").select("id").limit(1).execute()).length === 0;
      const row = await trx
        .insertInto("users")
        .values({ username, password_hash: hash, is_admin: first || Boolean(opts.admin) })
        .returning(["id", "username", "is_admin"])
        .executeTakeFirstOrThrow();
      const user = { id: row.id, username: row.username, isAdmin: row.is_admin };
      await createAccounts(trx, user.id, DEFAULT_ACCOUNTS);
      await appendEvent(trx, {
        actor,
        kind: "user.created",
        reason: `user ${username} created with accounts ${DEFAULT_ACCOUNTS.map((a) => a.name).join(", ")}${user.isAdmin ? " (administrator)" : ""}`,
        data: { user_id: user.id, username, admin: user.isAdmin },
      });
      return user;
    });
  }

  async findByUsername(username: string): Promise<(User & { passwordHash: string }) | undefined> {
    const row = await this.db
      .selectFrom("users")
      .select(["id", "username", "password_hash", "is_admin"])
      .where("username", "=", username.trim().toLowerCase())
      .executeTakeFirst();
    return row && { id: row.id, username: row.username, isAdmin: row.is_admin, passwordHash: row.password_hash };
  }

  async findById(id: number): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .select(["id", "username", "is_admin"])
      .where("id", "=", id)
      .executeTakeFirst();
    return row && { id: row.id, username: row.username, isAdmin: row.is_admin };
  }

  async list(): Promise<User[]> {
    return (await this.db.selectFrom("users").select(["id", "username", "is_admin"]).orderBy("id").execute()).map(
      (r) => ({ id: r.id, username: r.username, isAdmin: r.is_admin }),
    );
  }
}
