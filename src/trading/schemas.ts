import { z } from "zod";
import { fixedFromNumber, parseFixed } from "../shared/fixed-point";

/**
 * Request bodies of the trading API (JSON and the pages' forms alike). Prices and distances may
 * be JSON numbers or decimal strings; both become exact integers of 1e-9 here, never floats.
 */
const MAX_UNITS = 1_000_000n * 1_000_000_000n;
const exact = z
  .union([
    z.number().finite(),
    z
      .string()
      .trim()
      .regex(/^-?\d+(\.\d{1,9})?$/, "a decimal number"),
  ])
  .transform((v, ctx) => {
    try {
      const n = typeof v === "number" ? fixedFromNumber(v) : parseFixed(v);
      // The engine keeps 1e-9 units in doubles: beyond a million they would no longer be exact.
      if (n > MAX_UNITS || n < -MAX_UNITS) throw new Error("at most 1,000,000");
      return Number(n);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });
export const positive = exact.refine((n) => n > 0, "must be positive");
/**
 * A whole number typed as digits: "1e2", "2.0" or "0x10" are refused, not read as a number
 * (a fat finger must not become 100 contracts).
 */
export const wholeCount = (unit: string, min: number, max: number) =>
  z
    .union([z.number(), z.string().trim().regex(/^\d+$/, `a whole number of ${unit}`)])
    .transform(Number)
    .pipe(
      z
        .number()
        .int(`a whole number of ${unit}`)
        .min(min, `at least ${min.toLocaleString("en-US")}`)
        .max(max, `at most ${max.toLocaleString("en-US")} ${unit}`),
    );
const qty = wholeCount("contracts", 1, 10_000);
export const version = z.coerce.number().int().min(0).optional();

export const targetSchema = z.discriminatedUnion("unit", [
  z.object({ unit: z.literal("points"), value: positive }),
  z.object({ unit: z.literal("ticks"), value: wholeCount("ticks", 1, 100_000) }),
  z.object({ unit: z.literal("price"), value: positive }),
]);

export const stopSchema = z.object({
  kind: z.enum(["fixed", "stop-limit", "trailing"]),
  initial: z.union([
    targetSchema,
    z.object({ unit: z.literal("atr"), multiplier: z.coerce.number().positive().max(50) }),
  ]),
  limitOffsetTicks: wholeCount("ticks", 0, 1000).optional(),
  trailBy: z
    .discriminatedUnion("unit", [
      z.object({ unit: z.literal("points"), value: positive }),
      z.object({ unit: z.literal("ticks"), value: wholeCount("ticks", 1, 100_000) }),
    ])
    .optional(),
  trailAfterTp1: z.boolean().optional(),
  breakevenAfterTp1: z
    .object({
      offsetTicks: z.coerce.number().int().min(-100).max(100).default(1),
      thenTrail: z.boolean().default(false),
    })
    .nullish(),
});

/** `n`: an existing level's number (TP2 stays TP2 through the edit); left out, a new level. */
const levelSchema = z.object({
  enabled: z.boolean().default(true),
  qty,
  target: targetSchema,
  n: z.number().int().min(1).max(99).optional(),
});
/** A trade timer: up to a week, what it does at expiry, and when (the original's rule or regardless). */
export const timerFields = {
  seconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  action: z.enum(["hold", "exit", "reverse", "breakeven"]),
  mode: z.enum(["unless-profit", "regardless"]),
};
// A request may leave the mode out: the original's rule.
const timerSchema = z.object({ ...timerFields, mode: timerFields.mode.default("unless-profit") });

export const orderBody = z
  .object({
    side: z.enum(["buy", "sell"]),
    qty,
    type: z.enum(["market", "limit"]).default("market"),
    limitPrice: positive.optional(),
    bracket: z
      .object({
        ladder: z.array(levelSchema).max(20).optional(),
        stop: stopSchema.nullish(),
        timer: timerSchema.nullish(),
      })
      .optional(),
    version,
  })
  .refine((b) => b.type !== "limit" || b.limitPrice !== undefined, {
    message: "a limit order needs limitPrice",
    path: ["limitPrice"],
  });

/** An order's id as a position's `working` list shows it (e.g. "3:MES:o12"). */
export const orderId = z
  .string()
  .trim()
  .regex(/^\d{1,12}:[A-Z0-9]{1,12}:o\d{1,9}$/, "an order id from the position's working orders, like 3:MES:o12");

export const recordBody = z.object({ side: z.enum(["long", "short"]), qty, entryPrice: positive, version });
export const exitBody = z.object({ qty: qty.optional(), version });
/** Routes whose body only says which version of the position it was based on. */
export const versionBody = exitBody.pick({ version: true });
export const ladderBody = z.object({ levels: z.array(levelSchema).max(20), version });
export const levelPatchBody = z.object({
  enabled: z.boolean().optional(),
  qty: qty.optional(),
  target: targetSchema.optional(),
  version,
});
export const stopBody = z.object({ stop: stopSchema.nullable(), version });
export const moveStopBody = z.object({ price: positive, version });
export const timerBody = z.object({ timer: timerSchema.nullable(), version });
export const sizingQuery = z.object({
  symbol: z.string().trim().min(1).max(32),
  risk: positive,
  stopPoints: positive.optional(),
  stopTicks: z.coerce.number().int().min(1).optional(),
});

export const executionBody = z.object({
  route: z.enum(["paper", "webhook"]).optional(),
  webhookUrl: z
    .url({ protocol: /^https?$/, error: "an http(s) URL" })
    .max(2000)
    .nullable()
    .optional(),
  commission: exact.refine((n) => n >= 0 && n <= 1_000e9, "between 0 and 1000 dollars").optional(),
});

export type OrderBody = z.infer<typeof orderBody>;
export type RecordBody = z.infer<typeof recordBody>;
export type ExitBody = z.infer<typeof exitBody>;
export type VersionBody = z.infer<typeof versionBody>;
export type LadderBody = z.infer<typeof ladderBody>;
export type LevelPatchBody = z.infer<typeof levelPatchBody>;
export type StopBody = z.infer<typeof stopBody>;
export type MoveStopBody = z.infer<typeof moveStopBody>;
export type TimerBody = z.infer<typeof timerBody>;
export type ExecutionBody = z.infer<typeof executionBody>;
export type SizingQuery = z.infer<typeof sizingQuery>;
export type TargetInput = z.infer<typeof targetSchema>;
export type StopInput = z.infer<typeof stopSchema>;
export type TimerInput = z.infer<typeof timerSchema>;

// The wording of a refusal lives beside the one parse helper; re-exported for the callers that know it from here.
export { describeIssue } from "../shared/parse";
