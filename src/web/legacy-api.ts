import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "./app-context";
import { findAccount } from "../persistence/repositories/accounts-repo";
import { AppError } from "../shared/app-error";
import { edgeSchema, inputJsonSchema, jsonContent } from "../shared/parse";
import {
  bulkSchema,
  parsePlaceOrder,
  parseSaveTpLevels,
  parseTpLevelPatch,
  saveTpLevelsBodySchema,
  singleOrderSchema,
  tpLevelPatchSchema,
} from "../trading/legacy/schemas";
import { authPlugin, type Auth } from "./auth-plugin";

const accountName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/);

/** Answers, for the API document only (the routes' values are not checked again on the way out). */
const okBody = z.object({ success: z.literal(true), message: z.string() });
const refusedBody = z.object({
  success: z.literal(false),
  message: z.string().describe("names the field; nothing changed"),
});
const orderJson = z.object({
  symbol: z.string(),
  action: z.enum(["buy", "sell"]),
  quantity: z.number().int(),
  entry_price: z.number(),
  timestamp: z.number().int(),
  stop_loss: z.unknown(),
});
const levelJson = z.object({
  enabled: z.boolean(),
  quantity: z.number().int(),
  target: z.number(),
  price: z.number(),
  hit: z.boolean(),
});
const activeOrdersBody = z.object({
  success: z.literal(true),
  active_orders: z.record(z.string(), orderJson),
  tp_levels: z.record(z.string(), z.array(levelJson)),
});
const tpLevelsBody = z.object({ success: z.literal(true), symbol: z.string(), tp_levels: z.array(levelJson) });

const answers = (ok: z.ZodType, description = "`{success: true, message}`", more: Record<number, object> = {}) => ({
  200: { description, content: jsonContent(ok) },
  400: {
    description: "invalid input: `{success: false, message}` naming the field",
    content: jsonContent(refusedBody),
  },
  ...more,
});

/** The bodies, checked as they arrive, by the parsers the service was written with (same refusals, word for word). */
const placeOrderBody = edgeSchema(parsePlaceOrder, () => ({
  oneOf: [inputJsonSchema(singleOrderSchema), inputJsonSchema(bulkSchema)],
}));
const saveTpLevelsBody = edgeSchema(parseSaveTpLevels, () => inputJsonSchema(saveTpLevelsBodySchema));
const tpLevelPatchBody = edgeSchema(parseTpLevelPatch, () => inputJsonSchema(tpLevelPatchSchema));

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
    if (!name.success) throw new AppError(400, "account: not a valid account name");
    const key = `${auth.userId}/${name.data}`;
    const known = accountIds.get(key);
    if (known !== undefined) return known;
    const acc = await findAccount(ctx.db, auth.userId, name.data);
    if (!acc) throw new AppError(404, `account: ${auth.username} has no account named "${name.data}"`);
    if (acc.kind === "replay")
      throw new AppError(
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
        return { success: true, message: await ctx.legacyOrders.place({ actor: auth.actor, accountId }, body) };
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
          responses: answers(okBody),
        },
        body: placeOrderBody,
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
          responses: answers(activeOrdersBody, "`{success, active_orders: {SYM: {...}}, tp_levels: {SYM: [...]}}`"),
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
      { detail: { tags, summary: "Forget a trade and its TP levels (no order is sent)", responses: answers(okBody) } },
    )
    .post(
      "/save_tp_levels/:symbol",
      async ({ auth, request, query, params, body }) => {
        const accountId = await account(auth, request, query);
        return {
          success: true,
          message: await ctx.legacyOrders.saveTpLevels({ actor: auth.actor, accountId }, params.symbol, body.tp_levels),
        };
      },
      {
        detail: {
          tags,
          summary: "Replace the symbol's take-profit levels",
          responses: answers(okBody),
        },
        body: saveTpLevelsBody,
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
          responses: answers(tpLevelsBody, "`{success, symbol, tp_levels}`"),
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
          responses: answers(okBody, undefined, { 404: { description: "index out of range" } }),
        },
        body: tpLevelPatchBody,
      },
    );
}
