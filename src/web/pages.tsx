import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "../app/context";
import { instrumentByRoot, priceDecimals } from "../market-data/instruments/catalogue";
import { recentEvents } from "../persistence/repositories/events-repo";
import { listAccounts } from "../persistence/repositories/orders-repo";
import { OverviewPage, type OverviewAccount } from "../../views/overview";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";

function pageUser(auth: Auth, ctx: AppContext) {
  const feed = ctx.config.FEED === "off" ? { kind: "off" as const, state: "stopped", lastTickAgeMs: null } : ctx.marketData.status();
  return { username: auth.username, csrfToken: auth.kind === "session" ? auth.csrfToken : "", feed };
}

function decimals(symbol: string, value: number): string {
  const inst = instrumentByRoot(symbol);
  return inst ? value.toFixed(priceDecimals(inst)) : String(value);
}

function stopText(stop: unknown): string {
  if (!stop || typeof stop !== "object") return "—";
  const s = stop as Record<string, unknown>;
  const parts = [String(s.type ?? "stop").replace("_", " ")];
  if (typeof s.stopPrice === "number") parts.push(`@ ${s.stopPrice}`);
  if (typeof s.trailAmount === "number") parts.push(`trail ${s.trailAmount}`);
  return parts.join(" ");
}

/** HTML pages; the JSON API is a separate controller over the same services. */
export function pages(ctx: AppContext) {
  return new Elysia({ name: "pages" })
    .use(authPlugin(ctx))
    .get("/", async ({ auth }) => {
      const accounts = await listAccounts(ctx.db, auth.userId);
      const views: OverviewAccount[] = [];
      for (const a of accounts) {
        const { active_orders, tp_levels } = await ctx.legacyOrders.getActiveOrders(a.id);
        views.push({
          name: a.name,
          kind: a.kind,
          orders: Object.values(active_orders).map((o) => ({
            symbol: o.symbol, action: o.action, quantity: o.quantity, entry: decimals(o.symbol, o.entry_price),
            openedAt: new Date(o.timestamp * 1000).toISOString().replace("T", " ").slice(0, 16), stop: stopText(o.stop_loss),
          })),
          levels: Object.entries(tp_levels).flatMap(([symbol, levels]) =>
            levels.map((l, index) => ({ symbol, index, enabled: l.enabled, quantity: l.quantity, target: String(l.target), price: decimals(symbol, l.price), hit: l.hit })),
          ),
        });
      }
      const events = (await recentEvents(ctx.db, auth.userId, 30)).map((e) => ({
        at: e.at.toISOString().replace("T", " ").slice(0, 19), actor: e.actor, symbol: e.symbol ?? "", reason: e.reason,
      }));
      return htmlResponse(<OverviewPage user={pageUser(auth, ctx)} accounts={views} events={events} />);
    }, { detail: { hide: true } });
}

export { pageUser };
