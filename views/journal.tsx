import { Html } from "@elysiajs/html";
import { Table } from "./table";
import type { TradingService } from "../src/trading/trading-service";
import { instrumentByRoot, priceDecimals } from "../src/market-data/instruments/catalogue";
import { money, tone } from "../src/shared/format";
import type { JournalPictures } from "../src/trading/journal-pictures";
import { Layout, type LayoutProps } from "./layout";
import { TradeCells, TradeHeads } from "./trade-columns";

type Journal = Awaited<ReturnType<TradingService["journal"]>>;

export interface JournalProps {
  user: NonNullable<LayoutProps["user"]>;
  journal: Journal;
  filter: { account?: string; symbol?: string; from?: string; to?: string; tag?: string };
  accounts: string[];
  csvHref: string;
  pictures: JournalPictures;
}

/** On the instrument's tick grid (an averaged entry or exit to the nearest tick; the exact one is in the CSV). */
const price = (v: number, symbol: string) => {
  const inst = instrumentByRoot(symbol);
  if (!inst) return String(v);
  const tick = Number(inst.tickSize) / 1e9;
  return (Math.round(v / tick) * tick).toFixed(priceDecimals(inst));
};

const CHARTS = [
  { key: "equity", title: "Equity curve", what: "running net P&L after each closed trade" },
  { key: "byCause", title: "By exit reason", what: "net P&L by what closed the trade" },
  { key: "byHour", title: "By hour (CT)", what: "net P&L by the hour the trade closed" },
  { key: "bySymbol", title: "By symbol", what: "net P&L by symbol" },
] as const;

/** The journal's pictures (uPlot, drawn by journal.js from the data attribute). */
function Pictures({ pictures }: { pictures: JournalPictures }) {
  if (!pictures.equity.t.length) return "";
  return (
    <section class="journal-pictures" aria-label="Pictures" data-pictures={JSON.stringify(pictures)}>
      {CHARTS.map((c) => (
        <figure class="card journal-chart">
          <figcaption>{c.title}</figcaption>
          <div data-journal-chart={c.key} role="img" aria-label={`${c.title}: ${c.what}`} />
        </figure>
      ))}
    </section>
  );
}

export function JournalBody({ journal, filter, accounts, csvHref, pictures }: Omit<JournalProps, "user">) {
  const s = journal.summary;
  return (
    <div class="journal" id="journal" data-live-refresh="/journal/body">
      <form class="card filters" method="get" action="/journal" aria-label="Filters">
        <label>
          Trades
          <select name="tag">
            <option value="">live and paper</option>
            <option value="replay" selected={filter.tag === "replay"}>
              replay (practice)
            </option>
          </select>
        </label>
        <label>
          Account
          <select name="account">
            <option value="">all</option>
            {accounts.map((a) => (
              <option value={a} selected={filter.account === a} safe>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Symbol <input name="symbol" value={filter.symbol ?? ""} placeholder="any" maxlength="12" />
        </label>
        <label>
          From <input name="from" type="date" value={filter.from ?? ""} />
        </label>
        <label>
          To <input name="to" type="date" value={filter.to ?? ""} />
        </label>
        <button class="btn" type="submit">
          Filter
        </button>
        <a class="btn btn-ghost" href={csvHref} download="journal.csv">
          Export CSV
        </a>
      </form>
      <section class="stats" aria-label="Summary">
        <div class="card stat">
          <span class="muted">Trades</span>
          <strong>{s.trades}</strong>
        </div>
        <div class="card stat">
          <span class="muted">Net P&amp;L</span>
          <strong class={tone(s.net)} safe>
            {money(s.net)}
          </strong>
        </div>
        <div class="card stat">
          <span class="muted">Win rate</span>
          <strong safe>{s.winRate === null ? "—" : `${s.winRate}%`}</strong>
        </div>
        <div class="card stat">
          <span class="muted">Profit factor</span>
          <strong safe>{s.profitFactor === null ? "—" : String(s.profitFactor)}</strong>
        </div>
        <div class="card stat">
          <span class="muted">Avg win / loss</span>
          <strong safe>{`${money(s.avgWin)} / ${money(s.avgLoss)}`}</strong>
        </div>
      </section>
      <Pictures pictures={pictures} />
      <section class="card" aria-label="Closed trades">
        <h2>Closed trades</h2>
        {journal.trades.length === 0 ? (
          <p class="muted">No closed trades for this filter yet.</p>
        ) : (
          <Table
            class="table num"
            head={
              <>
                <th>Closed (CT)</th>
                <th>Account</th>
                <TradeHeads />
              </>
            }
          >
            {journal.trades.map((t) => (
              <tr>
                <td safe>{t.closedAt}</td>
                <td safe>{t.account}</td>
                <TradeCells
                  t={{
                    ...t,
                    sideText: t.side === "long" ? "Long" : "Short",
                    entry: price(t.entry, t.symbol),
                    exit: price(t.exit, t.symbol),
                    reasons: t.exitReasons,
                  }}
                />
              </tr>
            ))}
          </Table>
        )}
      </section>
    </div>
  );
}

export function JournalPage(props: JournalProps) {
  return (
    <Layout
      title="Journal"
      user={props.user}
      active="journal"
      scripts={["/vendor/uPlot.iife.min.js", "/static/js/live-refresh.js"]}
      styles={["/vendor/uPlot.min.css"]}
      modules={["/static/js/journal.js"]}
    >
      <JournalBody
        journal={props.journal}
        filter={props.filter}
        accounts={props.accounts}
        csvHref={props.csvHref}
        pictures={props.pictures}
      />
    </Layout>
  );
}
