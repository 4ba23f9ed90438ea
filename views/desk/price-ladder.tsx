import { Html } from "@elysiajs/html";
import type { DeskInstrument } from "./props";

/**
 * The price ladder (DOM): tick rows around the last price, built and kept current by
 * public/js/desk/price-ladder.js. Its clicks post the same desk forms as the ticket (hidden
 * here, filled in by the script), so limits, refusals and confirmations behave alike.
 */
export function PriceLadderCard({ inst, account, replay }: { inst: DeskInstrument; account: string; replay: boolean }) {
  return (
    <div
      class="card dom-card"
      x-data="priceLadder"
      role="region"
      aria-label={`${inst.root} price ladder`}
      data-tick={String(inst.tick)}
      data-decimals={String(inst.decimals)}
      data-volume={replay ? "" : "live"}
    >
      <div class="dom-head">
        <h2>Ladder</h2>
        <button
          type="button"
          class="btn btn-ghost btn-small"
          data-dom-centre
          data-hotkey="c"
          title="Centre on the last price (C)"
        >
          Centre
        </button>
        <label class="small" title="Re-centre when the price nears the edge">
          <input type="checkbox" data-dom-follow checked /> Follow
        </label>
      </div>
      <p class="dom-wait muted small" data-dom-wait>
        Waiting for the first price…
      </p>
      <div class="dom-wrap">
        <table class="dom num" aria-label="Price ladder" tabindex="0" hidden>
          <thead>
            <tr>
              <th scope="col">Orders</th>
              <th scope="col">Buy</th>
              <th scope="col">Price</th>
              <th scope="col">Sell</th>
              <th scope="col" title="Volume at price this session">
                {replay ? "" : "Vol"}
              </th>
            </tr>
          </thead>
          <tbody data-dom-rows></tbody>
        </table>
      </div>
      <p class="dom-hint muted small">
        Buy/Sell: a limit at that price for the ticket's quantity · Orders: move the stop there · drag a marker to move
        it · C centres <span data-dom-since></span>
      </p>
      <p class="dom-error" data-dom-error role="alert"></p>
      <form class="dom-order" hidden hx-post="/desk/order" hx-target="#desk-state" hx-swap="outerHTML">
        <input type="hidden" name="account" value={account} />
        <input type="hidden" name="symbol" value={inst.root} />
        <input type="hidden" name="type" value="limit" />
        <input type="hidden" name="side" value="" />
        <input type="hidden" name="qty" value="" />
        <input type="hidden" name="limitPrice" value="" />
      </form>
      <form class="dom-cancel" hidden hx-post="/desk/cancel" hx-target="#desk-state" hx-swap="outerHTML">
        <input type="hidden" name="account" value={account} />
        <input type="hidden" name="symbol" value={inst.root} />
        <input type="hidden" name="orderId" value="" />
      </form>
    </div>
  );
}
