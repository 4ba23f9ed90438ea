import { Html } from "@elysiajs/html";
import { Table } from "./table";
import { money, tone } from "../src/shared/format";
import { Layout } from "./layout";
import type { ReplayPageProps } from "./replay/props";
import { ReplayForms } from "./replay/forms";

export { ReplayForms } from "./replay/forms";
export { ReplayPanel, type ReplayPanelProps } from "./replay/player";
export { Summary } from "./replay/summary";
export type { ReplayPageProps } from "./replay/props";

export function ReplayPage(p: ReplayPageProps) {
  return (
    <Layout
      title="Replay"
      user={p.user}
      active="replay"
      banner="REPLAY — practice on history. Replays trade in their own accounts; nothing here reaches live trading."
      modules={["/static/js/replay.js"]}
    >
      <ReplayForms {...p} />
      <section class="card sessions" aria-label="Replays">
        <h2>Replays</h2>
        {p.sessions.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <Table
            class="table"
            head={
              <>
                <th>#</th>
                <th>Account</th>
                <th>Source</th>
                <th>State</th>
                <th>Result</th>
                <th></th>
              </>
            }
          >
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
          </Table>
        )}
      </section>
    </Layout>
  );
}
