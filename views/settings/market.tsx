import { Html } from "@elysiajs/html";
import { Table } from "../table";
import type { SymbolArchiveStatus } from "../../src/market-data/archive/archive-service";
import type { SymbolDefaults } from "../../src/trading/settings-service";
import { ctShort } from "../../src/shared/format";

/* The 1-minute archive's state and the per-symbol defaults. */
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
      <Table
        class="table num"
        head={
          <>
            <th>Symbol</th>
            <th>Backfill</th>
            <th>Progress</th>
            <th>Bars</th>
            <th>Newest bar (CT)</th>
          </>
        }
      >
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
            <td>{s.lastBarMs ? ctShort(s.lastBarMs) : "—"}</td>
          </tr>
        ))}
      </Table>
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
      <Table
        class="table"
        head={
          <>
            <th>Symbol</th>
            <th>Qty</th>
            <th>Stop</th>
            <th>Trail by</th>
            <th>TP levels</th>
            <th>Timer</th>
            <th></th>
          </>
        }
      >
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
      </Table>
    </section>
  );
}
