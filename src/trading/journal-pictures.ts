import { ctHour } from "../shared/format";
import type { JournalTrade } from "./trade-journal";

/** What the journal's charts draw: dollars net of commissions, from the trades of the filter. */
export interface JournalPictures {
  /** The running total after each trade, oldest first (x: seconds). */
  equity: { t: number[]; net: number[] };
  /** Net by what closed the trade (take profit, stop, timer, manual exit, risk limit, …). */
  byCause: { label: string[]; net: number[] };
  /** Net by the hour of the close on the exchange's clock (CT). */
  byHour: { label: string[]; net: number[] };
  bySymbol: { label: string[]; net: number[] };
}

const cents = (n: number) => Math.round(n * 100) / 100;

function grouped(trades: readonly JournalTrade[], key: (t: JournalTrade) => string, order?: string[]) {
  const sums = new Map<string, number>();
  for (const t of trades) sums.set(key(t), (sums.get(key(t)) ?? 0) + t.net);
  const label = order ? order.filter((k) => sums.has(k)) : [...sums.keys()].sort();
  return { label, net: label.map((k) => cents(sums.get(k)!)) };
}

const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, "0")}:00`);

/** The journal's pictures of how the days went (trades newest first, as the journal lists them). */
export function journalPictures(trades: readonly JournalTrade[]): JournalPictures {
  const oldest = [...trades].sort((a, b) => Date.parse(a.closedAt) - Date.parse(b.closedAt));
  let run = 0;
  const equity = { t: [] as number[], net: [] as number[] };
  for (const x of oldest) {
    run += x.net;
    equity.t.push(Date.parse(x.closedAt) / 1000);
    equity.net.push(cents(run));
  }
  return {
    equity,
    byCause: grouped(trades, (t) => t.cause),
    // The Globex day starts at 17:00 CT: hours in that order, the evening before the morning.
    byHour: grouped(trades, (t) => HOURS[ctHour(Date.parse(t.closedAt)) % 24]!, [
      ...HOURS.slice(17),
      ...HOURS.slice(0, 17),
    ]),
    bySymbol: grouped(trades, (t) => t.symbol),
  };
}
