import type { Instrument } from "../../market-data/instruments/catalogue";
import { AppError } from "../../shared/app-error";
import { fixedFromNumber, formatFixed } from "../../shared/fixed-point";
import type { LegacyDraft } from "./legacy-draft";
import { sideWord } from "./legacy-input";
import { byTarget, sameLevel, type LegacyLevel, type LegacyOrder } from "./legacy-tables";
import type { SingleOrderInput } from "./schemas";

/**
 * What one request does to an account's rows, inside its draft: netting of a single order, exits,
 * ladders, and the checks that refuse (throwing before anything counts).
 */
export function applySingle(
  draft: LegacyDraft,
  o: SingleOrderInput,
  inst: Instrument,
  stopLoss: unknown,
  price: bigint | undefined,
  existing: LegacyOrder | undefined,
  nowSeconds: () => number,
): void {
  const symbol = inst.root;
  if (o.action === "exit") {
    applyExit(draft, symbol, existing, o.quantity, price);
    return;
  }
  if (price === undefined)
    throw new AppError(400, "entry_price: required (or limitPrice) until the server has a live price for " + symbol);
  const qty = o.quantity!;
  const ts = o.timestamp ?? nowSeconds();
  const at = `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}`;
  if (!existing) {
    draft.setOrder(symbol, { action: o.action, quantity: qty, entryPrice: price, timestamp: ts, stopLoss });
    draft.resetHits(symbol);
    draft.event(symbol, "order.opened", `${at}: new ${sideWord(o.action)} trade`, { quantity: qty, price });
  } else if (existing.action === o.action) {
    // Adding to a position averages the entry (rounded to 1e-9, the storage scale).
    const total = existing.quantity + qty;
    const avg =
      (existing.entryPrice * BigInt(existing.quantity) + price * BigInt(qty) + BigInt(total) / 2n) / BigInt(total);
    draft.setOrder(symbol, {
      action: o.action,
      quantity: total,
      entryPrice: avg,
      timestamp: existing.timestamp,
      stopLoss: stopLoss ?? existing.stopLoss,
    });
    draft.event(
      symbol,
      "order.added",
      `${at}: added to ${sideWord(o.action)}, now ${total} @ ${formatFixed(avg)} average`,
      { quantity: qty, price, total, average: avg },
    );
  } else {
    // Netting: an opposite order reduces first; any remainder opens the other side.
    const remainder = qty - existing.quantity;
    if (remainder < 0) {
      draft.setOrder(symbol, { ...existing, quantity: -remainder });
      draft.event(symbol, "order.reduced", `${at}: reduced ${sideWord(existing.action)} to ${-remainder}`, {
        quantity: qty,
        price,
      });
      return;
    }
    draft.setOrder(
      symbol,
      remainder > 0 ? { action: o.action, quantity: remainder, entryPrice: price, timestamp: ts, stopLoss } : undefined,
    );
    draft.resetHits(symbol);
    const reason = `${at}: closed ${sideWord(existing.action)} ${existing.quantity}${remainder > 0 ? `, opened ${sideWord(o.action)} ${remainder}` : ""}`;
    draft.event(symbol, remainder > 0 ? "order.reversed" : "order.closed", reason, { quantity: qty, price });
  }
}

export function applyExit(
  draft: LegacyDraft,
  symbol: string,
  existing: LegacyOrder | undefined,
  qty: number | undefined,
  price: bigint | undefined,
): void {
  if (!existing) return; // Exiting a flat symbol is a no-op, so a retried exit is harmless.
  const at = price === undefined ? "" : ` @ ${formatFixed(price)}`;
  if (qty !== undefined && qty < existing.quantity) {
    draft.setOrder(symbol, { ...existing, quantity: existing.quantity - qty });
    draft.event(
      symbol,
      "order.reduced",
      `exit ${qty} of ${existing.quantity} ${symbol}${at}: ${existing.quantity - qty} left`,
      { quantity: qty },
    );
    return;
  }
  draft.setOrder(symbol, undefined);
  const reset = draft.resetHits(symbol);
  draft.event(
    symbol,
    "order.closed",
    `exit ${existing.quantity} ${symbol}${at}: trade closed${reset ? `, ${reset} TP hit flags reset` : ""}`,
    { quantity: existing.quantity },
  );
}

export function writeLadder(draft: LegacyDraft, inst: Instrument, symbol: string, levels: LegacyLevel[]): void {
  if (sameLadder(draft.levels(symbol), levels)) return;
  draft.setLevels(symbol, levels);
  const describe = levels
    .map((l) => `${l.quantity}@${formatFixed(l.price)}${l.enabled ? "" : " (off)"}${l.hit ? " (hit)" : ""}`)
    .join(", ");
  draft.event(symbol, "tp.replaced", `TP levels for ${inst.root} set: ${describe || "none"}`, {
    levels: levels.length,
  });
}

/** A ladder must be on the trade's profit side and never sell more than is open. */
export function checkLadder(draft: LegacyDraft, inst: Instrument, field: string): void {
  const order = draft.order(inst.root);
  if (!order) return;
  const levels = draft.levels(inst.root).filter((l) => l.enabled && !l.hit);
  const total = levels.reduce((s, l) => s + l.quantity, 0);
  if (total > order.quantity) {
    throw new AppError(
      400,
      `${field}: enabled levels take ${total} contracts but the ${sideWord(order.action)} position is ${order.quantity}`,
    );
  }
  for (const l of levels) {
    const wrongSide = order.action === "buy" ? l.price <= order.entryPrice : l.price >= order.entryPrice;
    if (wrongSide) {
      throw new AppError(
        400,
        `${field}: level at ${formatFixed(l.price)} is not on the profit side of a ${sideWord(order.action)} entry at ${formatFixed(order.entryPrice)}`,
      );
    }
  }
}

/**
 * A stop this call wrote must be on the losing side of the market (else of the entry, with no
 * price yet): the engine refuses one that would fire at once, and the trade would then show a
 * stop that nothing manages.
 */
export function checkStop(
  draft: LegacyDraft,
  inst: Instrument,
  stopLoss: unknown,
  field: string,
  last: number | undefined,
): void {
  const order = draft.order(inst.root);
  const stopPrice = (stopLoss as { stopPrice?: number | null }).stopPrice;
  // An opposite order that only reduces keeps the trade's own stop: nothing new to check.
  if (!order || stopPrice == null || JSON.stringify(order.stopLoss) !== JSON.stringify(stopLoss)) return;
  const stop = fixedFromNumber(stopPrice);
  const ref = last !== undefined && last > 0 ? BigInt(last) : order.entryPrice;
  const what = last !== undefined && last > 0 ? `the market (${formatFixed(ref)})` : `the entry (${formatFixed(ref)})`;
  const long = order.action === "buy";
  if (long ? stop >= ref : stop <= ref) {
    throw new AppError(
      400,
      `${field}.stopPrice: ${formatFixed(stop)} is ${long ? "at or above" : "at or below"} ${what}; a ${sideWord(order.action)} stop must be ${long ? "below" : "above"} it`,
    );
  }
}

function sameLadder(a: readonly LegacyLevel[], b: LegacyLevel[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort(byTarget);
  return a.every((l, i) => sameLevel(l, sorted[i]!));
}
