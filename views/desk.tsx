import { Html } from "@elysiajs/html";
import type { PositionView } from "../src/trading/position-view";
import type { SymbolDefaults } from "../src/trading/settings-service";
import { Layout, type LayoutProps } from "./layout";
import { ReplayPanel, type ReplayPanelProps } from "./replay";

export interface DeskInstrument {
  root: string;
  name: string;
  family: "mini" | "micro";
  pair: string;
  tick: number;
  decimals: number;
  pointValue: number;
}

export interface DeskEvent {
  at: string;
  actor: string;
  reason: string;
  kind: string;
}

export interface DeskStateProps {
  account: string;
  accountKind: string;
  inst: DeskInstrument;
  position: PositionView | null;
  defaults: SymbolDefaults;
  defaultsVersion: number;
  events: DeskEvent[];
  last: number | null;
  atr: { available: true; value: number; method: string; period: number } | { available: false; reason: string };
  atrMultiplier: number;
  confirm: boolean;
  /** The account's clock: now, or the replay's time (timer countdowns). */
  nowMs: number;
  /** A refused action: shown next to its control. */
  error?: { for: "ticket" | "stop" | "ladder" | "timer" | "position"; message: string };
  ticketQty?: number;
}

export interface DeskPageProps extends DeskStateProps {
  user: NonNullable<LayoutProps["user"]>;
  accounts: { name: string; kind: string }[];
  symbols: { root: string; name: string }[];
  quote: { bid: number | null; ask: number | null } | null;
  /** Replay mode: the player above the desk, and everything bound to the replay's account. */
  replay?: ReplayPanelProps;
}

