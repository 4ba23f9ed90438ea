import { Html } from "@elysiajs/html";
import { Table } from "./table";
import { clockCT } from "../src/shared/exchange-time";
import { countdown, money, tone } from "../src/shared/format";
import type { PositionView } from "../src/trading/position-view";
import type { RiskView } from "../src/trading/risk-service";
import { Layout, type LayoutProps } from "./layout";
import { KillSwitch } from "./settings/risk";

export interface PositionsProps {
  user: NonNullable<LayoutProps["user"]>;
  accounts: {
    name: string;
    kind: string;
    /** Today's realized and open P&L and a risk lock (live and paper accounts). */
    day?: RiskView["day"];
    positions: (PositionView & { decimals: number; pointValue: number })[];
  }[];
  events: { at: string; actor: string; symbol: string; reason: string }[];
}

/** An account's day: realized (net) and open P&L, the total, and a risk lock. */
function AccountTotals({ day }: { day?: RiskView["day"] }) {
  if (!day) return "";
  const total = day.realized + day.open;
  return (
    <p class="account-totals">
      <span>
        Today{" "}
        <strong class={tone(total)} data-day-total safe>
          {money(total)}
        </strong>
      </span>
      <span class="muted">
        realized{" "}
        <span class={tone(day.realized)} safe>
          {money(day.realized)}
        </span>
      </span>
      <span class="muted">
        open{" "}
        <span class={tone(day.open)} safe>
          {money(day.open)}
        </span>
      </span>
      {day.lock ? (
        <span class="badge badge-failed" title={day.lock.reason} safe>
          {`locked until ${clockCT(day.untilMs)}`}
        </span>
      ) : (
        ""
      )}
    </p>
  );
}

/** The body of the positions page, refreshed whenever a position of the user changes. */
export function PositionsBody({ accounts, events }: Omit<PositionsProps, "user">) {
  return (
    <div class="grid" id="positions" data-live-refresh="/positions/body">
      {accounts.map((a) => (
        <section class={a.positions.length ? "card card-wide" : "card"} aria-label={`${a.name} account`}>
          <h2>
            <span safe>{a.name}</span>{" "}
            <span class={`badge badge-${a.kind}`} safe>
              {a.kind}
            </span>
            {a.positions.length === 0 ? "" : <span class="muted small">{a.positions.length} open</span>}
          </h2>
          <AccountTotals day={a.day} />
          {a.positions.length === 0 ? (
            <p class="muted">No open trades.</p>
          ) : (
            <Table
              class="table num"
              head={
                <>
                  <th>Symbol</th>
                  <th>Side</th>
                  <th>Qty</th>
                  <th>P&amp;L</th>
                  {/* A phone keeps the columns that matter (positions.css): P&L, stop and timer. */}
                  <th class="wide-only">Entry</th>
                  <th class="wide-only">Last</th>
                  <th>Stop</th>
                  <th class="wide-only">TPs</th>
                  <th>Timer</th>
                </>
              }
            >
              {a.positions.map((p) => (
                <tr
                  class={p.unprotected ? "row-unprotected" : undefined}
                  data-symbol={p.symbol}
                  data-side={p.side ?? ""}
                  data-qty={String(p.qty)}
                  data-avg={p.avgEntry === null ? "" : String(p.avgEntry)}
                  data-point-value={String(p.pointValue)}
                  data-decimals={String(p.decimals)}
                >
                  <td>
                    <a href={`/desk?account=${encodeURIComponent(a.name)}&symbol=${encodeURIComponent(p.symbol)}`} safe>
                      {p.symbol}
                    </a>
                    {p.unprotected ? (
                      <>
                        {" "}
                        <span
                          class="badge badge-unprotected"
                          title={`${p.unprotected.reason}: stops and take-profits cannot fire; exits still work`}
                          safe
                        >{`unprotected since ${clockCT(p.unprotected.sinceMs)}`}</span>
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td class={p.side === "long" ? "long" : "short"}>{p.side === "long" ? "Long" : "Short"}</td>
                  <td>{p.qty}</td>
                  <td data-pnl class={tone(p.unrealized)} safe>
                    {money(p.unrealized)}
                  </td>
                  <td class="wide-only" safe>
                    {p.avgEntry === null ? "—" : p.avgEntry.toFixed(p.decimals)}
                  </td>
                  <td class="wide-only" data-last safe>
                    {p.lastPrice === null ? "—" : p.lastPrice.toFixed(p.decimals)}
                  </td>
                  <td>{p.stop ? `${p.stop.price.toFixed(p.decimals)}${p.stop.trailing ? " trail" : ""}` : "—"}</td>
                  <td class="wide-only">
                    {p.ladder.length
                      ? p.ladder
                          .map(
                            (l) =>
                              `${l.qty}@${l.price.toFixed(p.decimals)}${l.status === "filled" ? "✓" : l.enabled || l.status === "pending" ? "" : " off"}`,
                          )
                          .join(" ")
                      : "—"}
                  </td>
                  <td>
                    {p.timer ? (
                      p.timer.phase === "running" ? (
                        <>
                          <span class="num" data-deadline={String(p.timer.deadlineMs)} safe>
                            {countdown(p.timer.deadlineMs, Date.now())}
                          </span>{" "}
                          <span class="muted wide-only" safe>{`→ ${p.timer.action}`}</span>
                        </>
                      ) : (
                        <span safe>{`${p.timer.action} (${p.timer.phase})`}</span>
                      )
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      ))}
      <section class="card card-wide" aria-label="Recent activity">
        <h2>Recent activity</h2>
        {events.length === 0 ? (
          <p class="muted">
            Nothing yet. Trades from the desk, the API and the automatic rules appear here with their reasons.
          </p>
        ) : (
          <ol class="log">
            {events.map((e) => (
              <li>
                <time class="num muted" safe>
                  {e.at}
                </time>{" "}
                <strong safe>{e.symbol}</strong> <span safe>{e.reason}</span>{" "}
                <span class="muted" safe>
                  — {e.actor}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

export function PositionsPage(props: PositionsProps) {
  return (
    <Layout
      title="Positions"
      user={props.user}
      active="overview"
      scripts={["/static/js/live-refresh.js"]}
      modules={["/static/js/positions.js"]}
    >
      <div class="page-actions">
        <KillSwitch target="#kill-result" line />
        <p id="kill-result" hidden></p>
      </div>
      <PositionsBody accounts={props.accounts} events={props.events} />
    </Layout>
  );
}
