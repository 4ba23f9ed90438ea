import { Html } from "@elysiajs/html";
import type { EventRow } from "../../src/persistence/repositories/events-repo";
import { ctStamp } from "../../src/shared/format";
import { hxPost } from "../htmx";
import { type Notice, NoticeLine } from "./notice";

export interface AlertRow {
  id: number;
  text: string;
  armed: boolean;
  repeat: boolean;
  firedAt: Date | null;
  firedCount: number;
}

/** Price alerts, this browser's sound and notification choices, and the alert log. */
export function AlertsSection({
  alerts,
  log,
  notice,
  typed,
}: {
  alerts: AlertRow[];
  log: EventRow[];
  notice?: Notice;
  typed?: Record<string, string>;
}) {
  return (
    <section class="card card-span2" id="alerts" aria-label="Alerts">
      <h2>Alerts</h2>
      <form class="grid-form" {...hxPost("/settings/alerts", "#alerts")} aria-label="New price alert">
        <label>
          Symbol <input name="symbol" value={typed?.symbol ?? "MES"} maxlength="32" required />
        </label>
        <label>
          When the price is
          <select name="direction">
            <option value="above" selected={typed?.direction !== "below"}>
              at or above
            </option>
            <option value="below" selected={typed?.direction === "below"}>
              at or below
            </option>
          </select>
        </label>
        <label>
          Price <input name="price" inputmode="decimal" value={typed?.price ?? ""} required />
        </label>
        <label class="check">
          <input type="checkbox" name="repeat" value="1" checked={typed?.repeat === "1"} /> Every time it gets there
        </label>
        <div class="row-buttons">
          <button class="btn" type="submit">
            Add alert
          </button>
        </div>
      </form>
      <NoticeLine n={notice} />
      {alerts.length === 0 ? (
        <p class="muted">No price alerts.</p>
      ) : (
        <ul class="alert-list" aria-label="Price alerts">
          {alerts.map((a) => (
            <li>
              <span safe>{a.text}</span>{" "}
              <span class={`badge ${a.armed ? "badge-armed" : "badge-filled"}`}>
                {a.armed ? "armed" : a.repeat ? "fired, waits to come back" : "fired"}
              </span>
              {a.firedAt ? (
                <span class="muted small" safe>
                  {` last ${ctStamp(a.firedAt)} CT (${a.firedCount}×)`}
                </span>
              ) : (
                ""
              )}{" "}
              <button
                type="button"
                class="btn btn-ghost btn-small"
                {...hxPost(`/settings/alerts/${a.id}/remove`, "#alerts")}
                aria-label={`Remove alert ${a.text}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="alert-prefs" role="group" aria-label="This browser">
        <label class="check">
          <input type="checkbox" data-alert-sound /> Sound on fills, stops, risk actions, outages and price alerts
        </label>
        <button type="button" class="btn btn-ghost" data-alert-notify aria-pressed="false">
          Turn on browser notifications
        </button>
      </div>
      <h3>Alert log</h3>
      {log.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <ol class="log" aria-label="Alert log">
          {log.map((e) => (
            <li>
              <time class="num muted" safe>
                {ctStamp(e.at)}
              </time>{" "}
              {/* A price alert's reason names its symbol already. */}
              {e.symbol && !e.reason.startsWith(e.symbol) ? <strong safe>{e.symbol}</strong> : ""}{" "}
              <span safe>{e.reason}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
