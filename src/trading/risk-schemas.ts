import { z } from "zod";
import { parseFixed } from "../shared/fixed-point";
import { wholeCount } from "./schemas";

/** Off (null, absent or an empty form field) or a value. */
const off = <T extends z.ZodType>(s: T) =>
  z.preprocess((v) => (v === "" || v === undefined ? null : v), s.nullable()).optional();

const dollars = z
  .union([
    z.number().finite(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d{1,2})?$/, "dollars and cents, such as 500 or 1250.50"),
  ])
  .transform((v) => parseFixed(typeof v === "number" ? v.toFixed(2) : v))
  .refine((n) => n > 0n && n <= 10_000_000n * 1_000_000_000n, "between $0.01 and $10,000,000");

/**
 * An account's risk limits (docs/trading-rules.md R10), replaced as a whole: a field left out or
 * null is off. Contracts count micro-equivalent (ES 1 = MES 10).
 */
export const riskBody = z.object({
  maxOrder: off(wholeCount("contracts", 1, 100_000)),
  maxPosition: off(wholeCount("contracts", 1, 100_000)),
  dailyLoss: off(dollars),
  flattenBeforeCloseMin: off(wholeCount("minutes", 1, 120)),
  confirmAbove: off(wholeCount("contracts", 1, 10_000)),
});

export type RiskBody = z.infer<typeof riskBody>;
