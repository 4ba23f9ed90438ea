import type { Kysely, Transaction } from "kysely";
import { nanosToDecimal } from "../../shared/price-format";
import type { AccountKind, Database } from "../database";

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The accounts table, read and written only here: every feature asks this module instead of
 * writing its own query, so a column or a rule (replay accounts apart) changes in one place.
 */
export interface AccountRow {
  id: number;
  name: string;
  kind: AccountKind;
  execution: "paper" | "webhook";
  /** Dollars per contract per side, as the numeric column's decimal string. */
  commission: string;
  /** Risk limits, null when off (R10): micro-equivalent contracts; dollars as a decimal string; minutes. */
  max_order: number | null;
  max_position: number | null;
  daily_loss: string | null;
  flatten_before_close: number | null;
  confirm_above: number | null;
}

const columns = [
  "id",
  "name",
  "kind",
  "execution",
  "commission",
  "max_order",
  "max_position",
  "daily_loss",
  "flatten_before_close",
  "confirm_above",
] as const;

export type RiskColumns = Pick<
  AccountRow,
  "max_order" | "max_position" | "daily_loss" | "flatten_before_close" | "confirm_above"
>;

/** Sets an account's risk limits (null: off). */
export async function setRiskLimits(db: Db, accountId: number, limits: RiskColumns): Promise<void> {
  await db.updateTable("accounts").set(limits).where("id", "=", accountId).execute();
}

/** A user's account by name; names are unique per user and never change. */
export async function findAccount(db: Db, userId: number, name: string): Promise<AccountRow | undefined> {
  return db
    .selectFrom("accounts")
    .select(columns)
    .where("user_id", "=", userId)
    .where("name", "=", name)
    .executeTakeFirst();
}

export interface AccountFilter {
  /** "regular": live and paper; "replay": only replays' accounts; absent: all. */
  kinds?: "regular" | "replay";
  orderBy?: "id" | "name" | "kind";
}

/** A user's accounts, in the order asked for (by id, the order they were made, without one). */
export async function listAccounts(db: Db, userId: number, filter: AccountFilter = {}): Promise<AccountRow[]> {
  let q = db.selectFrom("accounts").select(columns).where("user_id", "=", userId);
  if (filter.kinds) q = q.where("kind", filter.kinds === "replay" ? "=" : "<>", "replay");
  return q.orderBy(filter.orderBy ?? "id").execute();
}

/** Every account of every user, with its owner: what the engine runs. */
export async function listAllAccounts(db: Db): Promise<(AccountRow & { userId: number })[]> {
  const rows = await db
    .selectFrom("accounts")
    .select([...columns, "user_id"])
    .execute();
  return rows.map(({ user_id, ...r }) => ({ ...r, userId: user_id }));
}

/** The commission of the user's paper account (a replay's account starts with it); "0" without one. */
export async function paperCommission(db: Db, userId: number): Promise<string> {
  const row = await db
    .selectFrom("accounts")
    .select("commission")
    .where("user_id", "=", userId)
    .where("kind", "=", "paper")
    .executeTakeFirst();
  return row?.commission ?? "0";
}

export async function createAccounts(
  db: Db,
  userId: number,
  accounts: readonly { name: string; kind: AccountKind; execution?: "paper" | "webhook"; commission?: string }[],
): Promise<number[]> {
  const rows = await db
    .insertInto("accounts")
    .values(accounts.map((a) => ({ user_id: userId, ...a })))
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

export async function renameAccount(db: Db, accountId: number, name: string): Promise<void> {
  await db.updateTable("accounts").set({ name }).where("id", "=", accountId).execute();
}

/** The execution route and commission (1e-9 dollars) of an account; an absent field stays as it is. */
export async function updateExecution(
  db: Db,
  accountId: number,
  change: { execution?: "paper" | "webhook"; commission?: number },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({
      ...(change.execution ? { execution: change.execution } : {}),
      ...(change.commission !== undefined ? { commission: nanosToDecimal(change.commission) } : {}),
    })
    .where("id", "=", accountId)
    .execute();
}
