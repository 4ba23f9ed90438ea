import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { journalCsv } from "../trading/trade-journal";
import type { Caller } from "../trading/trading-service";
import { authPlugin, type Auth } from "./auth-plugin";
import { listAccounts } from "../persistence/repositories/accounts-repo";
import { answers } from "./api-model";
import {
  accountsAnswer,
  bodies,
  changed,
  idempotencyKey,
  levelParams,
  okAnswer,
  positionsAnswer,
  queries,
  writeHeaders,
} from "./trading-api-model";

const tags = ["Trading"];
/** A change of a position: its body checked at the route, the position after it the answer. */
const change = <B>(summary: string, body: B, description?: string) => ({
  detail: { tags, summary, description, responses: changed },
  headers: writeHeaders,
  body,
});
export function caller(auth: Auth, request?: Request): Caller {
  return {
    actor: auth.actor,
    userId: auth.userId,
    idempotencyKey: idempotencyKey(request?.headers.get("idempotency-key")),
  };
}

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
      {
        detail: {
          tags,
          summary: "The caller's accounts, their kind, execution route and (masked) webhook",
          responses: answers(accountsAnswer, "`{accounts}`"),
        },
      },
    )
    .put(
      "/accounts/:account/execution",
      async ({ auth, params, body, request }) => {
        await t.setExecutionParsed(caller(auth, request), params.account, body, ctx.secrets);
        return { success: true };
      },
      {
        detail: {
          tags,
          summary: "Execution route, webhook URL (write-only) and commission of an account",
          description: "A webhook only for a live account.",
          responses: answers(okAnswer, "`{success: true}`", { 404: "no such account" }),
        },
        headers: writeHeaders,
        body: bodies.execution,
      },
    )
    .get(
      "/positions",
      async ({ auth, query }) => ({
        positions: await t.positions(auth.userId, query.account),
      }),
      {
        detail: {
          tags,
          summary: "Open positions of every account (or ?account=) with ladder, stop, timer and live P&L",
          responses: answers(positionsAnswer, "`{positions}`", { 404: "no such account" }),
        },
        query: queries.positions,
      },
    )
    .get(
      pos,
      async ({ auth, params }) => ({
        position: t.view(await t.accountId(auth.userId, params.account), t.symbol(params.symbol)),
      }),
      { detail: { tags, summary: "One position (null when flat and never traded)", responses: changed } },
    )
    .post(
      `${pos}/orders`,
      async ({ auth, params, body, request }) => ({
        position: await t.orderParsed(
          caller(auth, request),
          params.account,
          params.symbol,
          body,
          (await ctx.settings.prefs(auth.userId)).value.atr,
        ),
      }),
      change(
        "Buy or sell (market or limit), optionally with a bracket: ladder, stop, timer",
        bodies.order,
        "Against an open position of the other side it reduces first, then reverses.",
      ),
    )
    .delete(
      `${pos}/orders/:order`,
      async ({ auth, params, request }) => ({
        position: await t.cancelOrder(caller(auth, request), params.account, params.symbol, params.order),
      }),
      {
        detail: {
          tags,
          summary:
            "Cancel a resting entry order (a limit not reached) by the `orderId` its position lists under `working`",
          description: "Take-profit, stop and timer orders belong to their rules: change those instead (409).",
          responses: changed,
        },
        headers: writeHeaders,
      },
    )
    .post(
      `${pos}/record`,
      async ({ auth, params, body, request }) => ({
        position: await t.recordParsed(caller(auth, request), params.account, params.symbol, body),
      }),
      change("Record a position by hand (no order is sent)", bodies.record),
    )
    .post(
      `${pos}/exit`,
      async ({ auth, params, body, request }) => ({
        position: await t.exitParsed(caller(auth, request), params.account, params.symbol, body),
      }),
      change("Exit all, or `{qty}` contracts (partial take profit)", bodies.exit),
    )
    .delete(
      pos,
      async ({ auth, params, body, request }) => ({
        position: await t.clearParsed(caller(auth, request), params.account, params.symbol, body),
      }),
      change("Clear the trade: forget it without sending an order", bodies.version),
    )
    .put(
      `${pos}/ladder`,
      async ({ auth, params, body, request }) => ({
        position: await t.setLadderParsed(
          caller(auth, request),
          params.account,
          params.symbol,
          body.levels,
          body.version,
        ),
      }),
      change("Replace the take-profit ladder", bodies.ladder),
    )
    .patch(
      `${pos}/ladder/:index`,
      async ({ auth, params, body, request }) => ({
        position: await t.updateLevelParsed(caller(auth, request), params.account, params.symbol, params.index, body),
      }),
      { ...change("Change one level (0-based, nearest target first)", bodies.levelPatch), params: levelParams },
    )
    .put(
      `${pos}/stop`,
      async ({ auth, params, body, request }) => ({
        position: await t.setStopParsed(
          caller(auth, request),
          params.account,
          params.symbol,
          body.stop,
          body.version,
          (await ctx.settings.prefs(auth.userId)).value.atr,
        ),
      }),
      change("Set or remove the stop (`stop: null`)", bodies.stop),
    )
    .post(
      `${pos}/stop/market`,
      async ({ auth, params, body, request }) => ({
        position: await t.convertToMarketParsed(caller(auth, request), params.account, params.symbol, body),
      }),
      change("Convert a resting stop-limit exit (its limit passed) to a market order", bodies.version),
    )
    .post(
      `${pos}/stop/move`,
      async ({ auth, params, body, request }) => ({
        position: await t.moveStopParsed(caller(auth, request), params.account, params.symbol, body),
      }),
      change("Move the armed stop to `{price}` (dragging the chart line does this)", bodies.moveStop),
    )
    .put(
      `${pos}/timer`,
      async ({ auth, params, body, request }) => ({
        position: await t.setTimerParsed(
          caller(auth, request),
          params.account,
          params.symbol,
          body.timer,
          body.version,
        ),
      }),
      change("Set or cancel the trade timer (`timer: null`)", bodies.timer),
    )
    .get(
      "/accounts/:account/events",
      async ({ auth, params, query }) => ({
        events: await t.events(auth.userId, params.account, query.symbol, query.limit),
      }),
      {
        detail: { tags, summary: "The account's audit trail, newest first (every change, who and why)" },
        query: queries.events,
      },
    )
    .get(
      "/journal",
      async ({ auth, query: q, set }) => {
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
        query: queries.journal,
      },
    )
    .get("/sizing", ({ query }) => t.sizingParsed(query), {
      detail: { tags, summary: "Contracts for a dollar risk and stop distance, as a mini/micro mix" },
      query: queries.sizing,
    });
}
