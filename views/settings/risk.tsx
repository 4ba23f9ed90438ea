import { Html } from "@elysiajs/html";
import { clockCT } from "../../src/shared/exchange-time";
import { money, tone } from "../../src/shared/format";
import type { RiskView } from "../../src/trading/risk-service";
import { hxPost } from "../htmx";
import { type Notice, NoticeLine } from "./notice";

/** A refusal of one field (its name in the form), shown beside it, and what was typed. */
export interface RiskFormState {
  account: string;
  field?: string;
  message?: string;
  typed?: Record<string, string>;
}

const FIELDS = [
  { name: "maxOrder", label: "Max order", hint: "contracts per order; ES 1 = MES 10" },
  { name: "maxPosition", label: "Max position", hint: "contracts per product, mini and micro together" },
  { name: "dailyLoss", label: "Daily loss limit", hint: "dollars, realized + open: flattens and locks the day" },
  { name: "flattenBeforeCloseMin", label: "Flatten before close", hint: "minutes before 16:00 CT" },
  { name: "confirmAbove", label: "Confirm orders above", hint: "contracts: the desk asks first" },
] as const;

/** The form's field names as the trader reads them (for refusals). */
export const RISK_LABELS: Record<string, string> = Object.fromEntries(FIELDS.map((f) => [f.name, f.label]));

function Lock({ r }: { r: RiskView }) {
  const l = r.day.lock;
  if (!l) return "";
  return (
    <div class="alert alert-error risk-lock" role="alert">
      <strong safe>Locked until {clockCT(r.day.untilMs)}</strong> <span safe>— {l.reason}</span>
      {l.kind === "kill" ? (
        <button
          type="button"
          class="btn"
          {...hxPost(`/settings/risk/${encodeURIComponent(r.account)}/resume`, "#risk")}
          hx-confirm={`Resume trading on ${r.account}?`}
        >
          Resume trading
        </button>
      ) : (
        ""
      )}
    </div>
  );
}

function AccountRisk({ r, state }: { r: RiskView; state?: RiskFormState }) {
  const mine = state?.account === r.account ? state : undefined;
  const value = (name: (typeof FIELDS)[number]["name"]) =>
    mine?.typed?.[name] ?? (r[name] === null ? "" : String(r[name]));
  return (
    <form
      class="account-row risk-row"
      {...hxPost(`/settings/risk/${encodeURIComponent(r.account)}`, "#risk")}
      aria-label={`${r.account} risk limits`}
    >
      <div class="account-head">
        <strong safe>{r.account}</strong>{" "}
        <span class="muted small">
          today{" "}
          <span class={tone(r.day.realized)} safe>
            {money(r.day.realized)}
          </span>{" "}
          realized ·{" "}
          <span class={tone(r.day.open)} safe>
            {money(r.day.open)}
          </span>{" "}
          open
        </span>
      </div>
      <Lock r={r} />
      <div class="grid-form">
        {FIELDS.map((f) => {
          const bad = mine?.field === f.name;
          // No id on the input: htmx would carry its attributes across the swap (CSS transitions).
          const id = `risk-${r.account}-${f.name}`;
          return (
            <label>
              {f.label}
              <input
                name={f.name}
                inputmode={f.name === "dailyLoss" ? "decimal" : "numeric"}
                value={value(f.name)}
                placeholder="off"
                aria-invalid={bad ? "true" : undefined}
                aria-describedby={bad ? `${id}-error` : undefined}
              />
              {bad ? (
                <span class="field-error alert-error" id={`${id}-error`} role="alert" safe>
                  {mine!.message}
                </span>
              ) : (
                <span class="muted small">{f.hint}</span>
              )}
            </label>
          );
        })}
        <div class="row-buttons">
          <button class="btn" type="submit">
            Save limits
          </button>
        </div>
      </div>
      {mine?.message && !mine.field ? <NoticeLine n={{ ok: false, message: mine.message }} /> : ""}
    </form>
  );
}

/** Risk limits per account, today's P&L and lock, and the kill switch (docs/trading-rules.md R10). */
export function RiskSection({ risk, notice, state }: { risk: RiskView[]; notice?: Notice; state?: RiskFormState }) {
  return (
    <section class="card card-span2" id="risk" aria-label="Risk limits">
      <h2>Risk limits</h2>
      <p class="muted small">
        Enforced by the server for the desk, the API and the original API alike. Empty means off. Exits are never
        refused.
      </p>
      {risk.map((r) => (
        <AccountRisk r={r} state={state} />
      ))}
      <KillSwitch target="#risk" />
      <NoticeLine n={notice} />
    </section>
  );
}

/** Flattens every live and paper account and locks new entries for the trading day. */
export function KillSwitch({ target, line }: { target: string; line?: boolean }) {
  return (
    <button
      type="button"
      class="btn btn-kill"
      {...hxPost("/settings/kill-switch", target)}
      {...(line ? { "hx-vals": '{"answer":"line"}' } : {})}
      hx-confirm="Kill switch: flatten every account at market and lock new entries until the next session?"
      title="Flatten every account at market and lock new entries until the next session"
    >
      Kill switch
    </button>
  );
}
