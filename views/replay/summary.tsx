import { Html } from "@elysiajs/html";
import { Table } from "../table";
import type { ReplaySummary } from "../../src/replay/replay-session";
import { money, tone } from "../../src/shared/format";
import { TradeCells, TradeHeads } from "../trade-columns";

/** What a finished replay came to; shown in the player once its exits are stored. */
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
        <Table class="table num" head={<TradeHeads />}>
          {s.byTrade.map((t) => (
            <tr>
              <TradeCells t={{ ...t, sideText: t.side, entry: String(t.entry), exit: String(t.exit) }} />
            </tr>
          ))}
        </Table>
      ) : (
        <p class="muted">No trades in this replay.</p>
      )}
      <p class="small">
        <a href="/journal?tag=replay">In the journal (tagged replay)</a>
      </p>
    </div>
  );
}
