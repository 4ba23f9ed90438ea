import type { Kysely } from "kysely";
import type { Database } from "../persistence/database";
import { ctStamp } from "../shared/format";
import { fromJson } from "../persistence/repositories/engine-repo";
import { closesContracts } from "./engine/positions";
import type { Fill } from "./engine/types";
import { exitCause } from "./exit-causes";

export interface JournalFilter {
  account?: string;
  symbol?: string;
  from?: number;
  to?: number;
  tag?: string;
}

const cents = (n: number) => Math.round(n * 100) / 100;

/** Closed trades of a user's accounts, newest first, with their summary; `symbol` is a root already. */
export async function readJournal(db: Kysely<Database>, userId: number, filter: JournalFilter) {
  let q = db
    .selectFrom("closed_trades as t")
    .innerJoin("accounts as a", "a.id", "t.account_id")
    .select([
      "t.trade_id",
      "a.name as account",
      "t.symbol",
      "t.side",
      "t.qty",
      "t.entry",
      "t.exit",
      "t.opened_at",
      "t.closed_at",
      "t.realized",
      "t.commissions",
      "t.exit_reasons",
      "t.fills",
      "t.tags",
    ])
    .where("a.user_id", "=", userId);
  if (filter.account) q = q.where("a.name", "=", filter.account);
  // Practice stays apart from real results: replay trades only when asked for.
  q =
    filter.tag === "replay" ? q.where("a.kind", "=", "replay") : filter.account ? q : q.where("a.kind", "<>", "replay");
  if (filter.symbol) q = q.where("t.symbol", "=", filter.symbol);
  if (filter.from !== undefined) q = q.where("t.closed_at", ">=", new Date(filter.from));
  if (filter.to !== undefined) q = q.where("t.closed_at", "<", new Date(filter.to));
  const rows = await q.orderBy("t.closed_at", "desc").limit(10_000).execute();
  const trades = rows.map((r) => ({
    tradeId: r.trade_id,
    account: r.account,
    symbol: r.symbol,
    side: r.side,
    qty: r.qty,
    entry: Number(r.entry),
    exit: Number(r.exit),
    openedAt: new Date(r.opened_at).toISOString(),
    closedAt: new Date(r.closed_at).toISOString(),
    realized: cents(Number(r.realized)),
    commissions: cents(Number(r.commissions)),
    net: cents(Number(r.realized) - Number(r.commissions)),
    exitReasons: (typeof r.exit_reasons === "string" ? JSON.parse(r.exit_reasons) : r.exit_reasons) as string[],
    cause: closingCause(r.fills),
    tags: r.tags,
  }));
  return { trades, summary: summarize(trades) };
}

export type Journal = Awaited<ReturnType<typeof readJournal>>;
export type JournalTrade = Journal["trades"][number];

/** A journal with no trades (a filter naming an unknown account or symbol shows this). */
export const emptyJournal = (): Journal => ({ trades: [], summary: summarize([]) });

function summarize(trades: readonly { net: number }[]) {
  const wins = trades.filter((t) => t.net > 0);
  const losses = trades.filter((t) => t.net < 0);
  const sum = (xs: readonly { net: number }[]) => cents(xs.reduce((n, t) => n + t.net, 0));
  return {
    trades: trades.length,
    wins: wins.length,
    losses: losses.length,
    winRate: trades.length ? Math.round((wins.length / trades.length) * 1000) / 10 : null,
    net: sum(trades),
    grossWin: sum(wins),
    grossLoss: sum(losses),
    profitFactor: losses.length && sum(losses) !== 0 ? cents(sum(wins) / -sum(losses)) : null,
    avgWin: wins.length ? cents(sum(wins) / wins.length) : null,
    avgLoss: losses.length ? cents(sum(losses) / losses.length) : null,
  };
}

/** The newest events of an account (of one symbol, a root already), as the API lists them. */
export async function readEvents(db: Kysely<Database>, accountId: number, symbol: string | undefined, limit: number) {
  let q = db
    .selectFrom("events")
    .select(["id", "at", "kind", "actor", "reason", "symbol", "trade_id", "data"])
    .where("account_id", "=", accountId);
  if (symbol) q = q.where("symbol", "=", symbol);
  const rows = await q
    .orderBy("id", "desc")
    .limit(Math.min(Math.max(1, limit), 1000))
    .execute();
  return rows.map((r) => {
    // The engine's own time of the event: replay time in a replay, else (nearly) `at`.
    const data = (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as { ts?: number } | null;
    const ts = typeof data?.ts === "number" ? new Date(data.ts).toISOString() : undefined;
    return {
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      ...(ts ? { ts } : {}),
      kind: r.kind,
      actor: r.actor,
      symbol: r.symbol,
      tradeId: r.trade_id,
      reason: r.reason,
    };
  });
}

/** What closed the trade: the cause of its last fill that closed contracts ("take profit", "stop", …). */
function closingCause(fills: unknown): string {
  const list = fromJson<Fill[]>(fills) ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (closesContracts(list[i]!)) return exitCause(list[i]!.purpose);
  return "other";
}

/** Times in UTC (ISO 8601) and, after them, on the exchange's clock (CT), as the pages show them. */
export const JOURNAL_CSV_HEADER =
  "trade_id,account,symbol,side,qty,entry,exit,opened_at,closed_at,realized,commissions,net,exit_reasons,tags,opened_at_ct,closed_at_ct";

export function journalCsv(trades: readonly JournalTrade[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const line = (t: JournalTrade) =>
    [
      t.tradeId,
      t.account,
      t.symbol,
      t.side,
      t.qty,
      t.entry,
      t.exit,
      t.openedAt,
      t.closedAt,
      t.realized.toFixed(2),
      t.commissions.toFixed(2),
      t.net.toFixed(2),
      q(t.exitReasons.join(" | ")),
      q(t.tags.join(" ")),
      ctStamp(Date.parse(t.openedAt)),
      ctStamp(Date.parse(t.closedAt)),
    ].join(",");
  return [JOURNAL_CSV_HEADER, ...trades.map(line)].join("\n") + "\n";
}
