import type { AtrResult } from "../market-data/bars/atr";
import { ceilTick, distanceOf, lossPrice } from "../trading/engine/price-math";
import type { PositionView } from "../trading/position-view";
import type { DeskStateProps } from "../../views/desk";
import { type Form, stopFromForm } from "./desk-forms";

/**
 * The stop form's preview line: where the stop would go and what it risks. The distance is the
 * engine's own (its price math on the 1e-9 grid), so the preview cannot disagree with the stop
 * the engine would set.
 */
export function stopPreview(
  f: Form,
  inst: DeskStateProps["inst"],
  defaultQty: number,
  position: PositionView | null,
  lastNanos: number,
  atr: AtrResult,
): { ok: boolean; text: string } {
  const tick = Math.round(inst.tick * 1e9);
  const open = position && position.qty > 0 ? position : null;
  const ref = open?.avgEntry ? Math.round(open.avgEntry * 1e9) : lastNanos;
  const side = open?.side ?? "long";
  const qty = open?.qty ?? defaultQty;
  let distance: number | undefined;
  let note = "";
  try {
    const stop = stopFromForm(f);
    if (stop.initial.unit === "atr") {
      if (!atr.available) note = `ATR unavailable: ${atr.reason} — the stop would be refused`;
      else distance = ceilTick(Math.round(atr.value * stop.initial.multiplier), tick);
    } else distance = distanceOf(stop.initial, tick);
  } catch (err) {
    note = (err as Error).message;
  }
  if (!ref) note ||= "no price yet";
  if (distance === undefined || !ref) return { ok: false, text: note };
  const atNanos = lossPrice(side, ref, distance);
  // An impossible stop is refused here as the engine would refuse it, never previewed as a price.
  if (atNanos <= 0) return { ok: false, text: "Amount: too far — the stop would be at or below zero" };
  const at = atNanos / 1e9;
  const risk = (distance / 1e9) * inst.pointValue * qty;
  const shownAtr = atr.available ? ` · ATR ${(atr.value / 1e9).toFixed(inst.decimals)}` : "";
  return {
    ok: true,
    text: `Stop ${at.toFixed(inst.decimals)} · risk $${risk.toFixed(2)} for ${qty} (${distance / tick} ticks)${shownAtr}`,
  };
}
