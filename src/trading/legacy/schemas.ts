import { z } from "zod";
import { AppError } from "../../shared/app-error";
import { fixedFromNumber } from "../../shared/fixed-point";
import { parse } from "../../shared/parse";

/**
 * The original Flask API's request shapes (see docs in README "Original REST API").
 * Unknown keys are ignored as the original ignored them; every known key is checked.
 */
/**
 * Above this a price is a typo (and beyond what the engine keeps exactly: 1e-9 units in a double).
 * Below one billionth it rounds to 0 on the storage grid.
 */
export const MAX_PRICE = 1_000_000;
const exactlyStored = (n: number) => {
  try {
    return fixedFromNumber(n) > 0n;
  } catch {
    return false;
  }
};
const price = z
  .number({ error: "a number" })
  .finite("a finite number")
  .positive("must be positive")
  .max(MAX_PRICE, `at most ${MAX_PRICE.toLocaleString("en-US")}`)
  .min(1e-9, "at least 0.000000001")
  .refine(exactlyStored, "at most 9 decimals");
const quantity = z.number().int("must be a whole number of contracts").positive().max(10_000);

export const stopLossSchema = z
  .object({
    type: z.enum(["stop", "stop_limit", "trailing_stop"]),
    stopPrice: price.nullish(),
    limitPrice: price.nullish(),
    trailAmount: price.nullish(),
    signalPrice: price.nullish(),
  })
  .refine((s) => s.type !== "trailing_stop" || s.trailAmount != null || s.stopPrice != null, {
    message: "a trailing_stop needs trailAmount or stopPrice",
    path: ["trailAmount"],
  })
  .refine((s) => s.type === "trailing_stop" || s.stopPrice != null, {
    message: "a stop needs stopPrice",
    path: ["stopPrice"],
  })
  .nullish();
export type StopLossInput = z.infer<typeof stopLossSchema>;

/** Unix seconds (the original's int(time.time())) or an ISO-8601 time, e.g. TradingView's {{timenow}}. */
const timestamp = z.union([
  z.number().int().nonnegative().max(4_102_444_800),
  z.iso.datetime({ offset: true }).transform((s) => Math.floor(Date.parse(s) / 1000)),
]);

export const tpLevelSchema = z.object({
  enabled: z.boolean().default(true),
  quantity,
  /** Points from entry, on the profit side. */
  target: price,
  price,
  hit: z.boolean().default(false),
});
export type TpLevelInput = z.infer<typeof tpLevelSchema>;

export const tpLevelsSchema = z.array(tpLevelSchema).max(50, "at most 50 take-profit levels");

export const tpLevelPatchSchema = z
  .object({ enabled: z.boolean(), quantity, target: price, price, hit: z.boolean() })
  .partial()
  .strict();
export type TpLevelPatch = z.infer<typeof tpLevelPatchSchema>;

const symbolKey = z.string().trim().min(1).max(32);

const bulkOrderSchema = z.object({
  action: z.enum(["buy", "sell", "exit"]),
  quantity: quantity.optional(),
  entry_price: price.nullish(),
  timestamp: timestamp.optional(),
  stop_loss: stopLossSchema,
});

export const singleOrderSchema = z
  .object({
    ticker: symbolKey,
    action: z.enum(["buy", "sell", "exit"]),
    orderType: z.enum(["market", "limit", "stop", "stop_limit"]).optional(),
    limitPrice: price.nullish(),
    price: price.nullish(),
    quantity: quantity.optional(),
    entry_price: price.nullish(),
    timestamp: timestamp.optional(),
    stopLoss: stopLossSchema,
    stop_loss: stopLossSchema,
  })
  .refine((o) => o.action === "exit" || o.quantity !== undefined, {
    message: "quantity is required",
    path: ["quantity"],
  });
export type SingleOrderInput = z.infer<typeof singleOrderSchema>;

export const bulkSchema = z
  .object({
    active_orders: z
      .record(symbolKey, bulkOrderSchema)
      .refine((r) => Object.keys(r).length <= 100, "at most 100 symbols"),
    tp_levels: z.record(symbolKey, tpLevelsSchema).optional(),
  })
  .superRefine((b, ctx) => {
    for (const [sym, o] of Object.entries(b.active_orders)) {
      if (o.action !== "exit" && o.quantity === undefined) {
        ctx.addIssue({ code: "custom", message: "quantity is required", path: ["active_orders", sym, "quantity"] });
      }
      if (o.action !== "exit" && o.entry_price == null) {
        ctx.addIssue({
          code: "custom",
          message: "entry_price is required",
          path: ["active_orders", sym, "entry_price"],
        });
      }
    }
  });
export type BulkInput = z.infer<typeof bulkSchema>;

export const saveTpLevelsBodySchema = z.object({ tp_levels: tpLevelsSchema });

/** The first problem, naming the field: "active_orders.MES.quantity: must be a whole number of contracts". */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid request";
  const path = issue.path.map(String).join(".");
  let message = issue.message;
  if (issue.code === "invalid_type" && /received undefined/.test(message)) message = "is required";
  return path ? `${path}: ${message}` : message;
}

/** The two forms of place_order: the bulk form names `active_orders`; anything else is a single order. */
export type PlaceOrderInput = { bulk: BulkInput } | { single: SingleOrderInput };

export function parsePlaceOrder(body: unknown): PlaceOrderInput {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new AppError(400, "body must be a JSON object");
  return "active_orders" in body
    ? { bulk: parse(bulkSchema, body, describeZodError) }
    : { single: parse(singleOrderSchema, body, describeZodError) };
}

/** A level's patch; a PUT without a body changes nothing and is answered as an empty patch would be. */
export const parseTpLevelPatch = (body: unknown): TpLevelPatch =>
  parse(tpLevelPatchSchema, body ?? {}, describeZodError);
export const parseSaveTpLevels = (body: unknown) => parse(saveTpLevelsBodySchema, body, describeZodError);
