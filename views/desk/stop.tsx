import { Html } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden } from "./common";
import { fmt } from "./format";
import type { DeskStateProps } from "./props";
import { stopFormValues } from "./stop-values";
import { hxPost } from "../htmx";

function typedStop(t: Record<string, string | undefined>) {
  const out: Record<string, string | undefined> = {};
  for (const k of ["kind", "mode", "amount", "unit", "multiplier", "trailBy", "limitOffsetTicks"])
    if (t[k] !== undefined) out[k] = t[k];
  for (const k of ["breakeven", "thenTrail", "trailAfterTp1"]) out[k] = t[k] === "1" ? "1" : undefined;
  return out as Partial<ReturnType<typeof stopFormValues>>;
}

/** The stop form: the position's own stop when there is one, else the next trade's default. */
export function StopPanel({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  const d = s.inst.decimals;
  const defaultsVersion = String(s.defaultsVersion);
  const stop = p?.stop ?? null;
  const stored = stopFormValues(s, p);
  // Refused: the form as typed (checkboxes included: unticked ones are not sent at all).
  const v = s.error?.for === "stop" && s.typed ? { ...stored, ...typedStop(s.typed) } : stored;
  return (
    <div class="card stop-panel" role="region" aria-label="Stop">
      <h2>
        Stop <span class="muted small">{p ? "of this position" : "for the next trade"}</span>
      </h2>
      <form {...hxPost("/desk/stop", "#desk-state")} class="grid-form" id="stop-form">
        <Hidden s={s} version={p?.version} />
        <input type="hidden" name="dversion" value={defaultsVersion} />
        <label>
          Type
          <select name="kind">
            {(["fixed", "stop-limit", "trailing"] as const).map((k) => (
              <option value={k} selected={v.kind === k}>
                {k === "fixed" ? "Market stop" : k === "stop-limit" ? "Stop-limit" : "Trailing"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Distance from
          <select name="mode">
            <option value="manual" selected={v.mode === "manual"}>
              Manual
            </option>
            <option value="atr" selected={v.mode === "atr"}>
              ATR ×
            </option>
          </select>
        </label>
        <label>
          Amount
          <input name="amount" inputmode="decimal" value={v.amount} />
        </label>
        <label>
          Unit
          <select name="unit">
            <option value="points" selected={v.unit === "points"}>
              points
            </option>
            <option value="ticks" selected={v.unit === "ticks"}>
              ticks
            </option>
          </select>
        </label>
        <label>
          ATR multiplier
          <input name="multiplier" inputmode="decimal" value={v.multiplier} />
        </label>
        <label>
          Trail by (points)
          <input name="trailBy" inputmode="decimal" value={v.trailBy} />
        </label>
        <label>
          Limit offset (ticks)
          <input name="limitOffsetTicks" type="number" min="0" step="1" value={v.limitOffsetTicks} />
        </label>
        <fieldset class="checks">
          <label>
            <input type="checkbox" name="breakeven" value="1" checked={Boolean(v.breakeven)} /> Breakeven after TP1 (+1
            tick)
          </label>
          <label>
            <input type="checkbox" name="thenTrail" value="1" checked={Boolean(v.thenTrail)} /> then trail
          </label>
          <label>
            <input type="checkbox" name="trailAfterTp1" value="1" checked={Boolean(v.trailAfterTp1)} /> Trail after TP1
          </label>
        </fieldset>
        <div
          class="preview"
          id="stop-preview"
          hx-post="/desk/stop/preview"
          hx-trigger="input from:#stop-form delay:250ms, input from:.ticket-form delay:250ms"
          hx-include="#stop-form, .ticket-form [name=qty]"
          hx-target="this"
          hx-swap="innerHTML"
          aria-live="polite"
        >
          {s.stopPreview ? (
            <StopPreview {...s.stopPreview} />
          ) : (
            <span class="muted" safe>
              {s.atr.available ? `ATR(${s.atr.period}) ${fmt(s.atr.value, d)}` : `ATR unavailable: ${s.atr.reason}`}
            </span>
          )}
        </div>
        <div class="row-buttons">
          <button class="btn btn-primary" type="submit">
            {p ? "Set stop" : "Save for next trade"}
          </button>
          {p && stop ? (
            <button class="btn btn-ghost" type="submit" name="remove" value="1">
              Remove stop
            </button>
          ) : (
            ""
          )}
        </div>
      </form>
      <ErrorNote error={s.error} here="stop" />
    </div>
  );
}

/** The preview line: where the stop would go and what it risks, or why it cannot be placed. */
export function StopPreview({ ok, text }: { ok: boolean; text: string }) {
  return (
    <span class={ok ? "" : "short"} data-stop-preview safe>
      {text}
    </span>
  );
}
