import { Html } from "@elysiajs/html";
import type { Prefs } from "../../src/trading/settings-service";
import { NoticeLine, type Notice } from "./notice";
import { hxPost } from "../htmx";

/* Trading preferences and each account's execution (route, webhook, commission). */
export function PrefsSection({ prefs, version, notice }: { prefs: Prefs; version: number; notice?: Notice }) {
  return (
    <section class="card" id="prefs" aria-label="Trading preferences">
      <h2>Trading preferences</h2>
      <form class="grid-form" {...hxPost("/settings/prefs", "#prefs")}>
        <input type="hidden" name="version" value={String(version)} />
        <label>
          ATR method
          <select name="method">
            <option value="simple" selected={prefs.atr.method === "simple"}>
              simple mean (the original's)
            </option>
            <option value="wilder" selected={prefs.atr.method === "wilder"}>
              Wilder smoothing
            </option>
          </select>
        </label>
        <label>
          ATR period (bars) <input name="period" type="number" min="1" max="500" value={String(prefs.atr.period)} />
        </label>
        <label>
          ATR lookback (1-minute bars){" "}
          <input name="lookback" type="number" min="2" max="10000" value={String(prefs.atr.lookback)} />
        </label>
        <label>
          ATR stop multiplier <input name="multiplier" inputmode="decimal" value={String(prefs.atr.multiplier)} />
        </label>
        <fieldset class="checks">
          <label>
            <input type="checkbox" name="confirm" value="1" checked={prefs.confirm} /> Ask before orders and exits (buy,
            sell, exit all)
          </label>
        </fieldset>
        <div class="row-buttons">
          <button class="btn btn-primary" type="submit">
            Save preferences
          </button>
        </div>
      </form>
      <NoticeLine n={notice} />
    </section>
  );
}

export interface AccountRow {
  name: string;
  kind: string;
  execution: string;
  commission: number;
  webhook: string | null;
}

export function ExecutionSection({ accounts, notice }: { accounts: AccountRow[]; notice?: Notice }) {
  return (
    <section class="card" id="execution" aria-label="Accounts and execution">
      <h2>Accounts and execution</h2>
      <p class="muted small">
        Paper accounts fill on the server's prices. A live account sends orders to its webhook (TradersPost-style JSON);
        a 2xx means <em>sent</em>, not filled. The URL is stored encrypted and never shown again.
      </p>
      {accounts.map((a) => (
        <form
          class="account-row"
          {...hxPost(`/settings/execution/${encodeURIComponent(a.name)}`, "#execution")}
          aria-label={`${a.name} account execution`}
        >
          <div class="account-head">
            <strong safe>{a.name}</strong>{" "}
            <span class={`badge badge-${a.kind}`} safe>
              {a.kind}
            </span>
          </div>
          <div class="grid-form">
            <label>
              Route
              <select name="route" disabled={a.kind !== "live"}>
                <option value="paper" selected={a.execution === "paper"}>
                  paper
                </option>
                {a.kind === "live" ? (
                  <option value="webhook" selected={a.execution === "webhook"}>
                    webhook
                  </option>
                ) : (
                  ""
                )}
              </select>
            </label>
            <label>
              Commission $/contract/side <input name="commission" inputmode="decimal" value={String(a.commission)} />
            </label>
            {a.kind === "live" ? (
              <label class="span-all">
                Webhook URL{" "}
                <input
                  name="webhookUrl"
                  type="url"
                  autocomplete="off"
                  placeholder={a.webhook ? `set (${a.webhook}) — type to replace` : "https://…"}
                />
              </label>
            ) : (
              ""
            )}
            <div class="row-buttons">
              <button class="btn" type="submit">
                Save
              </button>
            </div>
          </div>
        </form>
      ))}
      <NoticeLine n={notice} />
    </section>
  );
}
