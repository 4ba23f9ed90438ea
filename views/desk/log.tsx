import { Html } from "@elysiajs/html";
import type { DeskStateProps } from "./props";

/** The stored log of the symbol's trades, newest first. */
export function TradeLog({ s, open }: { s: DeskStateProps; open: boolean }) {
  const target = open ? "position" : "defaults";
  return (
    <div class="card log-card" role="region" aria-label="Trade log">
      <h2>
        Log{" "}
        <span class="muted small" safe>
          {target === "position" ? "this trade and before" : s.inst.root}
        </span>
      </h2>
      <ul class="log">
        {s.events.map((e) => (
          // The page matches a live message's lines to these (time and kind) before fetching the state again.
          <li data-line={`${e.ts} ${e.kind}`}>
            <time class="muted" safe>
              {e.at}
            </time>{" "}
            <span safe>{e.reason}</span>{" "}
            <span class="muted" safe>
              — {e.actor}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
