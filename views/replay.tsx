import { Html } from "@elysiajs/html";
import type { ReplaySummary } from "../src/replay/replay-session";
import { Layout, type LayoutProps } from "./layout";

const CT = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Chicago",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
export const ctTime = (ms: number) => `${CT.format(new Date(ms)).replace(",", "")} CT`;
const money = (v: number) =>
  `${v < 0 ? "-" : ""}$${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const tone = (v: number) => (v > 0 ? "long" : v < 0 ? "short" : "");

export interface ReplayPanelProps {
  id: number;
  account: string;
  description: string;
  state: string;
  speed: number | "max";
  nowMs: number;
  startMs: number;
  endMs: number;
  progress: number;
  summary: ReplaySummary | null;
  error?: string;
}

const SPEED_OPTIONS: (number | "max")[] = [1, 2, 5, 10, 60, 600, "max"];

function Control({
  id,
  action,
  label,
  extra,
  primary,
}: {
  id: number;
  action: string;
  label: string;
  extra?: Record<string, string>;
  primary?: boolean;
}) {
  return (
    <button
      type="button"
      class={`btn ${primary ? "btn-primary" : ""}`}
      hx-post={`/replay/${id}/control`}
      hx-vals={JSON.stringify({ action, ...extra })}
      hx-target="#player"
      hx-swap="outerHTML"
      safe
    >
      {label}
    </button>
  );
}

/** The player: play/pause, speed, step, seek, progress and the replay clock; desk.js keeps the moving parts current. */
export function ReplayPanel(p: ReplayPanelProps) {
  const ended = p.state === "ended";
  return (
    // "ending": the tape is over but its exits and summary are not stored yet, so a browser whose
    // frames say "ended" loads the panel again until the summary is there.
    <section
      id="player"
      class="card player"
      aria-label="Replay player"
      data-state={ended && !p.summary ? "ending" : p.state}
    >
      <div class="player-row">
        {p.state === "playing" ? (
          <Control id={p.id} action="pause" label="Pause" primary />
        ) : ended ? (
          ""
        ) : (
          <Control id={p.id} action="play" label="Play" primary />
        )}
        <Control id={p.id} action="step" label="Step print" extra={{ unit: "record" }} />
        <Control id={p.id} action="step" label="Step minute" extra={{ unit: "bar" }} />
        <label class="inline">
          Speed
          <select
            name="speed"
            hx-post={`/replay/${p.id}/control`}
            hx-vals='{"action":"speed"}'
            hx-trigger="change"
            hx-target="#player"
            hx-swap="outerHTML"
          >
            {SPEED_OPTIONS.map((v) => (
              <option value={String(v)} selected={p.speed === v} safe>
                {v === "max" ? "as fast as possible" : `${v}×`}
              </option>
            ))}
          </select>
        </label>
        <form
          class="seek"
          hx-post={`/replay/${p.id}/control`}
          hx-target="#player"
          hx-swap="outerHTML"
          hx-trigger="change"
        >
          <input type="hidden" name="action" value="seek" />
          <label class="inline">
            Seek
            <input
              type="range"
              name="toMs"
              min={String(p.startMs)}
              max={String(p.endMs)}
              step="60000"
              value={String(p.nowMs)}
              data-replay-seek
              aria-valuetext={ctTime(p.nowMs)}
            />
          </label>
        </form>
        <Control id={p.id} action="close" label="Close replay" />
      </div>
      <div class="player-row">
        <progress
          max="1000"
          value={String(Math.round(p.progress * 1000))}
          data-replay-progress
          aria-label="Replay progress"
        ></progress>
        <span class="num" data-replay-clock safe>
          {ctTime(p.nowMs)}
        </span>
        <span class={`badge badge-${ended ? "filled" : "replay"}`} safe>
          {p.state}
        </span>
        <span class="muted small" safe>{`${ctTime(p.startMs)} → ${ctTime(p.endMs)}`}</span>
      </div>
      {p.error ? (
        <p class="alert alert-error field-error" role="alert" safe>
          {p.error}
        </p>
      ) : (
        ""
      )}
      {p.summary && ended ? <Summary s={p.summary} /> : ""}
    </section>
  );
}

export function Summary({ s }: { s: ReplaySummary }) {
  return (
    <div class="replay-summary" data-replay-summary role="region" aria-label="Replay summary">
      <h3>Summary</h3>
      <div class="stats">
        <div class="stat">
          <span class="muted">Trades</span>
          <strong>{s.trades}</strong>
        </div>
        <div class="stat">
          <span class="muted">Net P&amp;L</span>
          <strong class={tone(s.net)} safe>
            {money(s.net)}
          </strong>
        </div>
        <div class="stat">
          <span class="muted">Won / lost</span>
          <strong safe>{`${s.wins} / ${s.losses}`}</strong>
        </div>
        <div class="stat">
          <span class="muted">Exits</span>
          <strong class="small" safe>
            {Object.entries(s.exitReasons)
              .map(([k, n]) => `${k} ${n}`)
              .join(" · ") || "—"}
          </strong>
        </div>
      </div>
      {s.byTrade.length ? (
        <div class="table-wrap">
          <table class="table num">
            <thead>
              <tr>
                <th>Symbol</th>
                <th>Side</th>
                <th>Qty</th>
                <th>Entry</th>
                <th>Exit</th>
                <th>Net</th>
                <th class="reasons">Why it ended</th>
              </tr>
            </thead>
            <tbody>
              {s.byTrade.map((t) => (
                <tr>
                  <td safe>{t.symbol}</td>
                  <td class={t.side === "long" ? "long" : "short"} safe>
                    {t.side}
                  </td>
                  <td>{t.qty}</td>
                  <td>{t.entry}</td>
                  <td>{t.exit}</td>
                  <td class={tone(t.net)} safe>
                    {money(t.net)}
                  </td>
                  <td class="reasons" safe>
                    {t.reasons.join(" · ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No trades in this replay.</p>
      )}
      <p class="small">
        <a href="/journal?tag=replay">In the journal (tagged replay)</a>
      </p>
    </div>
  );
}

export interface ReplayPageProps {
  user: NonNullable<LayoutProps["user"]>;
  archive: { dataset: string; symbols: string[]; newestMs: number | null };
  historical: boolean;
  files: {
    id: number;
    kind: string;
    name: string;
    schema: string;
    symbols: string[];
    startMs: number;
    endMs: number;
    records: number;
    bytes: number;
    cost: number | null;
  }[];
  sessions: {
    id: number;
    account: string;
    description: string;
    state: string;
    open: boolean;
    summary: ReplaySummary | null;
    createdAt: string;
  }[];
  notice?: { ok: boolean; message: string };
  quote?: { schema: string; symbols: string; startMs: number; endMs: number; cost: number; dataset: string };
}

export function ReplayForms(p: Omit<ReplayPageProps, "user" | "sessions">) {
  const to = p.archive.newestMs ?? Date.now();
  const from = to - 3 * 3_600_000;
  const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  return (
    <div id="replay-forms" class="grid">
      <section class="card" aria-label="Replay the archive">
        <h2>From the archive</h2>
        <p
          class="muted small"
          safe
        >{`1-minute bars (${p.archive.dataset}), played as four prints per bar: open, the nearer extreme, the other, close.`}</p>
        <form class="grid-form" hx-post="/replay/new" hx-target="#replay-forms" hx-swap="outerHTML" data-local-times>
          <input type="hidden" name="source" value="archive" />
          <label class="span-all">
            Symbols
            <select name="symbols" multiple="multiple" size="4" required aria-label="Symbols to replay">
              {p.archive.symbols.map((s, i) => (
                <option value={s} selected={i === 0} safe>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            From (your time)
            <input type="datetime-local" name="from" value={local(from)} required data-local-time="fromMs" />
          </label>
          <label>
            To (your time)
            <input type="datetime-local" name="to" value={local(to)} required data-local-time="toMs" />
          </label>
          <input type="hidden" name="fromMs" value={String(from)} />
          <input type="hidden" name="toMs" value={String(to)} />
          <p class="span-all muted small" data-exchange-time>
            Times are in your browser's time zone; the replay shows exchange time (CT).
          </p>
          <div class="row-buttons">
            <button class="btn btn-primary" type="submit">
              Start replay
            </button>
          </div>
        </form>
      </section>
      <section class="card" aria-label="Upload a DBN file">
        <h2>Upload a DBN file</h2>
        <p class="muted small">
          Trades, MBP-1/TBBO, TCBBO, BBO/CBBO-1s/1m (top of book only: they carry no trades, so nothing prints) or
          OHLCV; plain or zstd (<code>.dbn</code>, <code>.dbn.zst</code>), up to 100 MB. Kept for re-use below.
        </p>
        <form
          class="grid-form"
          hx-post="/replay/upload"
          hx-encoding="multipart/form-data"
          hx-target="#replay-forms"
          hx-swap="outerHTML"
        >
          <label class="span-all">
            File
            <input type="file" name="file" accept=".dbn,.zst,.dbn.zst" required />
          </label>
          <div class="row-buttons">
            <button class="btn" type="submit">
              Upload
            </button>
          </div>
        </form>
      </section>
      <section class="card" aria-label="Download from Databento">
        <h2>Download from Databento</h2>
        {p.historical ? (
          <form
            class="grid-form"
            hx-post="/replay/quote"
            hx-target="#replay-forms"
            hx-swap="outerHTML"
            data-local-times
          >
            <label>
              Schema
              <select name="schema">
                {["trades", "mbp-1", "tbbo", "bbo-1s", "bbo-1m", "ohlcv-1s", "ohlcv-1m"].map((s) => (
                  <option value={s} selected={s === (p.quote?.schema ?? "trades")} safe>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Symbols
              <input name="symbols" value={p.quote?.symbols ?? "MES"} placeholder="MES, MNQ" required />
            </label>
            <label>
              From (your time)
              <input
                type="datetime-local"
                name="from"
                value={local(p.quote?.startMs ?? from)}
                required
                data-local-time="startMs"
              />
            </label>
            <label>
              To (your time)
              <input
                type="datetime-local"
                name="to"
                value={local(p.quote?.endMs ?? to)}
                required
                data-local-time="endMs"
              />
            </label>
            <input type="hidden" name="startMs" value={String(p.quote?.startMs ?? from)} />
            <input type="hidden" name="endMs" value={String(p.quote?.endMs ?? to)} />
            <p class="span-all muted small" data-exchange-time>
              Times are in your browser's time zone.
            </p>
            <div class="row-buttons">
              <button class="btn" type="submit">
                Get the cost
              </button>
            </div>
          </form>
        ) : (
          <p class="muted">Needs a Databento key (Settings).</p>
        )}
        {p.quote ? (
          <form
            class="confirm-cost"
            hx-post="/replay/download"
            hx-target="#replay-forms"
            hx-swap="outerHTML"
            role="group"
            aria-label="Confirm the download"
          >
            <input type="hidden" name="schema" value={p.quote.schema} />
            <input type="hidden" name="symbols" value={p.quote.symbols} />
            <input type="hidden" name="startMs" value={String(p.quote.startMs)} />
            <input type="hidden" name="endMs" value={String(p.quote.endMs)} />
            <input type="hidden" name="confirmCost" value={String(p.quote.cost)} />
            <p>
              <span
                safe
              >{`${p.quote.schema} ${p.quote.symbols}, ${ctTime(p.quote.startMs)} → ${ctTime(p.quote.endMs)} from ${p.quote.dataset}: `}</span>
              <strong safe>{`$${p.quote.cost.toFixed(2)}`}</strong>
            </p>
            <button class="btn btn-primary" type="submit" safe>{`Download for $${p.quote.cost.toFixed(2)}`}</button>
            <progress max="1000" value="0" data-download-progress aria-label="Download progress" hidden></progress>
          </form>
        ) : (
          ""
        )}
      </section>
      <section class="card card-wide" aria-label="Files">
        <h2>Files</h2>
        {p.files.length === 0 ? (
          <p class="muted">No uploaded or downloaded files yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="table num">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Schema</th>
                  <th>Symbols</th>
                  <th>From (CT)</th>
                  <th>To (CT)</th>
                  <th>Records</th>
                  <th>Size</th>
                  <th>Cost</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.files.map((f) => (
                  <tr>
                    <td class="text" safe>
                      {f.name}
                    </td>
                    <td safe>{f.schema}</td>
                    <td safe>{f.symbols.join(", ")}</td>
                    <td safe>{ctTime(f.startMs)}</td>
                    <td safe>{ctTime(f.endMs)}</td>
                    <td safe>{f.records.toLocaleString("en-US")}</td>
                    <td safe>{`${(f.bytes / 1024 / 1024).toFixed(1)} MB`}</td>
                    <td safe>{f.cost === null ? "—" : `$${f.cost.toFixed(2)}`}</td>
                    <td>
                      <button
                        class="btn"
                        hx-post="/replay/new"
                        hx-vals={JSON.stringify({ source: "file", fileId: f.id })}
                        hx-target="#replay-forms"
                        hx-swap="outerHTML"
                      >
                        Replay
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {p.notice ? (
        <p
          class={`card-wide alert ${p.notice.ok ? "alert-ok" : "alert-error"}`}
          role={p.notice.ok ? "status" : "alert"}
          safe
        >
          {p.notice.message}
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export function ReplayPage(p: ReplayPageProps) {
  return (
    <Layout
      title="Replay"
      user={p.user}
      active="replay"
      banner="REPLAY — practice on history. Replays trade in their own accounts; nothing here reaches live trading."
      scripts={["/static/js/replay.js"]}
    >
      <ReplayForms {...p} />
      <section class="card sessions" aria-label="Replays">
        <h2>Replays</h2>
        {p.sessions.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Account</th>
                  <th>Source</th>
                  <th>State</th>
                  <th>Result</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.sessions.map((s) => (
                  <tr>
                    <td>{s.id}</td>
                    <td safe>{s.account}</td>
                    <td class="text" safe>
                      {s.description}
                    </td>
                    <td safe>{s.state}</td>
                    <td class={s.summary ? tone(s.summary.net) : ""}>
                      {s.summary ? <span safe>{`${s.summary.trades} trades, ${money(s.summary.net)}`}</span> : "—"}
                    </td>
                    <td>
                      {s.open ? (
                        <a class="btn" href={`/desk?account=${encodeURIComponent(s.account)}`}>
                          Open desk
                        </a>
                      ) : (
                        ""
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  );
}
