import { Html } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden } from "./common";
import { fmt, pts } from "./format";
import type { DeskStateProps } from "./props";

/** The stop form: the position's own stop when there is one, else the next trade's default. */
export function StopPanel({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  const d = s.inst.decimals;
  const defaultsVersion = String(s.defaultsVersion);
  const stop = p?.stop ?? null;
  // The form shows the position's own stop when there is one, else the next trade's default.
  const cfg = stop
    ? {
        kind: stop.kind,
        initial:
          stop.initial.unit === "atr"
            ? { unit: "atr" as const, multiplier: (stop.initial as { multiplier: number }).multiplier }
            : {
                unit: stop.initial.unit as "points" | "ticks" | "price",
                value:
                  stop.initial.unit === "ticks"
                    ? (stop.initial as { value: number }).value
                    : Math.round((stop.initial as { value: number }).value * 1e9),
              },
        trailBy: stop.trailBy
          ? {
              unit: stop.trailBy.unit as "points" | "ticks",
              value: stop.trailBy.unit === "ticks" ? stop.trailBy.value : Math.round(stop.trailBy.value * 1e9),
            }
          : undefined,
        limitOffsetTicks: stop.limitOffsetTicks ?? undefined,
        trailAfterTp1: stop.trailAfterTp1,
        breakevenAfterTp1: stop.breakevenAfterTp1,
      }
    : s.defaults.stop;
  return (
    <div class="card stop-panel" role="region" aria-label="Stop">
      <h2>
        Stop <span class="muted small">{p ? "of this position" : "for the next trade"}</span>
      </h2>
      <form hx-post="/desk/stop" hx-target="#desk-state" hx-swap="outerHTML" class="grid-form" id="stop-form">
        <Hidden s={s} version={p?.version} />
        <input type="hidden" name="dversion" value={defaultsVersion} />
        <label>
          Type
          <select name="kind">
            {(["fixed", "stop-limit", "trailing"] as const).map((k) => (
              <option value={k} selected={(stop?.kind ?? cfg?.kind ?? "fixed") === k}>
                {k === "fixed" ? "Market stop" : k === "stop-limit" ? "Stop-limit" : "Trailing"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Distance from
          <select name="mode">
            <option value="manual" selected={cfg?.initial.unit !== "atr"}>
              Manual
            </option>
            <option value="atr" selected={cfg?.initial.unit === "atr"}>
              ATR ×
            </option>
          </select>
        </label>
        <label>
          Amount
          <input
            name="amount"
            inputmode="decimal"
            value={
              cfg && cfg.initial.unit !== "atr" && cfg.initial.unit !== "ticks"
                ? pts(cfg.initial.value)
                : cfg?.initial.unit === "ticks"
                  ? String(cfg.initial.value)
                  : "3"
            }
          />
        </label>
        <label>
          Unit
          <select name="unit">
            <option value="points" selected={cfg?.initial.unit !== "ticks"}>
              points
            </option>
            <option value="ticks" selected={cfg?.initial.unit === "ticks"}>
              ticks
            </option>
          </select>
        </label>
        <label>
          ATR multiplier
          <input
            name="multiplier"
            inputmode="decimal"
            value={String(cfg?.initial.unit === "atr" ? cfg.initial.multiplier : s.atrMultiplier)}
          />
        </label>
        <label>
          Trail by (points)
          <input
            name="trailBy"
            inputmode="decimal"
            value={
              cfg?.trailBy
                ? cfg.trailBy.unit === "ticks"
                  ? String(cfg.trailBy.value * s.inst.tick)
                  : pts(cfg.trailBy.value)
                : ""
            }
          />
        </label>
        <label>
          Limit offset (ticks)
          <input name="limitOffsetTicks" type="number" min="0" step="1" value={String(cfg?.limitOffsetTicks ?? 2)} />
        </label>
        <fieldset class="checks">
          <label>
            <input type="checkbox" name="breakeven" value="1" checked={Boolean(cfg?.breakevenAfterTp1)} /> Breakeven
            after TP1 (+1 tick)
          </label>
          <label>
            <input type="checkbox" name="thenTrail" value="1" checked={Boolean(cfg?.breakevenAfterTp1?.thenTrail)} />{" "}
            then trail
          </label>
          <label>
            <input type="checkbox" name="trailAfterTp1" value="1" checked={Boolean(cfg?.trailAfterTp1)} /> Trail after
            TP1
          </label>
        </fieldset>
        <div
          class="preview"
          id="stop-preview"
          hx-post="/desk/stop/preview"
          hx-trigger="input from:#stop-form delay:250ms, load"
          hx-include="#stop-form"
          hx-target="this"
          hx-swap="innerHTML"
          aria-live="polite"
        >
          <span class="muted" safe>
            {s.atr.available ? `ATR(${s.atr.period}) ${fmt(s.atr.value, d)}` : `ATR unavailable: ${s.atr.reason}`}
          </span>
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
