import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "../app/context";
import { findAccount } from "../persistence/repositories/accounts-repo";
import { ServiceError } from "../trading/service-error";
import { bulkSchema, saveTpLevelsBodySchema, singleOrderSchema, tpLevelPatchSchema } from "../trading/legacy/schemas";
import { authPlugin, type Auth } from "./auth-plugin";

const accountName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/);

function jsonBody(schema: z.ZodType, description: string) {
  return {
    description,
    content: {
      "application/json": {
        schema: z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
      },
    },
  };
}

const ok = { description: "`{success: true, message}`" };
const tags = ["Original API"];

/**
 * The original Flask server's routes, byte-compatible in their JSON, now authenticated and
 * acting on one account: `?account=<name>` or the `X-Account` header, else LEGACY_API_ACCOUNT.
 */
export function legacyApi(ctx: AppContext) {
  // Account ids never change for a (user, name), so they are looked up once.
  const accountIds = new Map<string, number>();
  async function account(auth: Auth, request: Request, query: Record<string, unknown>): Promise<number> {
    const requested =
      (typeof query.account === "string" ? query.account : null) ??
      request.headers.get("x-account") ??
      ctx.config.LEGACY_API_ACCOUNT;
    const name = accountName.safeParse(requested);
    if (!name.success) throw new ServiceError(400, "account: not a valid account name");
    const key = `${auth.userId}/${name.data}`;
    const known = accountIds.get(key);
    if (known !== undefined) return known;
    const acc = await findAccount(ctx.db, auth.userId, name.data);
    if (!acc) throw new ServiceError(404, `account: ${auth.username} has no account named "${name.data}"`);
    if (acc.kind === "replay")
      throw new ServiceError(
        409,
        `account: "${name.data}" is a replay's account; the original API acts on live and paper accounts`,
      );
    accountIds.set(key, acc.id);
    return acc.id;
  }

  return new Elysia({ name: "legacy-api", prefix: "/api" })
    .use(authPlugin(ctx))
    .post(
      "/place_order",
      async ({ auth, request, query, body }) => {
        const accountId = await account(auth, request, query);
        return { success: true, message: await ctx.legacyOrders.placeOrder({ actor: auth.actor, accountId }, body) };
      },
      {
        detail: {
          tags,
          summary: "Place an order, or sync the whole state (bulk form)",
          description:
            "Single form `{ticker, action: buy|sell|exit, quantity, entry_price|limitPrice, stopLoss?, timestamp?}`: " +
            "a buy/sell opens, adds to (average entry) or nets against the open trade; exit with a quantity below the position reduces it. " +
            "Bulk form `{active_orders: {SYM: {...}}, tp_levels?: {SYM: [...]}}` sets the state of each named symbol, all or nothing. " +
            "Tickers may be `MES`, `MES1!`, `MESZ5`, `MESZ2025` or `MES.c.0`. Prices must be on the instrument's tick grid.",
          requestBody: {
            description: "single or bulk form",
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    jsonBody(singleOrderSchema, "").content["application/json"].schema,
                    jsonBody(bulkSchema, "").content["application/json"].schema,
                  ],
                },
              },
            },
          },
          responses: {
            200: ok,
            400: { description: "invalid input: `{success: false, message}` naming the field; nothing changed" },
          },
        },
      },
    )
    .get(
      "/get_active_orders",
      async ({ auth, request, query }) => {
        const accountId = await account(auth, request, query);
        return { success: true, ...(await ctx.legacyOrders.getActiveOrders(accountId)) };
      },
      {
        detail: {
          tags,
          summary: "Open trades and take-profit levels of the account",
          responses: { 200: { description: "`{success, active_orders: {SYM: {...}}, tp_levels: {SYM: [...]}}`" } },
        },
      },
    )
    .post(
      "/clear_trade/:ticker",
      async ({ auth, request, query, params }) => {
        const accountId = await account(auth, request, query);
        return {
          success: true,
          message: await ctx.legacyOrders.clearTrade({ actor: auth.actor, accountId }, params.ticker),
        };
      },
      { detail: { tags, summary: "Forget a trade and its TP levels (no order is sent)", responses: { 200: ok } } },
    )
    .post(
      "/save_tp_levels/:symbol",
      async ({ auth, request, query, params, body }) => {
        const accountId = await account(auth, request, query);
        return {
          success: true,
          message: await ctx.legacyOrders.saveTpLevels({ actor: auth.actor, accountId }, params.symbol, body),
        };
      },
      {
        detail: {
          tags,
          summary: "Replace the symbol's take-profit levels",
          requestBody: jsonBody(saveTpLevelsBodySchema, "`{tp_levels: [{enabled, quantity, target, price, hit}]}`"),
          responses: { 200: ok },
        },
      },
    )
    .get(
      "/get_tp_levels/:symbol",
      async ({ auth, request, query, params }) => {
        const accountId = await account(auth, request, query);
        return { success: true, ...(await ctx.legacyOrders.getTpLevels(accountId, params.symbol)) };
      },
      {
        detail: {
          tags,
          summary: "Take-profit levels of one symbol, nearest target first",
          responses: { 200: { description: "`{success, symbol, tp_levels}`" } },
        },
      },
    )
    .put(
      "/save_tp_level/:symbol/:index",
      async ({ auth, request, query, params, body }) => {
        const accountId = await account(auth, request, query);
        return {
          success: true,
          message: await ctx.legacyOrders.updateTpLevel(
            { actor: auth.actor, accountId },
            params.symbol,
            params.index,
            body,
          ),
        };
      },
      {
        detail: {
          tags,
          summary: "Change one level (index in nearest-target-first order)",
          requestBody: jsonBody(tpLevelPatchSchema, "any of enabled, quantity, target, price, hit"),
          responses: { 200: ok, 404: { description: "index out of range" } },
        },
      },
    );
}
