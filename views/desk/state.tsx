import { Html } from "@elysiajs/html";
import { Ladder } from "./ladder";
import { TradeLog } from "./log";
import { Position } from "./position";
import type { DeskStateProps } from "./props";
import { StopPanel } from "./stop";
import { Ticket } from "./ticket";
import { TimerPanel } from "./timer";

/** Everything that changes with the position: swapped as one piece after an action or a live change. */
export function DeskState(s: DeskStateProps) {
  const p = s.position && s.position.qty > 0 ? s.position : null;
  const d = s.inst.decimals;
  const lines = {
    entry: p?.avgEntry ?? null,
    stop: p?.stop && p.stop.status === "armed" ? p.stop.price : null,
    // An off level is not drawn (R2.3): it cannot fire, so a line would promise what will not happen.
    tps: p
      ? p.ladder.filter((l) => l.enabled).map((l) => ({ index: l.index, n: l.n, price: l.price, status: l.status }))
      : [],
    version: p?.version ?? null,
    // Resting limits (entries, a stop-limit's exit, pending TPs), for the price ladder's rows.
    working: (s.position?.working ?? [])
      .filter((o) => o.limitPrice !== null)
      .map((o) => ({
        id: o.orderId,
        purpose: o.purpose,
        side: o.side,
        qty: o.qty,
        price: o.limitPrice,
        state: o.state,
      })),
  };
  const timer = p?.timer ?? null;
  return (
    <section
      id="desk-state"
      class="desk-state"
      data-lines={JSON.stringify(lines)}
      data-side={p?.side ?? ""}
      data-qty={String(p?.qty ?? 0)}
      data-avg={p?.avgEntry === null || p?.avgEntry === undefined ? "" : String(p.avgEntry)}
      data-point-value={String(s.inst.pointValue)}
      data-tick={String(s.inst.tick)}
      data-decimals={String(d)}
      data-deadline={timer && timer.phase === "running" ? String(timer.deadlineMs) : ""}
      // The engine's version even when flat: a closed position's messages are then shown, not fetched again.
      data-version={String(s.position?.version ?? 0)}
    >
      <Ticket s={s} p={p} />
      <Position s={s} p={p} />
      <StopPanel s={s} p={p} />
      <Ladder s={s} p={p} />
      <TimerPanel s={s} p={p} />
      <TradeLog s={s} open={Boolean(p)} />
    </section>
  );
}
