import { closesContracts } from "../trading/engine/engine";
import type { ClosedTrade } from "../trading/engine/types";
import { exitCause } from "../trading/exit-causes";

/** Who exits what is still open when the tape ends. */
export const REPLAY_END = "replay ended";

export interface ReplaySummary {
  trades: number;
  wins: number;
  losses: number;
  /** Net of commissions, dollars. */
  net: number;
  exitReasons: Record<string, number>;
  byTrade: { symbol: string; side: string; qty: number; entry: number; exit: number; net: number; reasons: string[] }[];
}

/** A replay's closed trades as the summary shows them: wins, losses, net, and exits by cause. */
export function summarize(closed: readonly ClosedTrade[]): ReplaySummary {
  const reasons: Record<string, number> = {};
  let wins = 0;
  let losses = 0;
  let net = 0n;
  const byTrade = closed.map((t) => {
    const n = t.realized - t.commissions;
    net += n;
    if (n > 0n) wins++;
    else if (n < 0n) losses++;
    // Each fill that closed contracts, once, by its cause (R4.4); a reverse's opening fill is no exit.
    for (const f of t.fills) {
      if (!closesContracts(f)) continue;
      const k = f.purpose === "exit" && f.reason.endsWith(`by ${REPLAY_END}`) ? "replay end" : exitCause(f.purpose);
      reasons[k] = (reasons[k] ?? 0) + 1;
    }
    return {
      symbol: t.symbol,
      side: t.side,
      qty: t.qty,
      entry: t.entry / 1e9,
      exit: t.exit / 1e9,
      net: Number(n) / 1e9,
      reasons: t.exitReasons,
    };
  });
  return { trades: closed.length, wins, losses, net: Number(net) / 1e9, exitReasons: reasons, byTrade };
}
