import { Html, type PropsWithChildren } from "@elysiajs/html";
import type { PositionView } from "../../src/trading/position-view";
import { ErrorNote, Hidden } from "./common";
import type { DeskStateProps } from "./props";
import { hxPost } from "../htmx";

/** A button that posts the ticket's form to a desk action; the answer is the desk's new state. */
function TicketAction({
  post,
  class: cls = "btn",
  children,
  ...rest
}: PropsWithChildren<{ post: string; class?: string } & Record<string, unknown>>) {
  return (
    <button type="button" class={cls} {...hxPost(post, "#desk-state")} hx-include=".ticket-form" {...rest}>
      {children}
    </button>
  );
}

/** The order ticket: buy, sell, exit, clear, and a position recorded by hand. */
export function Ticket({ s, p }: { s: DeskStateProps; p: PositionView | null }) {
  return (
    <div
      class="card ticket"
      x-data="ticket"
      role="region"
      aria-label="Order ticket"
      data-symbol={s.inst.root}
      data-confirm-above={s.confirmAbove ? String(s.confirmAbove) : undefined}
      data-confirm={s.confirm ? "1" : undefined}
    >
      <h2>
        Ticket{" "}
        <span class={`badge badge-${s.accountKind}`} safe>
          {s.account}
        </span>
      </h2>
      <form
        class="ticket-form"
        {...hxPost("/desk/order", "#desk-state")}
        {...(s.confirm ? { "hx-confirm": "Send this order?" } : {})}
      >
        <Hidden s={s} />
        <label class="qty">
          Quantity
          <input
            name="qty"
            type="number"
            min="1"
            max="10000"
            step="1"
            required
            value={String(s.ticketQty ?? s.defaults.qty)}
            inputmode="numeric"
          />
        </label>
        <div class="ticket-buttons">
          <button type="submit" name="side" value="buy" class="btn btn-buy" title="Buy at market (B)" data-hotkey="b">
            Buy
          </button>
          <button
            type="submit"
            name="side"
            value="sell"
            class="btn btn-sell"
            title="Sell at market (S)"
            data-hotkey="s"
          >
            Sell
          </button>
        </div>
      </form>
      <div class="ticket-buttons">
        <TicketAction
          post="/desk/exit"
          hx-vals='{"all":"1"}'
          data-hotkey="x"
          title="Exit the whole position at market (X)"
          disabled={!p}
          {...(s.confirm ? { "hx-confirm": "Exit the whole position at market?" } : {})}
        >
          Exit all
        </TicketAction>
        <TicketAction post="/desk/exit" data-hotkey="t" title="Exit the ticket's quantity (T)" disabled={!p}>
          Take profit
        </TicketAction>
        <TicketAction
          post="/desk/clear"
          class="btn btn-ghost"
          hx-confirm="Forget this trade without sending an order?"
          disabled={!p}
        >
          Clear trade
        </TicketAction>
      </div>
      <ErrorNote error={s.error} here="ticket" />
      <details class="record">
        <summary>Record a position by hand</summary>
        <form {...hxPost("/desk/record", "#desk-state")} class="inline-form">
          <Hidden s={s} />
          <select name="side" aria-label="Side">
            <option value="long">Long</option>
            <option value="short">Short</option>
          </select>
          <input name="qty" type="number" min="1" step="1" value={String(s.defaults.qty)} aria-label="Contracts" />
          <input name="entryPrice" inputmode="decimal" placeholder="Entry price" aria-label="Entry price" required />
          <button class="btn" type="submit">
            Record
          </button>
        </form>
      </details>
    </div>
  );
}
