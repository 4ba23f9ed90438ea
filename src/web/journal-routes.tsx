import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { listAccounts } from "../persistence/repositories/accounts-repo";
import { AppError } from "../shared/app-error";
import { ctMinute } from "../shared/format";
import { emptyJournal, type Journal } from "../trading/trade-journal";
import { JournalBody, JournalPage } from "../../views/journal";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { pageUser } from "./pages";
import { isDay } from "./params";

/** The filter form's dates: empty is no filter, anything else must be a real day. */
function day(v: unknown, field: string): string | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "string" && isDay(v)) return v;
  throw new AppError(400, `${field}: a date written YYYY-MM-DD`);
}
const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);

/** The journal of closed trades: filters, summary, exit reasons, CSV export. */
export function journalRoutes(ctx: AppContext) {
  async function data(auth: Auth, q: Record<string, unknown>) {
    const filter = {
      account: text(q.account),
      symbol: text(q.symbol),
      from: day(q.from, "from"),
      to: day(q.to, "to"),
      tag: q.tag === "replay" ? "replay" : undefined,
    };
    let journal: Journal;
    try {
      journal = await ctx.trading.journal(auth.userId, {
        account: filter.account,
        symbol: filter.symbol,
        tag: filter.tag,
        from: filter.from ? Date.parse(`${filter.from}T00:00:00Z`) : undefined,
        to: filter.to ? Date.parse(`${filter.to}T00:00:00Z`) + 86_400_000 : undefined,
      });
    } catch (err) {
      // An unknown symbol or account in the filter shows an empty journal, not an error page.
      if (!(err instanceof AppError)) throw err;
      journal = emptyJournal();
    }
    journal.trades = journal.trades.map((t) => ({ ...t, closedAt: ctMinute(new Date(t.closedAt)) }));
    const kinds = filter.tag === "replay" ? "replay" : "regular";
    const accounts = (await listAccounts(ctx.db, auth.userId, { kinds, orderBy: "name" })).map((r) => r.name);
    const params = new URLSearchParams(
      Object.entries({ ...filter, format: "csv" }).filter(([, v]) => v !== undefined) as [string, string][],
    );
    if (filter.from) params.set("from", `${filter.from}T00:00:00Z`);
    if (filter.to) params.set("to", new Date(Date.parse(`${filter.to}T00:00:00Z`) + 86_400_000).toISOString());
    return { journal, filter, accounts, csvHref: `/api/v1/journal?${params}` };
  }
  return new Elysia({ name: "journal" })
    .use(authPlugin(ctx))
    .get(
      "/journal",
      async ({ auth, query }) =>
        htmlResponse(<JournalPage user={pageUser(auth, ctx)} {...(await data(auth, query))} />),
      { detail: { hide: true } },
    )
    .get("/journal/body", async ({ auth, query }) => htmlResponse(<JournalBody {...(await data(auth, query))} />), {
      detail: { hide: true },
    });
}
