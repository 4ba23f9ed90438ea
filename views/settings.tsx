import { Html } from "@elysiajs/html";
import type { SymbolArchiveStatus } from "../src/market-data/archive/archive-service";
import type { Prefs, SymbolDefaults } from "../src/trading/settings-service";
import { Layout, type LayoutProps } from "./layout";

export interface Notice {
  ok: boolean;
  message: string;
}

function NoticeLine({ n }: { n?: Notice }) {
  if (!n) return "";
  return n.ok ? (
    <p class="alert alert-ok" role="status" safe>
      {n.message}
    </p>
  ) : (
    <p class="alert alert-error" role="alert" safe>
      {n.message}
    </p>
  );
}

export function PrefsSection({ prefs, version, notice }: { prefs: Prefs; version: number; notice?: Notice }) {
  return (
    <section class="card" id="prefs" aria-label="Trading preferences">
      <h2>Trading preferences</h2>
      <form class="grid-form" hx-post="/settings/prefs" hx-target="#prefs" hx-swap="outerHTML">
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
          hx-post={`/settings/execution/${encodeURIComponent(a.name)}`}
          hx-target="#execution"
          hx-swap="outerHTML"
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

export function KeysSection({
  keys,
  feed,
  admin,
  notice,
}: {
  keys: { live: string | null; archive: string | null };
  feed: string;
  admin: boolean;
  notice?: Notice;
}) {
  return (
    <section class="card" id="keys" aria-label="Databento keys">
      <h2>Databento</h2>
      <p class="muted small">
        Feed now: <strong safe>{feed}</strong>. Keys are write-only: stored encrypted, shown masked, used from the next
        start (a <code>DATABENTO_API_KEY</code> in the environment takes precedence).
      </p>
      {admin ? (
        ""
      ) : (
        <p class="muted small">The keys serve every user of this server; only an administrator can change them.</p>
      )}
      {admin ? (
        <form class="grid-form" hx-post="/settings/keys" hx-target="#keys" hx-swap="outerHTML">
          <label>
            Live key <input name="live" autocomplete="off" placeholder={keys.live ? `set (${keys.live})` : "db-…"} />
          </label>
          <label>
            Archive key (optional){" "}
            <input
              name="archive"
              autocomplete="off"
              placeholder={keys.archive ? `set (${keys.archive})` : "db-… (else the live key)"}
            />
          </label>
          <div class="row-buttons">
            <button class="btn btn-primary" type="submit">
              Save keys
            </button>
            {keys.live || keys.archive ? (
              <button class="btn btn-ghost" type="submit" name="clear" value="1">
                Remove stored keys
              </button>
            ) : (
              ""
            )}
          </div>
        </form>
      ) : (
        ""
      )}
      <NoticeLine n={notice} />
    </section>
  );
}

export function TokensSection({
  tokens,
  created,
  notice,
}: {
  tokens: { name: string; createdAt: string; lastUsedAt: string | null }[];
  created?: { name: string; token: string };
  notice?: Notice;
}) {
  return (
    <section class="card" id="tokens" aria-label="API tokens">
      <h2>API tokens</h2>
      {created ? (
        <div class="alert alert-ok" role="status">
          Token <strong safe>{created.name}</strong> created. Copy it now — it is not shown again:
          <pre class="token" safe>
            {created.token}
          </pre>
        </div>
      ) : (
        ""
      )}
      {tokens.length === 0 ? (
        <p class="muted">
          No tokens. Scripts and the original client authenticate with{" "}
          <code>{"Authorization: Bearer &lt;token&gt;"}</code>.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span class="sr-only">Revoke</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr>
                  <td safe>{t.name}</td>
                  <td safe>{t.createdAt}</td>
                  <td safe>{t.lastUsedAt ?? "never"}</td>
                  <td>
                    <button
                      class="btn btn-ghost btn-small"
                      hx-post={`/settings/tokens/${encodeURIComponent(t.name)}/revoke`}
                      hx-target="#tokens"
                      hx-swap="outerHTML"
                      hx-confirm={`Revoke ${t.name}? Clients using it stop working at once.`}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="inline-form" hx-post="/settings/tokens" hx-target="#tokens" hx-swap="outerHTML">
        <label>
          New token name <input name="name" maxlength="40" required placeholder="e.g. tradingview" />
        </label>
        <button class="btn" type="submit">
          Create token
        </button>
      </form>
      <NoticeLine n={notice} />
    </section>
  );
}

export function ArchiveSection({
  archive,
}: {
  archive: { dataset: string; historical: boolean; symbols: SymbolArchiveStatus[] };
}) {
  return (
    <section
      class="card card-span2"
      id="archive"
      aria-label="Archive"
      hx-get="/settings/archive"
      hx-trigger="every 5s"
      hx-swap="outerHTML"
    >
      <h2>
        1-minute archive{" "}
        <span
          class="muted small"
          safe
        >{`${archive.dataset}${archive.historical ? "" : " · no Historical access: built from the live feed only"}`}</span>
      </h2>
      <div class="table-wrap">
        <table class="table num">
          <thead>
            <tr>
              <th>Symbol</th>
              <th>Backfill</th>
              <th>Progress</th>
              <th>Bars</th>
              <th>Newest bar (CT)</th>
            </tr>
          </thead>
          <tbody>
            {archive.symbols.map((s) => (
              <tr>
                <td safe>{s.symbol}</td>
                <td title={s.message ?? ""}>{s.phase}</td>
                <td>
                  <progress
                    max="100"
                    value={String(Math.round(s.progress * 100))}
                    aria-label={`${s.symbol} backfill progress`}
                  ></progress>
                </td>
                <td>{s.bars}</td>
                <td>
                  {s.lastBarMs
                    ? new Intl.DateTimeFormat("en-CA", {
                        timeZone: "America/Chicago",
                        dateStyle: "short",
                        timeStyle: "short",
                        hour12: false,
                      }).format(new Date(s.lastBarMs))
                    : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        Symbols: <code>ARCHIVE_SYMBOLS</code>; lookback: <code>ARCHIVE_BACKFILL_DAYS</code>. Export:{" "}
        <code>{"/api/v1/market/&lt;symbol&gt;/bars?from=…&amp;format=csv|dbn"}</code>.
      </p>
    </section>
  );
}

export function DefaultsSection({
  rows,
}: {
  rows: { root: string; name: string; d: SymbolDefaults; saved: boolean }[];
}) {
  const dist = (t: { unit: string; value?: number; multiplier?: number } | undefined) =>
    !t
      ? "—"
      : t.unit === "atr"
        ? `ATR × ${t.multiplier}`
        : t.unit === "ticks"
          ? `${t.value} ticks`
          : `${(t.value ?? 0) / 1e9} pts`;
  return (
    <section class="card card-wide" id="defaults" aria-label="Per-symbol defaults">
      <h2>Per-symbol defaults</h2>
      <p class="muted small">
        What a new trade on a symbol starts with. Edit them on the desk while flat (the stop, take-profit and timer
        panels say “for the next trade”).
      </p>
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              <th>Symbol</th>
              <th>Qty</th>
              <th>Stop</th>
              <th>Trail by</th>
              <th>TP levels</th>
              <th>Timer</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td>
                  <strong safe>{r.root}</strong>{" "}
                  <span class="muted small" safe>
                    {r.name}
                  </span>
                </td>
                <td>{r.d.qty}</td>
                <td>{r.d.stop ? `${r.d.stop.kind} ${dist(r.d.stop.initial)}` : "none"}</td>
                <td safe>{dist(r.d.stop?.trailBy)}</td>
                <td>{r.d.ladder.length}</td>
                <td>{r.d.timer ? `${r.d.timer.seconds / 60} min → ${r.d.timer.action}` : "off"}</td>
                <td>
                  <a href={`/desk?symbol=${encodeURIComponent(r.root)}`}>Edit on desk</a>
                  {r.saved ? "" : <span class="muted small"> (catalogue default)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export interface SettingsProps {
  user: NonNullable<LayoutProps["user"]>;
  prefs: { value: Prefs; version: number };
  accounts: AccountRow[];
  keys: { live: string | null; archive: string | null };
  feed: string;
  tokens: { name: string; createdAt: string; lastUsedAt: string | null }[];
  archive: { dataset: string; historical: boolean; symbols: SymbolArchiveStatus[] };
  defaults: { root: string; name: string; d: SymbolDefaults; saved: boolean }[];
  /** May change the server-wide Databento keys. */
  admin: boolean;
}

export function SettingsPage(p: SettingsProps) {
  return (
    <Layout title="Settings" user={p.user} active="settings">
      <div class="grid">
        <PrefsSection prefs={p.prefs.value} version={p.prefs.version} />
        <ExecutionSection accounts={p.accounts} />
        <KeysSection keys={p.keys} feed={p.feed} admin={p.admin} />
        <TokensSection tokens={p.tokens} />
        <ArchiveSection archive={p.archive} />
        <DefaultsSection rows={p.defaults} />
      </div>
    </Layout>
  );
}
