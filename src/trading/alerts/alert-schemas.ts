import { z } from "zod";
import { positive } from "../schemas";

/** A new price alert: a symbol (MES, MES1!, MESZ5), above or below a price, once or every time. */
export const alertBody = z.object({
  symbol: z.string().trim().min(1, "a symbol such as MES").max(32),
  direction: z.enum(["above", "below"], { error: "above or below" }),
  price: positive,
  repeat: z
    .union([z.boolean(), z.literal("1").transform(() => true), z.literal("").transform(() => false)])
    .default(false),
});

export type AlertBody = z.infer<typeof alertBody>;
