import { Html } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden, typedOr } from "./common";
import { fmt, shown } from "./format";
import type { DeskStateProps } from "./props";
import { hxPost } from "../htmx";

/** The take-profit levels: the position's, or the next trade's template. */
export function Ladder({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  const d = s.inst.decimals;
  const defaultsVersion = String(s.defaultsVersion);
  const ladder = p
    ? p.ladder.map((l) => ({
        n: l.n as number | null,
        enabled: l.enabled,
        qty: l.qty,
        target: l.target,
        price: l.price as number | null,
        status: l.status,
        fill: l.fillPrice,
        error: l.lastError,
      }))
    : s.defaults.ladder.map((l) => ({
        n: null,
        enabled: l.enabled,
        qty: l.qty,
        target: { unit: l.target.unit, value: l.target.unit === "ticks" ? l.target.value : l.target.value / 1e9 },
        price: null,
        status: "template",
        fill: null,
        error: null,
      }));
  // What the levels will still exit (a filled level counts for nothing, R2.1); pending ones are no longer inputs.
  const fixed = ladder.filter((l) => l.status === "pending").reduce((n, l) => n + l.qty, 0);
  const total = ladder.filter((l) => l.enabled && l.status !== "filled").reduce((n, l) => n + l.qty, 0);
  const of = p && p.qty > 0 ? p.qty : (s.ticketQty ?? s.defaults.qty);
  return (
    <div class="card ladder" x-data="ladder" role="region" aria-label="Take-profit levels">
      <h2>
        Take profit <span class="muted small">{p ? "levels of this position" : "levels for the next trade"}</span>
      </h2>
      <form {...hxPost("/desk/ladder", "#desk-state")} id="ladder-form">
        <Hidden s={s} version={p?.version} />
        <input type="hidden" name="dversion" value={defaultsVersion} />
        <input type="hidden" name="count" value={String(ladder.length)} />
        <div class="table-wrap">
          <table class="table num ladder-table">
            <thead>
              <tr>
                <th>#</th>
                <th>On</th>
                <th>Qty</th>
                <th>Target</th>
                <th>Price</th>
                <th>Status</th>
                <th>
                  <span class="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ladder.map((l, i) => {
                // An open position's level keeps its number through edits; the next trade's are in order.
                const n = l.n ?? i + 1;
                // A level being exited or filled is no longer an input (its fields are not sent).
                const locked = l.status === "filled" || l.status === "pending";
                return (
                  <tr class={`level-${shown(l)}`} data-level={String(i)}>
                    <td>
                      {n}
                      {l.n !== null ? <input type="hidden" name={`n_${i}`} value={String(n)} /> : ""}
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        name={`enabled_${i}`}
                        value="1"
                        checked={l.enabled}
                        aria-label={`TP${n} enabled`}
                        disabled={locked}
                      />
                    </td>
                    <td>
                      <input
                        class="narrow"
                        name={`qty_${i}`}
                        type="number"
                        min="1"
                        step="1"
                        value={typedOr(s, "ladder", `qty_${i}`, String(l.qty))}
                        aria-label={`TP${n} quantity`}
                        disabled={locked}
                      />
                    </td>
                    <td class="target-cell">
                      <input
                        class="narrow"
                        name={`value_${i}`}
                        inputmode="decimal"
                        value={typedOr(s, "ladder", `value_${i}`, String(l.target.value))}
                        aria-label={`TP${n} target`}
                        disabled={locked}
                      />
                      <select name={`unit_${i}`} aria-label={`TP${n} unit`} disabled={locked}>
                        {(["points", "ticks", "price"] as const).map((u) => (
                          <option value={u} selected={l.target.unit === u}>
                            {u === "points" ? "pts" : u}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td safe>{l.price === null ? "—" : fmt(l.price, d)}</td>
                    <td>
                      <span
                        class={`badge badge-${shown(l)}`}
                        title={l.status === "filled" && l.fill ? `filled @ ${fmt(l.fill, d)}` : (l.error ?? "")}
                        safe
                      >
                        {l.status === "filled" && l.fill ? `✓ ${fmt(l.fill, d)}` : shown(l)}
                      </span>
                    </td>
                    <td>
                      {locked ? (
                        ""
                      ) : (
                        <button
                          class="btn btn-ghost btn-small"
                          type="submit"
                          name="remove"
                          value={String(i)}
                          aria-label={`Remove TP${n}`}
                        >
                          ✕
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <p
          class="muted small ladder-total"
          data-ladder-total
          data-fixed={String(fixed)}
          aria-live="polite"
          safe
        >{`Levels total ${total} of ${of} (${p && p.qty > 0 ? "position" : "ticket"})`}</p>
        <div class="row-buttons">
          <button class="btn" type="submit" name="add" value="1">
            Add level
          </button>
          <button class="btn btn-primary" type="submit">
            Save levels
          </button>
        </div>
      </form>
      <ErrorNote error={s.error} here="ladder" />
    </div>
  );
}
