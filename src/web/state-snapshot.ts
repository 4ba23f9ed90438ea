import { sql } from "kysely";
import type { AppContext } from "./app-context";

/**
 * For tests: a fingerprint of everything a request could change — every table (columns that
 * mere reading touches, like last_seen_at, left out) and the engine's positions in memory.
 * Equal before and after a refused request means the refusal changed nothing.
 */
const TABLES = [
  "select id, username, is_admin from users",
  "select * from accounts",
  "select id_hash, user_id, expires_at from sessions",
  "select id, user_id, name, token_hash, revoked_at from api_tokens",
  "select * from orders",
  "select * from take_profit_levels",
  "select * from secrets",
  // Append-only: its size and newest id say whether anything was written (and stay cheap as it grows).
  // A refusal's own record (a risk limit's `risk.refused`) is the one row a refusal writes, on purpose.
  "select count(*) as n, max(id) as last from events where kind <> 'risk.refused'",
  "select * from engine_positions",
  "select account_id, state from engine_account_days",
  "select * from price_alerts",
  "select * from engine_orders",
  "select * from closed_trades",
  "select * from user_settings",
  "select * from replay_files",
  "select * from replay_sessions",
];

const fingerprint = sql.raw(
  `select ${TABLES.map((q, i) => `(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from (${q}) t) as t${i}`).join(", ")}`,
);

export async function stateSnapshot(ctx: AppContext): Promise<string> {
  await ctx.engine.settled();
  const row = (await fingerprint.execute(ctx.db)).rows[0] as Record<string, string>;
  const positions = JSON.stringify(ctx.engine.engine.allPositions(), (_k, v) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  return JSON.stringify({ ...row, positions: Bun.hash(positions).toString(36) });
}