const fmt = (v: number | null | undefined, d: number) => (v === null || v === undefined ? "—" : v.toFixed(d));
const money = (v: number | null | undefined) =>
  v === null || v === undefined
    ? "—"
    : `${v < 0 ? "-" : ""}$${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const tone = (v: number | null | undefined) =>
  v === null || v === undefined || v === 0 ? "" : v > 0 ? "long" : "short";
function countdown(deadlineMs: number, nowMs: number): string {
  const left = Math.max(0, Math.round((deadlineMs - nowMs) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}
/** Stored distances are 1e-9 units; forms show points. */
const pts = (n: number) => String(n / 1e9);

function ErrorNote({ error, here }: { error?: DeskStateProps["error"]; here: string }) {
  return error && error.for === here ? (
    <p class="alert alert-error field-error" role="alert" safe>
      {error.message}
    </p>
  ) : (
    ""
  );
}

function Hidden({ s, version }: { s: DeskStateProps; version?: number }) {
  return (
    <>
      <input type="hidden" name="account" value={s.account} />
      <input type="hidden" name="symbol" value={s.inst.root} />
      {version !== undefined ? <input type="hidden" name="version" value={String(version)} /> : ""}
    </>
  );
}

/** A level switched off shows as off, whatever its state underneath, until it is pending or filled (R2.3). */
const shown = (l: { enabled: boolean; status: string }) =>
  !l.enabled && l.status !== "pending" && l.status !== "filled" ? "off" : l.status;

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
              hx-post="/desk/stop/market"
              hx-target="#desk-state"
              hx-swap="outerHTML"
              class="inline-form"
              {...(s.confirm ? { "hx-confirm": "Send the stop as a market order?" } : {})}
            >
              <Hidden s={s} version={p.version} />
              <button class="btn btn-sell btn-small" type="submit">
                Convert to market
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

/** Everything that changes with the position: swapped as one piece after an action or a live change. */
export function DeskState(s: DeskStateProps) {
  const p = s.position && s.position.qty > 0 ? s.position : null;
  const d = s.inst.decimals;
  const lines = {
    entry: p?.avgEntry ?? null,
    stop: p?.stop && p.stop.status === "armed" ? p.stop.price : null,
    // An off level is not drawn (R2.3): it cannot fire, so a line would promise what will not happen.
    tps: p ? p.ladder.filter((l) => l.enabled).map((l) => ({ index: l.index, price: l.price, status: l.status })) : [],
    version: p?.version ?? null,
  };
  const target = p ? "position" : "defaults";
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
  const ladder = p
    ? p.ladder.map((l) => ({
        enabled: l.enabled,
        qty: l.qty,
        target: l.target,
        price: l.price as number | null,
        status: l.status,
        fill: l.fillPrice,
        error: l.lastError,
      }))
    : s.defaults.ladder.map((l) => ({
        enabled: l.enabled,
        qty: l.qty,
        target: { unit: l.target.unit, value: l.target.unit === "ticks" ? l.target.value : l.target.value / 1e9 },
        price: null,
        status: "template",
        fill: null,
        error: null,
      }));
  const timer = p?.timer ?? null;
  return (
    <section
      id="desk-state"
      class="desk-state"
      data-lines={JSON.stringify(lines)}
      data-side={p?.side ?? ""}
      data-qty={String(p?.qty ?? 0)}
      data-avg={p?.avgEntry === null || p?.avgEntry === undefined ? "" : String(p.avgEntry)}
      data-point-value={String(s.inst.pointValue)}
      data-tick={String(s.inst.tick)}
      data-decimals={String(d)}
      data-deadline={timer && timer.phase === "running" ? String(timer.deadlineMs) : ""}
      data-version={String(p?.version ?? 0)}
    >
      <div class="card ticket" role="region" aria-label="Order ticket">
        <h2>
          Ticket{" "}
          <span class={`badge badge-${s.accountKind}`} safe>
            {s.account}
          </span>
        </h2>
        <form
          class="ticket-form"
          hx-post="/desk/order"
          hx-target="#desk-state"
          hx-swap="outerHTML"
          {...(s.confirm ? { "hx-confirm": "Send this order?" } : {})}
        >
          <Hidden s={s} />
          <label class="qty">
            Quantity
            <input
              name="qty"
              type="number"
              min="1"
              max="10000"
              step="1"
              required
              value={String(s.ticketQty ?? s.defaults.qty)}
              inputmode="numeric"
            />
          </label>
          <div class="ticket-buttons">
            <button type="submit" name="side" value="buy" class="btn btn-buy" title="Buy at market (B)" data-hotkey="b">
              Buy
            </button>
            <button
              type="submit"
              name="side"
              value="sell"
              class="btn btn-sell"
              title="Sell at market (S)"
              data-hotkey="s"
            >
              Sell
            </button>
          </div>
        </form>
        <div class="ticket-buttons">
          <button
            class="btn"
            hx-post="/desk/exit"
            hx-target="#desk-state"
            hx-swap="outerHTML"
            hx-include=".ticket-form"
            hx-vals='{"all":"1"}'
            data-hotkey="x"
            title="Exit the whole position at market (X)"
            disabled={!p}
            {...(s.confirm ? { "hx-confirm": "Exit the whole position at market?" } : {})}
          >
            Exit all
          </button>
          <button
            class="btn"
            hx-post="/desk/exit"
            hx-target="#desk-state"
            hx-swap="outerHTML"
            hx-include=".ticket-form"
            data-hotkey="t"
            title="Exit the ticket's quantity (T)"
            disabled={!p}
          >
            Take profit
          </button>
          <button
            class="btn btn-ghost"
            hx-post="/desk/clear"
            hx-target="#desk-state"
            hx-swap="outerHTML"
            hx-include=".ticket-form"
            hx-confirm="Forget this trade without sending an order?"
            disabled={!p}
          >
            Clear trade
          </button>
        </div>
        <ErrorNote error={s.error} here="ticket" />
        <details class="record">
          <summary>Record a position by hand</summary>
          <form hx-post="/desk/record" hx-target="#desk-state" hx-swap="outerHTML" class="inline-form">
            <Hidden s={s} />
            <select name="side" aria-label="Side">
              <option value="long">Long</option>
              <option value="short">Short</option>
            </select>
            <input name="qty" type="number" min="1" step="1" value={String(s.defaults.qty)} aria-label="Contracts" />
            <input name="entryPrice" inputmode="decimal" placeholder="Entry price" aria-label="Entry price" required />
            <button class="btn" type="submit">
              Record
            </button>
          </form>
        </details>
      </div>

      <div class={`card position${p?.unprotected ? " is-unprotected" : ""}`} role="region" aria-label="Position">
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
                    <span data-countdown>
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
        {p?.working.length ? <WorkingOrders s={s} p={p} /> : ""}
        <ErrorNote error={s.error} here="position" />
      </div>

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

      <div class="card ladder" role="region" aria-label="Take-profit levels">
        <h2>
          Take profit <span class="muted small">{p ? "levels of this position" : "levels for the next trade"}</span>
        </h2>
        <form hx-post="/desk/ladder" hx-target="#desk-state" hx-swap="outerHTML" id="ladder-form">
          <Hidden s={s} version={p?.version} />
          <input type="hidden" name="dversion" value={defaultsVersion} />
          <input type="hidden" name="count" value={String(ladder.length)} />
          <div class="table-wrap">
            <table class="table num ladder-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>On</th>
                  <th>Qty</th>
                  <th>Target</th>
                  <th>Price</th>
                  <th>Status</th>
                  <th>
                    <span class="sr-only">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {ladder.map((l, i) => (
                  <tr class={`level-${shown(l)}`} data-level={String(i)}>
                    <td>{i + 1}</td>
                    <td>
                      <input
                        type="checkbox"
                        name={`enabled_${i}`}
                        value="1"
                        checked={l.enabled}
                        aria-label={`TP${i + 1} enabled`}
                        disabled={l.status === "filled" || l.status === "pending"}
                      />
                    </td>
                    <td>
                      <input
                        class="narrow"
                        name={`qty_${i}`}
                        type="number"
                        min="1"
                        step="1"
                        value={String(l.qty)}
                        aria-label={`TP${i + 1} quantity`}
                        disabled={l.status === "filled" || l.status === "pending"}
                      />
                    </td>
                    <td class="target-cell">
                      <input
                        class="narrow"
                        name={`value_${i}`}
                        inputmode="decimal"
                        value={String(l.target.value)}
                        aria-label={`TP${i + 1} target`}
                        disabled={l.status === "filled" || l.status === "pending"}
                      />
                      <select
                        name={`unit_${i}`}
                        aria-label={`TP${i + 1} unit`}
                        disabled={l.status === "filled" || l.status === "pending"}
                      >
                        {(["points", "ticks", "price"] as const).map((u) => (
                          <option value={u} selected={l.target.unit === u}>
                            {u === "points" ? "pts" : u}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td safe>{l.price === null ? "—" : fmt(l.price, d)}</td>
                    <td>
                      <span
                        class={`badge badge-${shown(l)}`}
                        title={l.status === "filled" && l.fill ? `filled @ ${fmt(l.fill, d)}` : (l.error ?? "")}
                        safe
                      >
                        {l.status === "filled" && l.fill ? `✓ ${fmt(l.fill, d)}` : shown(l)}
                      </span>
                    </td>
                    <td>
                      {l.status === "filled" || l.status === "pending" ? (
                        ""
                      ) : (
                        <button
                          class="btn btn-ghost btn-small"
                          type="submit"
                          name="remove"
                          value={String(i)}
                          aria-label={`Remove TP${i + 1}`}
                        >
                          ✕
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="row-buttons">
            <button class="btn" type="submit" name="add" value="1">
              Add level
            </button>
            <button class="btn btn-primary" type="submit">
              Save levels
            </button>
          </div>
        </form>
        <ErrorNote error={s.error} here="ladder" />
      </div>

      <div class="card timer" role="region" aria-label="Trade timer">
        <h2>Trade timer</h2>
        <form hx-post="/desk/timer" hx-target="#desk-state" hx-swap="outerHTML" class="inline-form">
          <Hidden s={s} version={p?.version} />
          <input type="hidden" name="dversion" value={defaultsVersion} />
          <label>
            Minutes{" "}
            <input
              class="narrow"
              name="minutes"
              inputmode="decimal"
              value={String((timer?.durationMs ?? (s.defaults.timer?.seconds ?? 300) * 1000) / 60000)}
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

      <div class="card log-card" role="region" aria-label="Trade log">
        <h2>
          Log{" "}
          <span class="muted small" safe>
            {target === "position" ? "this trade and before" : s.inst.root}
          </span>
        </h2>
        <ul class="log">
          {s.events.map((e) => (
            <li>
              <time class="muted" safe>
                {e.at}
              </time>{" "}
              <span safe>{e.reason}</span>{" "}
              <span class="muted" safe>
                — {e.actor}
              </span>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

/** The trader's desk: picker, live price, chart with draggable levels, and the state above. */
export function DeskPage(props: DeskPageProps) {
  const { inst } = props;
  const d = inst.decimals;
  return (
    <Layout
      title={`${props.replay ? "Replay · " : ""}${inst.root} desk`}
      user={props.user}
      active={props.replay ? "replay" : "desk"}
      scripts={["/vendor/uPlot.iife.min.js", "/static/js/desk.js"]}
      styles={["/vendor/uPlot.min.css"]}
      banner={
        props.replay
          ? `REPLAY ${props.replay.account} — ${props.replay.description}. Practice only: nothing here reaches live trading.`
          : undefined
      }
    >
      <div
        class={`desk${props.replay ? " desk-replay" : ""}`}
        data-desk
        data-account={props.account}
        data-symbol={inst.root}
        {...(props.replay ? { "data-replay": String(props.replay.id) } : {})}
      >
        {props.replay ? <ReplayPanel {...props.replay} /> : ""}
        <header class="desk-head card">
          <form class="picker" method="get" action="/desk">
            <label class="sr-only" for="account">
              Account
            </label>
            <select id="account" name="account" aria-label="Account">
              {props.accounts.map((a) => (
                <option value={a.name} selected={a.name === props.account} safe>{`${a.name} (${a.kind})`}</option>
              ))}
            </select>
            {props.replay ? (
              ""
            ) : (
              <div class="family" role="group" aria-label="Contract size">
                <a
                  class={`seg ${inst.family === "micro" ? "on" : ""}`}
                  href={`/desk?account=${encodeURIComponent(props.account)}&symbol=${inst.family === "micro" ? inst.root : inst.pair}`}
                  aria-current={inst.family === "micro" ? "true" : undefined}
                >
                  Micros
                </a>
                <a
                  class={`seg ${inst.family === "mini" ? "on" : ""}`}
                  href={`/desk?account=${encodeURIComponent(props.account)}&symbol=${inst.family === "mini" ? inst.root : inst.pair}`}
                  aria-current={inst.family === "mini" ? "true" : undefined}
                >
                  Minis
                </a>
              </div>
            )}
            <select name="symbol" aria-label="Symbol">
              {props.symbols.map((s) => (
                <option value={s.root} selected={s.root === inst.root} safe>{`${s.root} · ${s.name}`}</option>
              ))}
            </select>
            <noscript>
              <button class="btn" type="submit">
                Go
              </button>
            </noscript>
          </form>
          <div class="quote" aria-label={`${inst.root} price`}>
            <span class="last num" data-last safe>
              {fmt(props.last, d)}
            </span>
            <span class="change num" data-change></span>
            <span class="bidask num muted">
              <span data-bid safe>
                {fmt(props.quote?.bid, d)}
              </span>{" "}
              ×{" "}
              <span data-ask safe>
                {fmt(props.quote?.ask, d)}
              </span>
            </span>
          </div>
          <button
            type="button"
            class="btn btn-ghost keys-btn"
            data-keys-toggle
            aria-expanded="false"
            aria-controls="keys"
          >
            Keys (?)
          </button>
        </header>
        <aside id="keys" class="card keys" hidden>
          <h2>Keyboard</h2>
          <dl class="facts">
            <div>
              <dt>
                <kbd>B</kbd>
              </dt>
              <dd>Buy the ticket's quantity</dd>
            </div>
            <div>
              <dt>
                <kbd>S</kbd>
              </dt>
              <dd>Sell the ticket's quantity</dd>
            </div>
            <div>
              <dt>
                <kbd>X</kbd>
              </dt>
              <dd>Exit all</dd>
            </div>
            <div>
              <dt>
                <kbd>T</kbd>
              </dt>
              <dd>Take profit (exit the ticket's quantity)</dd>
            </div>
            <div>
              <dt>
                <kbd>?</kbd>
              </dt>
              <dd>Show or hide this list</dd>
            </div>
          </dl>
          <p class="muted small">Keys work when no input has focus. Confirmations can be turned on in Settings.</p>
        </aside>
        <div class="desk-grid">
          <div class="card chart-card" role="region" aria-label={`${inst.root} chart`}>
            <div class="chart-head">
              <span class="chart-title">
                <span class="family small-seg" role="group" aria-label="Chart interval">
                  <button type="button" class="seg on" data-interval="1m" aria-pressed="true">
                    1m
                  </button>
                  <button type="button" class="seg" data-interval="1s" aria-pressed="false">
                    1s
                  </button>
                </span>
                <span class="muted small">drag the stop or a TP line to move it</span>
              </span>
              <span class="chart-error" data-chart-error role="alert"></span>
            </div>
            <div
              class="chart"
              data-chart
              data-symbol={inst.root}
              data-decimals={String(d)}
              data-tick={String(inst.tick)}
            ></div>
          </div>
          <DeskState {...props} />
        </div>
      </div>
    </Layout>
  );
}
