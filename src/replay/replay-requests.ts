import { AppError } from "../shared/app-error";
import { z } from "zod";
import { resolveSymbol } from "../market-data/instruments/symbols";
import { SPEEDS } from "./player";

export const DAY = 86_400_000;

const symbolsField = z
  .array(z.string().trim().min(1).max(32))
  .min(1, "choose at least one symbol")
  .max(10, "at most 10 symbols in one replay");
const ms = z.coerce
  .number()
  .int()
  .min(Date.UTC(2010, 0, 1))
  .max(Date.UTC(2100, 0, 1));

export const createBody = z.union([
  z.object({ source: z.literal("archive"), symbols: symbolsField, fromMs: ms, toMs: ms }),
  z.object({ source: z.literal("file"), fileId: z.coerce.number().int().positive() }),
]);

export type CreateInput = z.infer<typeof createBody>;

export const HISTORICAL_SCHEMAS = ["trades", "mbp-1", "tbbo", "bbo-1s", "bbo-1m", "ohlcv-1s", "ohlcv-1m"] as const;
export const historicalBody = z.object({
  schema: z.enum(HISTORICAL_SCHEMAS, { error: `schema must be one of ${HISTORICAL_SCHEMAS.join(", ")}` }),
  symbols: symbolsField,
  startMs: ms,
  endMs: ms,
});
export type HistoricalRequest = z.infer<typeof historicalBody>;

export const controlBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("play") }),
  z.object({ action: z.literal("pause") }),
  z.object({
    action: z.literal("speed"),
    speed: z.union([
      z.literal("max"),
      z.coerce
        .number()
        .refine((v) => (SPEEDS as readonly number[]).includes(v), `speed must be one of ${SPEEDS.join(", ")} or max`),
    ]),
  }),
  z.object({ action: z.literal("step"), unit: z.enum(["record", "bar"]) }),
  z.object({ action: z.literal("seek"), toMs: ms }),
  z.object({ action: z.literal("close") }),
]);

export type ControlInput = z.infer<typeof controlBody>;

export function roots(symbols: readonly string[]): string[] {
  return [
    ...new Set(
      symbols.map((s) => {
        const r = resolveSymbol(s);
        if (!r.ok) throw new AppError(400, `body.symbols: ${r.message}`);
        return r.value.instrument.root;
      }),
    ),
  ];
}

const CT = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Chicago",
  dateStyle: "short",
  timeStyle: "short",
  hour12: false,
});
export const ct = (msValue: number) => `${CT.format(new Date(msValue)).replace(",", "")} CT`;
