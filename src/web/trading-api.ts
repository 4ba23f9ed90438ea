import { AppError } from "../shared/app-error";
import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "./app-context";
import { journalCsv } from "../trading/trade-journal";
import type { Caller } from "../trading/trading-service";
import { authPlugin, type Auth } from "./auth-plugin";
import { parseQuery, timeParam, wholeNumber } from "./params";
import { listAccounts } from "../persistence/repositories/accounts-repo";

const tags = ["Trading"];
function caller(auth: Auth, request?: Request): Caller {
  const key = request?.headers.get("idempotency-key") ?? undefined;
  if (key !== undefined && !/^[\x21-\x7e]{1,100}$/.test(key))
    throw new AppError(400, "Idempotency-Key: 1 to 100 visible ASCII characters");
  return { actor: auth.actor, userId: auth.userId, idempotencyKey: key };
}
const name = z.string().trim().min(1, "must not be empty").max(64, "at most 64 characters");
const eventsQuery = z.object({ symbol: name.optional(), limit: wholeNumber(1, 1000).default(100) });
const journalQuery = z.object({
  account: name.optional(),
  symbol: name.optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  tag: z.string().optional(),
  format: z.enum(["json", "csv"], { error: "json or csv" }).optional(),
});

/**
 * The versioned JSON API over the trading engine. Every edit of a position may carry the
 * `version` it was based on; a stale one is answered 409 with the current state.
 */
