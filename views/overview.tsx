import { Html } from "@elysiajs/html";
import { Layout } from "./layout";

export interface OverviewAccount {
  name: string;
  kind: string;
  orders: { symbol: string; action: string; quantity: number; entry: string; openedAt: string; stop: string }[];
  levels: { symbol: string; index: number; enabled: boolean; quantity: number; target: string; price: string; hit: boolean }[];
}

export interface OverviewProps {
  user: { username: string; csrfToken: string };
  accounts: OverviewAccount[];
  events: { at: string; actor: string; symbol: string; reason: string }[];
}

export function OverviewPage({ user, accounts, events }: OverviewProps) {
  return (
    <Layout title="Overview" user={user} active="overview">
      <div class="grid">
        {accounts.map((a) => (
          <section class="card" aria-label={`${a.name} account`}>
            <h2>
              <span safe>{a.name}</span> <span class={`badge badge-${a.kind}`} safe>{a.kind}</span>
            </h2>
            {a.orders.length === 0 ? (
              <p class="muted">No open trades.</p>
            ) : (
              <div class="table-wrap"><table class="table num">
                <thead>
                  <tr><th>Symbol</th><th>Side</th><th>Qty</th><th>Entry</th><th>Stop</th><th>Opened (UTC)</th></tr>
                </thead>
                <tbody>
                  {a.orders.map((o) => (
                    <tr>
                      <td safe>{o.symbol}</td>
                      <td class={o.action === "buy" ? "long" : "short"}>{o.action === "buy" ? "Long" : "Short"}</td>
                      <td>{o.quantity}</td>
                      <td safe>{o.entry}</td>
                      <td safe>{o.stop}</td>
                      <td safe>{o.openedAt}</td>
                    </tr>
                  ))}
                </tbody>
              </table></div>
            )}
            {a.levels.length === 0 ? (
              ""
            ) : (
              <>
                <h3>Take-profit levels</h3>
                <div class="table-wrap"><table class="table num">
                  <thead>
                    <tr><th>Symbol</th><th>#</th><th>Qty</th><th>Target (pts)</th><th>Price</th><th>Status</th></tr>
                  </thead>
                  <tbody>
                    {a.levels.map((l) => (
                      <tr>
                        <td safe>{l.symbol}</td>
                        <td>{l.index + 1}</td>
                        <td>{l.quantity}</td>
                        <td safe>{l.target}</td>
                        <td safe>{l.price}</td>
                        <td>{l.hit ? <span class="badge badge-filled">hit</span> : l.enabled ? "armed" : <span class="muted">off</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table></div>
              </>
            )}
          </section>
        ))}
        <section class="card card-wide" aria-label="Recent activity">
          <h2>Recent activity</h2>
          {events.length === 0 ? (
            <p class="muted">Nothing yet. Orders placed through the API appear here with their reasons.</p>
          ) : (
            <ol class="log">
              {events.map((e) => (
                <li>
                  <time class="num muted" safe>{e.at}</time> <strong safe>{e.symbol}</strong> <span safe>{e.reason}</span>{" "}
                  <span class="muted" safe>— {e.actor}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </Layout>
  );
}
