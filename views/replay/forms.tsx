import { Html } from "@elysiajs/html";
import { Table } from "../table";
import { ctTime } from "../../src/shared/format";
import type { ReplayPageProps } from "./props";
import { hxPost } from "../htmx";

/**
 * A time typed in the browser's zone. Rendered as the server's local time; the page script
 * (`data-local-time`) shows it in the browser's and keeps the hidden `into` field in epoch ms.
 */
function LocalTime(p: { label: string; name: string; ms: number; into: string }) {
  const local = new Date(p.ms - new Date(p.ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  return (
    <label>
      {Html.escapeHtml(p.label)} (your time)
      <input type="datetime-local" name={p.name} value={local} required data-local-time={p.into} />
    </label>
  );
}

/** The ways to start a replay (archive, upload, Databento download) and the stored files: the page's part htmx re-renders. */
export function ReplayForms(p: Omit<ReplayPageProps, "user" | "sessions">) {
  const to = p.archive.newestMs ?? Date.now();
  const from = to - 3 * 3_600_000;
  return (
    <div id="replay-forms" class="grid">
      <section class="card" aria-label="Replay the archive">
        <h2>From the archive</h2>
        <p
          class="muted small"
          safe
        >{`1-minute bars (${p.archive.dataset}), played as four prints per bar: open, the nearer extreme, the other, close.`}</p>
        <form class="grid-form" {...hxPost("/replay/new", "#replay-forms")} data-local-times>
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
          <LocalTime label="From" name="from" ms={from} into="fromMs" />
          <LocalTime label="To" name="to" ms={to} into="toMs" />
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
        <form class="grid-form" {...hxPost("/replay/upload", "#replay-forms")} hx-encoding="multipart/form-data">
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
          <form class="grid-form" {...hxPost("/replay/quote", "#replay-forms")} data-local-times>
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
            <LocalTime label="From" name="from" ms={p.quote?.startMs ?? from} into="startMs" />
            <LocalTime label="To" name="to" ms={p.quote?.endMs ?? to} into="endMs" />
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
            {...hxPost("/replay/download", "#replay-forms")}
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
          <Table
            class="table num"
            head={
              <>
                <th>File</th>
                <th>Schema</th>
                <th>Symbols</th>
                <th>From (CT)</th>
                <th>To (CT)</th>
                <th>Records</th>
                <th>Size</th>
                <th>Cost</th>
                <th></th>
              </>
            }
          >
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
                    type="button"
                    class="btn"
                    {...hxPost("/replay/new", "#replay-forms")}
                    hx-vals={JSON.stringify({ source: "file", fileId: f.id })}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </Table>
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