export function tradingApi(ctx: AppContext) {
  const t = ctx.trading;
  const pos = "/accounts/:account/positions/:symbol";
  return new Elysia({ name: "trading-api", prefix: "/api/v1" })
    .use(authPlugin(ctx))
    .get(
      "/accounts",
      async ({ auth }) => {
        const rows = await listAccounts(ctx.db, auth.userId, { orderBy: "name" });
        const hooks = new Map((await ctx.secrets.list("webhook")).map((s) => [s.name, s.masked]));
        return {
          accounts: rows.map((r) => ({
            name: r.name,
            kind: r.kind,
            execution: r.kind === "live" ? r.execution : "paper",
            commissionPerContract: Number(r.commission),
            // Write-only: only a masked hint of the URL ever leaves the server.
            webhook: hooks.get(`account:${r.id}`) ?? null,
          })),
        };
      },
      { detail: { tags, summary: "The caller's accounts, their kind, execution route and (masked) webhook" } },
    )
    .put(
      "/accounts/:account/execution",
      async ({ auth, params, body, request }) => {
        await t.setExecution(caller(auth, request), params.account, body, ctx.secrets);
        return { success: true };
      },
      {
        detail: {
          tags,
          summary: "Execution route, webhook URL (write-only) and commission of an account",
          description:
            "`{route?: paper|webhook, webhookUrl?: string|null, commission?: number}`; a webhook only for a live account.",
        },
      },
    )
    .get(
      "/positions",
      async ({ auth, query }) => ({
        positions: await t.positions(auth.userId, parseQuery(z.object({ account: name.optional() }), query).account),
      }),
      {
        detail: {
          tags,
          summary: "Open positions of every account (or ?account=) with ladder, stop, timer and live P&L",
        },
      },
    )
    .get(
      pos,
      async ({ auth, params }) => ({
        position: t.view(await t.accountId(auth.userId, params.account), t.symbol(params.symbol)),
      }),
      { detail: { tags, summary: "One position (null when flat and never traded)" } },
    )
    .post(
      `${pos}/orders`,
      async ({ auth, params, body, request }) => ({
        position: await t.order(
          caller(auth, request),
          params.account,
          params.symbol,
          body,
          (await ctx.settings.prefs(auth.userId)).value.atr,
        ),
      }),
      {
        detail: {
          tags,
          summary: "Buy or sell (market or limit), optionally with a bracket: ladder, stop, timer",
          description:
            "`{side, qty, type?, limitPrice?, bracket?: {ladder?, stop?, timer?}}`. Against an open position of the other side it reduces first, then reverses.",
        },
      },
    )
    .post(
      `${pos}/record`,
      async ({ auth, params, body, request }) => ({
        position: await t.record(caller(auth, request), params.account, params.symbol, body),
      }),
      { detail: { tags, summary: "Record a position by hand (no order is sent)" } },
    )
    .post(
      `${pos}/exit`,
      async ({ auth, params, body, request }) => ({
        position: await t.exit(caller(auth, request), params.account, params.symbol, body),
      }),
      { detail: { tags, summary: "Exit all, or `{qty}` contracts (partial take profit)" } },
    )
    .delete(
      pos,
      async ({ auth, params, body, request }) => ({
        position: await t.clear(caller(auth, request), params.account, params.symbol, body),
      }),
      { detail: { tags, summary: "Clear the trade: forget it without sending an order" } },
    )
    .put(
      `${pos}/ladder`,
      async ({ auth, params, body, request }) => ({
        position: await t.setLadder(caller(auth, request), params.account, params.symbol, body),
      }),
      {
        detail: {
          tags,
          summary: "Replace the take-profit ladder",
          description: "`{levels: [{enabled, qty, target: {unit: points|ticks|price, value}}], version?}`",
        },
      },
    )
    .patch(
      `${pos}/ladder/:index`,
      async ({ auth, params, body, request }) => ({
        position: await t.updateLevel(caller(auth, request), params.account, params.symbol, params.index, body),
      }),
      { detail: { tags, summary: "Change one level (0-based, nearest target first)" } },
    )
    .put(
      `${pos}/stop`,
      async ({ auth, params, body, request }) => ({
        position: await t.setStop(
          caller(auth, request),
          params.account,
          params.symbol,
          body,
          (await ctx.settings.prefs(auth.userId)).value.atr,
        ),
      }),
      {
        detail: {
          tags,
          summary: "Set or remove the stop",
          description:
            "`{stop: {kind: fixed|stop-limit|trailing, initial: {unit: points|ticks|price, value} | {unit: atr, multiplier}, limitOffsetTicks?, trailBy?, trailAfterTp1?, breakevenAfterTp1?: {offsetTicks, thenTrail}} | null, version?}`",
        },
      },
    )
    .post(
      `${pos}/stop/market`,
      async ({ auth, params, body, request }) => ({
        position: await t.convertToMarket(caller(auth, request), params.account, params.symbol, body),
      }),
      { detail: { tags, summary: "Convert a resting stop-limit exit (its limit passed) to a market order" } },
    )
    .post(
      `${pos}/stop/move`,
      async ({ auth, params, body, request }) => ({
        position: await t.moveStop(caller(auth, request), params.account, params.symbol, body),
      }),
      { detail: { tags, summary: "Move the armed stop to `{price}` (dragging the chart line does this)" } },
    )
    .put(
      `${pos}/timer`,
      async ({ auth, params, body, request }) => ({
        position: await t.setTimer(caller(auth, request), params.account, params.symbol, body),
      }),
      {
        detail: {
          tags,
          summary: "Set or cancel the trade timer",
          description:
            "`{timer: {seconds, action: hold|exit|reverse|breakeven, mode: unless-profit|regardless} | null}`",
        },
      },
    )
    .get(
      "/accounts/:account/events",
      async ({ auth, params, query }) => {
        const q = parseQuery(eventsQuery, query);
        return { events: await t.events(auth.userId, params.account, q.symbol, q.limit) };
      },
      {
        detail: { tags, summary: "The account's audit trail, newest first (every change, who and why)" },
      },
    )
    .get(
      "/journal",
      async ({ auth, query, set }) => {
        const q = parseQuery(journalQuery, query);
        const j = await t.journal(auth.userId, {
          account: q.account,
          symbol: q.symbol,
          from: q.from,
          to: q.to,
          tag: q.tag === "replay" ? "replay" : undefined,
        });
        if (q.format === "csv") {
          set.headers["content-type"] = "text/csv; charset=utf-8";
          set.headers["content-disposition"] = 'attachment; filename="journal.csv"';
          return journalCsv(j.trades);
        }
        return j;
      },
      {
        detail: {
          tags,
          summary:
            "Closed trades with exit reasons and P&L, summary statistics; `format=csv` to export; `tag=replay` for practice trades (otherwise left out)",
        },
      },
    )
    .get("/sizing", ({ query }) => t.sizing(query), {
      detail: { tags, summary: "Contracts for a dollar risk and stop distance, as a mini/micro mix" },
    });
}
