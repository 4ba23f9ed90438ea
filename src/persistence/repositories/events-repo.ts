import type { Kysely } from "kysely";
import type { Database } from "../database";

export interface EventRow {
  id: string;
  at: Date;
  actor: string;
  actorKind: string;
  accountId: number | null;
  symbol: string | null;
  kind: string;
  reason: string;
}

/** Newest first: the activity of a user's accounts and of the user (only these `kinds`, when given). */
export async function recentEvents(
  db: Kysely<Database>,
  userId: number,
  limit = 50,
  kinds?: readonly string[],
): Promise<EventRow[]> {
  let q = db
    .selectFrom("events")
    .leftJoin("accounts", "accounts.id", "events.account_id")
    .select([
      "events.id",
      "events.at",
      "events.actor",
      "events.actor_kind",
      "events.account_id",
      "events.symbol",
      "events.kind",
      "events.reason",
    ])
    .where((eb) =>
      eb.or([
        eb("accounts.user_id", "=", userId),
        eb.and([eb("events.account_id", "is", null), eb("events.user_id", "=", userId)]),
      ]),
    );
  if (kinds?.length) q = q.where("events.kind", "in", kinds);
  const rows = await q.orderBy("events.id", "desc").limit(limit).execute();
  return rows.map((r) => ({
    id: String(r.id),
    at: new Date(r.at),
    actor: r.actor,
    actorKind: r.actor_kind,
    accountId: r.account_id,
    symbol: r.symbol,
    kind: r.kind,
    reason: r.reason,
  }));
}
