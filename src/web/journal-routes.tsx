import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { listAccounts } from "../persistence/repositories/accounts-repo";
import { AppError } from "../shared/app-error";
import { ctMinute } from "../shared/format";
import { fromExchangeTime } from "../market-data/instruments/trading-hours";
import { journalPictures } from "../trading/journal-pictures";
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

/** Midnight on the exchange's clock (CT) starting the day `ymd`, or `plus` days after it. */
function ctMidnight(ymd: string, plus = 0): number {
  const [y, m, d] = ymd.split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d + plus));
  return fromExchangeTime(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), 0);
}

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
        from: filter.from ? ctMidnight(filter.from) : undefined,
        to: filter.to ? ctMidnight(filter.to, 1) : undefined,
      });
    } catch (err) {
      // An unknown symbol or account in the filter shows an empty journal, not an error page.
      if (!(err instanceof AppError)) throw err;
      journal = emptyJournal();
    }
    const pictures = journalPictures(journal.trades);
    journal.trades = journal.trades.map((t) => ({ ...t, closedAt: ctMinute(new Date(t.closedAt)) }));
    const kinds = filter.tag === "replay" ? "replay" : "regular";
    const accounts = (await listAccounts(ctx.db, auth.userId, { kinds, orderBy: "name" })).map((r) => r.name);
    const params = new URLSearchParams(
      Object.entries({ ...filter, format: "csv" }).filter(([, v]) => v !== undefined) as [string, string][],
    );
    if (filter.from) params.set("from", new Date(ctMidnight(filter.from)).toISOString());
    if (filter.to) params.set("to", new Date(ctMidnight(filter.to, 1)).toISOString());
    return { journal, pictures, filter, accounts, csvHref: `/api/v1/journal?${params}` };
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
