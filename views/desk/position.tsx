import { Html } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden } from "./common";
import { countdown, money, tone } from "../../src/shared/format";
import { fmt } from "./format";
import type { DeskStateProps } from "./props";
import { hxPost } from "../htmx";

type Working = PositionView["working"][number];
const PURPOSE: Record<string, string> = {
  entry: "entry",
  tp: "take-profit",
  stop: "stop",
  timer: "timer exit",
  exit: "exit",
  reverse: "reverse",
};

/** "exit working — waiting for a price", "stop-limit 4997.50 — limit passed" (R1.2, R3.2). */
function workingText(o: Working, d: number): string {
  const what = o.purpose === "stop" && o.type === "limit" ? "stop-limit" : (PURPOSE[o.purpose] ?? o.purpose);
  return `${what}${o.limitPrice === null ? " working" : ` ${o.limitPrice.toFixed(d)}`} — ${o.state}`;
}

/** The position's orders not yet filled; a jumped stop-limit can be sent at market from here. */
function WorkingOrders({ s, p }: { s: DeskStateProps; p: PositionView }) {
  return (
    <ul class="working" aria-label="Working orders">
      {p.working.map((o) => (
        <li class={`working-${o.state.replaceAll(" ", "-")}`}>
          <span safe>{workingText(o, s.inst.decimals)}</span>{" "}
          <span class="muted small" safe>{`${o.side} ${o.qty}`}</span>
          {o.purpose === "stop" && o.type === "limit" && o.state === "limit passed" ? (
            <form
              {...hxPost("/desk/stop/market", "#desk-state")}
              class="inline-form"
              {...(s.confirm ? { "hx-confirm": "Send the stop as a market order?" } : {})}
            >
              <Hidden s={s} version={p.version} />
              <button class="btn btn-sell btn-small" type="submit">
                Convert to market
              </button>
            </form>
          ) : o.purpose === "entry" && o.state === "resting" ? (
            <form {...hxPost("/desk/cancel", "#desk-state")} class="inline-form">
              <Hidden s={s} />
              <input type="hidden" name="orderId" value={o.orderId} />
              <button
                class="btn btn-ghost btn-small"
                type="submit"
                aria-label={`Cancel ${o.side} ${o.qty}${o.limitPrice === null ? "" : ` limit ${o.limitPrice.toFixed(s.inst.decimals)}`}`}
              >
                Cancel
              </button>
            </form>
          ) : (
            ""
          )}
        </li>
      ))}
    </ul>
  );
}

/** The open position's facts (live P&L and the timer's countdown are kept current by the page script). */
export function Position({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  const d = s.inst.decimals;
  const stop = p?.stop ?? null;
  const timer = p?.timer ?? null;
  return (
    <div
      class={`card position${p?.unprotected ? " is-unprotected" : ""}`}
      x-data="position"
      role="region"
      aria-label="Position"
    >
      <h2>Position</h2>
      {p?.unprotected ? (
        <p class="alert alert-error unprotected-banner" role="alert">
          <strong>Unprotected:</strong>{" "}
          <span safe>{`${p.unprotected.reason} — stops and take-profits cannot fire; Exit all still works`}</span>
        </p>
      ) : (
        ""
      )}
      {p ? (
        <dl class="facts">
          <div>
            <dt>Side</dt>
            <dd class={p.side === "long" ? "long" : "short"}>
              {p.side === "long" ? "Long" : "Short"} {p.qty}
            </dd>
          </div>
          <div>
            <dt>Avg entry</dt>
            <dd class="num" safe>
              {fmt(p.avgEntry, d)}
            </dd>
          </div>
          <div>
            <dt>P&amp;L</dt>
            <dd class={`num ${tone(p.unrealized)}`} data-live-pnl>
              <span data-live-money safe>
                {money(p.unrealized)}
              </span>{" "}
              <span class="muted" data-live-ticks safe>
                {p.pnlTicks === null ? "" : `${p.pnlTicks > 0 ? "+" : ""}${p.pnlTicks} t`}
              </span>
            </dd>
          </div>
          <div>
            <dt>Realized</dt>
            <dd class={`num ${tone(p.realized)}`} safe>
              {money(p.realized - p.commissions)}
            </dd>
          </div>
          <div>
            <dt>Stop</dt>
            <dd class="num">
              {stop ? (
                <span safe>{`${fmt(stop.price, d)} ${stop.status === "armed" ? "" : `(${stop.status})`}`}</span>
              ) : (
                "none"
              )}
            </dd>
          </div>
          <div>
            <dt>Timer</dt>
            <dd class="num">
              {timer ? (
                <>
                  <span data-countdown x-data="countdown">
                    {timer.phase === "running"
                      ? countdown(timer.deadlineMs, s.nowMs)
                      : timer.phase === "waiting-for-entry"
                        ? "waiting for entry"
                        : "done"}
                  </span>{" "}
                  <span class="muted">→ {timer.action}</span>
                </>
              ) : (
                "off"
              )}
            </dd>
          </div>
        </dl>
      ) : (
        <p class="muted">
          Flat. The settings below apply to the next trade on <span safe>{s.inst.root}</span>.
        </p>
      )}
      {p?.closing ? (
        <p class="alert alert-warn" role="status" safe>
          Exit under way: {p.closing.reason}
        </p>
      ) : (
        ""
      )}
      {/* A flat position's resting entry limits too: they can be cancelled here. */}
      {s.position?.working.length ? <WorkingOrders s={s} p={s.position} /> : ""}
      <ErrorNote error={s.error} here="position" />
    </div>
  );
}
