import type { Kysely, Transaction } from "kysely";
import type { Actor } from "../trading/engine/types";
import type { Database } from "./database";

/** The engine owns who-did-what; the log stores it. */
export type { Actor };

export interface NewEvent {
  actor: Actor;
  kind: string;
  /** Plain words a trader can read in the log: "TP2 filled 2 @ 5012.25". */
  reason: string;
  accountId?: number | null;
  symbol?: string | null;
  data?: Record<string, unknown>;
}

/** Called inside the same transaction as the change it describes. */
export async function appendEvent(trx: Transaction<Database> | Kysely<Database>, e: NewEvent): Promise<void> {
  await trx
    .insertInto("events")
    .values({
      actor_kind: e.actor.kind,
      actor: e.actor.label.slice(0, 200),
      user_id: e.actor.userId,
      account_id: e.accountId ?? null,
      symbol: e.symbol ?? null,
      kind: e.kind,
      reason: e.reason,
      data: JSON.stringify(e.data ?? {}, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    })
    .execute();
}

export const systemActor: Actor = { kind: "system", label: "system", userId: null };
