import { Html } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden, typedOr } from "./common";
import type { DeskStateProps } from "./props";
import { hxPost } from "../htmx";

/** The trade timer's settings: the position's running timer, or the next trade's default. */
export function TimerPanel({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  const defaultsVersion = String(s.defaultsVersion);
  const timer = p?.timer ?? null;
  return (
    <div class="card timer" role="region" aria-label="Trade timer">
      <h2>Trade timer</h2>
      <form {...hxPost("/desk/timer", "#desk-state")} class="inline-form">
        <Hidden s={s} version={p?.version} />
        <input type="hidden" name="dversion" value={defaultsVersion} />
        <label>
          Minutes{" "}
          <input
            class="narrow"
            name="minutes"
            inputmode="decimal"
            value={typedOr(
              s,
              "timer",
              "minutes",
              String((timer?.durationMs ?? (s.defaults.timer?.seconds ?? 300) * 1000) / 60000),
            )}
          />
        </label>
        <label>
          Then
          <select name="action">
            {(["hold", "exit", "reverse", "breakeven"] as const).map((a) => (
              <option value={a} selected={(timer?.action ?? s.defaults.timer?.action ?? "hold") === a}>
                {a === "breakeven" ? "stop to breakeven" : a}
              </option>
            ))}
          </select>
        </label>
        <label>
          <select name="mode" aria-label="When">
            <option value="unless-profit" selected={(timer?.mode ?? s.defaults.timer?.mode) !== "regardless"}>
              unless in profit
            </option>
            <option value="regardless" selected={(timer?.mode ?? s.defaults.timer?.mode) === "regardless"}>
              regardless
            </option>
          </select>
        </label>
        <button class="btn" type="submit">
          {p ? "Set timer" : "Save"}
        </button>
        {p && timer ? (
          <button class="btn btn-ghost" type="submit" name="off" value="1">
            Off
          </button>
        ) : (
          ""
        )}
      </form>
      <ErrorNote error={s.error} here="timer" />
    </div>
  );
}
