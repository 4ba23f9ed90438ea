import { AppError } from "../shared/app-error";
import { parse } from "../shared/parse";
import { z } from "zod";
import { orderId, positive, recordBody, stopSchema, targetSchema, wholeCount } from "../trading/schemas";
import { inWords } from "./form-words";
import { symbolDefaultsSchema } from "../trading/settings-service";

/** The desk's form posts, read into the trading service's inputs (validated here, at the edge). */

export type Form = Record<string, string | undefined>;

/** Form bodies as single strings: a repeated field (two inputs of one name) keeps its first value. */
export function form(body: unknown): Form {
  const out: Form = {};
  if (!body || typeof body !== "object") return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string") out[k] = first;
    else if (typeof first === "number" || typeof first === "boolean") out[k] = String(first);
  }
  return out;
}

const levelInput = z.object({
  enabled: z.boolean(),
  qty: wholeCount("contracts", 1, 10_000),
  target: targetSchema,
  n: wholeCount("", 1, 99).optional(),
});

/** The stop form's fields as the page labels them. */
const stopWords = inWords((path) => {
  const [first, second] = path;
  if (first === "initial") return second === "multiplier" ? "ATR multiplier" : "Amount";
  if (first === "trailBy") return "Trail by (points)";
  if (first === "limitOffsetTicks") return "Limit offset (ticks)";
  return "Stop";
});
const levelWords = (n: number) =>
  inWords(([first]) => (first === "qty" ? `TP${n} quantity` : first === "target" ? `TP${n} target` : `TP${n}`));
const recordWords = inWords(([first]) =>
  first === "entryPrice" ? "Entry price" : first === "qty" ? "Contracts" : "Side",
);
const contracts = wholeCount("contracts", 1, 10_000);

/** The ticket's quantity: a whole number typed as digits ("1e2" is not 100 contracts). */
export const ticketQty = (v: string | undefined) =>
  parse(
    contracts,
    v ?? "",
    inWords(() => "Quantity"),
  );

/** A ticket order: at market, or a limit at a price (the price ladder's click). */
export function orderFromForm(f: Form): { side: "buy" | "sell"; qty: number; type?: "limit"; limitPrice?: number } {
  const side = sideFromForm(f);
  const qty = ticketQty(f.qty);
  if (f.type !== "limit") return { side, qty };
  const limitPrice = parse(
    positive,
    f.limitPrice ?? "",
    inWords(() => "Limit price"),
  );
  return { side, qty, type: "limit", limitPrice };
}

/** A working order named by the position's list (the price ladder's cancel). */
export const orderIdFromForm = (f: Form) =>
  parse(
    orderId,
    f.orderId ?? "",
    inWords(() => "Order"),
  );

/** A position recorded by hand, checked in the record form's words. */
export function recordFromForm(f: Form) {
  return parse(recordBody, { side: f.side, qty: f.qty, entryPrice: f.entryPrice }, recordWords);
}
/**
 * The same rule as a symbol's default timer. Its seconds are coerced, which changes nothing here:
 * the form's minutes reach it already as a number.
 */
const timerInput = symbolDefaultsSchema.shape.timer.unwrap();

/** The ticket's quantity as typed, for re-rendering it; anything not a whole number is just left out. */
export const optionalInt = (v: string | undefined) => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

export function stopFromForm(f: Form) {
  const kind = f.kind ?? "fixed";
  const unit = f.unit === "ticks" ? "ticks" : "points";
  const initial = f.mode === "atr" ? { unit: "atr", multiplier: f.multiplier } : { unit, value: f.amount };
  const trail = f.trailBy
    ? { unit: "points", value: f.trailBy }
    : kind === "trailing" && f.mode !== "atr"
      ? initial
      : undefined;
  return parse(
    stopSchema,
    {
      kind,
      initial,
      trailBy: trail,
      limitOffsetTicks: kind === "stop-limit" ? f.limitOffsetTicks || "0" : undefined,
      trailAfterTp1: f.trailAfterTp1 === "1",
      breakevenAfterTp1: f.breakeven === "1" ? { offsetTicks: 1, thenTrail: f.thenTrail === "1" } : null,
    },
    stopWords,
  );
}

export function levelsFromForm(f: Form) {
  const n = Math.min(Number(f.count ?? 0) || 0, 20);
  const out: z.infer<typeof levelInput>[] = [];
  for (let i = 0; i < n; i++) {
    // Pending or filled rows are not editable (their inputs are disabled and not sent).
    if (f[`qty_${i}`] === undefined || String(i) === f.remove) continue;
    // The row's own number (an open position's level keeps it through the edit).
    const n = /^\d{1,2}$/.test(f[`n_${i}`] ?? "") ? f[`n_${i}`] : undefined;
    out.push(
      parse(
        levelInput,
        {
          enabled: f[`enabled_${i}`] === "1",
          qty: f[`qty_${i}`],
          target: { unit: f[`unit_${i}`], value: f[`value_${i}`] },
          n,
        },
        levelWords(n ? Number(n) : i + 1),
      ),
    );
  }
  if (f.add)
    out.push(
      parse(levelInput, { enabled: true, qty: 1, target: { unit: "ticks", value: 8 * (out.length + 1) } }, "new level"),
    );
  return out;
}

export function timerFromForm(f: Form) {
  if (f.off === "1") return null;
  // Checked in the field's own unit: the trader typed minutes, not seconds.
  const typed = (f.minutes ?? "").trim();
  if (!/^\d{1,5}(\.\d{1,4})?$/.test(typed)) throw new AppError(400, "Minutes: a number such as 5 or 0.5");
  const seconds = Math.round(Number(typed) * 60);
  if (seconds < 1) throw new AppError(400, "Minutes: at least 0.02 (one second)");
  if (seconds > 7 * 86_400) throw new AppError(400, "Minutes: at most 10080 (7 days)");
  return parse(
    timerInput,
    { seconds, action: f.action, mode: f.mode },
    inWords(() => "Then"),
  );
}

/** A side from the ticket's buttons. */
export function sideFromForm(f: Form): "buy" | "sell" {
  const side = f.side === "sell" ? "sell" : f.side === "buy" ? "buy" : undefined;
  if (!side) throw new AppError(400, "side: Buy or Sell");
  return side;
}
