import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { instrumentByRoot, priceDecimals } from "../market-data/instruments/catalogue";
import { unprotected } from "../trading/feed-watch";
import { recentEvents } from "../persistence/repositories/events-repo";
import { listAccounts } from "../persistence/repositories/accounts-repo";
import { PositionsBody, PositionsPage, type PositionsProps } from "../../views/positions";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { ctStamp } from "../shared/format";

function pageUser(auth: Auth, ctx: AppContext) {
  const feed =
    ctx.config.FEED === "off"
      ? { kind: "off" as const, state: "stopped", lastTickAgeMs: null }
      : ctx.marketData.status();
  // The status bar names this user's positions without prices (R7.1); status-bar.js keeps it current.
  const mine = unprotected(ctx.engine.engine, (id) => ctx.engine.account(id)?.userId === auth.userId);
  const keys = mine.keys.map((k) => `${ctx.engine.account(k.accountId)?.name ?? k.accountId}:${k.symbol}`);
  return { username: auth.username, csrfToken: auth.kind === "session" ? auth.csrfToken : "", feed, unprotected: keys };
}

/** HTML pages; the JSON API is a separate controller over the same services. */
export function pages(ctx: AppContext) {
  async function data(auth: Auth): Promise<Omit<PositionsProps, "user">> {
    const accounts = await listAccounts(ctx.db, auth.userId);
    const all = await ctx.trading.positions(auth.userId);
    const days = new Map((await ctx.risk.list(auth.userId)).map((r) => [r.account, r.day]));
    const events = (await recentEvents(ctx.db, auth.userId, 30)).map((e) => ({
      at: ctStamp(e.at),
      actor: e.actor,
      symbol: e.symbol ?? "",
      reason: e.reason,
    }));
    return {
      accounts: accounts
        .filter((a) => a.kind !== "replay")
        .map((a) => ({
          name: a.name,
          kind: a.kind,
          day: days.get(a.name),
          positions: all
            .filter((p) => p.account === a.name)
            .map((p) => {
              const inst = instrumentByRoot(p.symbol)!;
              return { ...p, decimals: priceDecimals(inst), pointValue: Number(inst.pointValue) / 1e9 };
            }),
        })),
      events,
    };
  }
  return new Elysia({ name: "pages" })
    .use(authPlugin(ctx))
    .get("/", async ({ auth }) => htmlResponse(<PositionsPage user={pageUser(auth, ctx)} {...(await data(auth))} />), {
      detail: { hide: true },
    })
    .get("/positions/body", async ({ auth }) => htmlResponse(<PositionsBody {...(await data(auth))} />), {
      detail: { hide: true },
    });
}

export { pageUser };
