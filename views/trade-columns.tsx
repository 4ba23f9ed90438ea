import { Html } from "@elysiajs/html";
import { money, tone } from "../src/shared/format";

/** A closed trade as every list of them shows it (the journal, a replay's summary); texts come formatted. */
export interface TradeRow {
  symbol: string;
  side: string;
  /** How the side is written ("Long" in the journal, "long" in a replay's summary). */
  sideText: string;
  qty: number;
  entry: string;
  exit: string;
  net: number;
  reasons: string[];
}

/** The header cells of those columns, after any of the page's own. */
export function TradeHeads() {
  return (
    <>
      <th>Symbol</th>
      <th>Side</th>
      <th>Qty</th>
      <th>Entry</th>
      <th>Exit</th>
      <th>Net</th>
      <th class="reasons">Why it ended</th>
    </>
  );
}

export function TradeCells({ t }: { t: TradeRow }) {
  return (
    <>
      <td safe>{t.symbol}</td>
      <td class={t.side === "long" ? "long" : "short"} safe>
        {t.sideText}
      </td>
      <td>{t.qty}</td>
      <td safe>{t.entry}</td>
      <td safe>{t.exit}</td>
      <td class={tone(t.net)} safe>
        {money(t.net)}
      </td>
      <td class="reasons" safe>
        {t.reasons.join(" · ")}
      </td>
    </>
  );
}
