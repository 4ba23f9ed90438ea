import { Html } from "@elysiajs/html";
import type { ReplaySummary } from "../../src/replay/replay-session";
import { money, tone } from "../../src/shared/format";

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
