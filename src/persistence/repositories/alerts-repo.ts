import type { Kysely, Transaction } from "kysely";
import { decimalToNanos, nanosToDecimal } from "../../shared/price-format";
import type { Database } from "../database";

type Db = Kysely<Database> | Transaction<Database>;

/** A price alert as the app works with it: the price in exact 1e-9 units. */
export interface PriceAlert {
  id: number;
  userId: number;
  symbol: string;
  direction: "above" | "below";
  price: number;
  repeat: boolean;
  armed: boolean;
  firedCount: number;
  firedAt: Date | null;
}

const columns = [
  "id",
  "user_id",
  "symbol",
  "direction",
  "price",
  "repeat",
  "armed",
  "fired_count",
  "fired_at",
] as const;

function fromRow(r: {
  id: number;
  user_id: number;
  symbol: string;
  direction: "above" | "below";
  price: string;
  repeat: boolean;
  armed: boolean;
  fired_count: number;
  fired_at: Date | null;
}): PriceAlert {
  return {
    id: r.id,
    userId: r.user_id,
    symbol: r.symbol,
    direction: r.direction,
    price: decimalToNanos(String(r.price)),
    repeat: r.repeat,
    armed: r.armed,
    firedCount: r.fired_count,
    firedAt: r.fired_at ? new Date(r.fired_at) : null,
  };
}

/** A user's alerts, newest first. */
export async function listAlerts(db: Db, userId: number): Promise<PriceAlert[]> {
  const rows = await db
    .selectFrom("price_alerts")
    .select(columns)
    .where("user_id", "=", userId)
    .orderBy("id", "desc")
    .execute();
  return rows.map(fromRow);
}

/** Every alert that can still fire (armed, or repeating), of every user: what the evaluator watches. */
export async function listLiveAlerts(db: Db): Promise<PriceAlert[]> {
  const rows = await db
    .selectFrom("price_alerts")
    .select(columns)
    .where((eb) => eb.or([eb("armed", "=", true), eb("repeat", "=", true)]))
    .execute();
  return rows.map(fromRow);
}

export async function createAlert(
  db: Db,
  a: { userId: number; symbol: string; direction: "above" | "below"; price: number; repeat: boolean },
): Promise<PriceAlert> {
  const row = await db
    .insertInto("price_alerts")
    .values({
      user_id: a.userId,
      symbol: a.symbol,
      direction: a.direction,
      price: nanosToDecimal(a.price),
      repeat: a.repeat,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

/** Removes one of the user's alerts; false when it is not theirs or not there. */
export async function deleteAlert(db: Db, userId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom("price_alerts").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** An alert fired (or, repeating, was armed again). */
export async function updateAlertState(db: Db, id: number, armed: boolean, fired?: Date): Promise<void> {
  let q = db.updateTable("price_alerts").set({ armed }).where("id", "=", id);
  if (fired) q = q.set((eb) => ({ fired_at: fired, fired_count: eb("fired_count", "+", 1) }));
  await q.execute();
}
