// What a click on the price ladder sends: a limit through the ticket's own form (the same
// checks, refusals, confirmations and saved bracket as the ticket), the stop moved or set at a
// row through the JSON API, a resting limit cancelled through the desk's form. Refusals show
// under the ladder, in the server's words.
import { desk, stateEl } from "./context.js";
import { moveLevel, refusal, setStopAt } from "./level-save.js";
import { refresh } from "./state-sync.js";

/** `o`: { card, say(msg), book, last(), lines(), price(tick), text(tick) }. */
export function ladderOrders(o) {
  const orderForm = o.card.querySelector(".dom-order");
  const cancelForm = o.card.querySelector(".dom-cancel");

  function ticketQty() {
    const v = document.querySelector('.ticket input[name="qty"]')?.value || "";
    return /^\d{1,5}$/.test(v) && Number(v) > 0 ? Number(v) : null;
  }

  function limit(side, t) {
    o.say("");
    const qty = ticketQty();
    if (qty === null) return o.say("Quantity: type a whole number of contracts in the ticket first");
    const p = o.text(t);
    // A limit through the market fills at once (R1.3): the ladder does not send one by accident.
    const ref = side === "buy" ? (o.book.askT ?? o.last()) : (o.book.bidT ?? o.last());
    if (ref === null) return o.say("No price yet: the ladder places limits once the market prints");
    if (side === "buy" ? t >= ref : t <= ref)
      return o.say(
        `${p} is ${side === "buy" ? "at or above the ask" : "at or below the bid"}: a ${side} limit there fills at once. Use ${side === "buy" ? "Buy" : "Sell"} for a market order.`,
      );
    const ticket = document.querySelector(".ticket");
    const above = Number(ticket?.dataset.confirmAbove || 0);
    const ask = ticket?.dataset.confirm === "1" || (above && qty > above);
    if (ask && !window.confirm(`${side === "buy" ? "Buy" : "Sell"} ${qty} ${desk.symbol} limit ${p}?`)) return;
    orderForm.elements.side.value = side;
    orderForm.elements.qty.value = String(qty);
    orderForm.elements.limitPrice.value = p;
    orderForm.requestSubmit();
  }

  function settle(request) {
    request
      .then(refusal)
      .then((why) => {
        if (why) o.say(why);
        refresh();
      })
      .catch(() => o.say("not saved: the server did not answer"));
  }

  function stop(t) {
    o.say("");
    if (!Number(stateEl()?.dataset.qty || 0)) return o.say("Flat: the stop goes with a position; open one first");
    const lines = o.lines();
    const p = o.price(t);
    const armed = lines.stop !== null && lines.stop !== undefined;
    settle(armed ? moveLevel({ kind: "stop" }, p, lines.version) : setStopAt(p, lines.version));
  }

  function cancel(orderId) {
    cancelForm.elements.orderId.value = orderId;
    cancelForm.requestSubmit();
  }

  // A refusal of the ladder's own order shows here too (the ticket shows it next to its fields).
  const afterOwn = () =>
    setTimeout(() => {
      const e = stateEl()?.querySelector(".ticket .field-error");
      if (e) o.say(e.textContent);
    }, 0);
  orderForm.addEventListener("htmx:finally:request", afterOwn);
  cancelForm.addEventListener("htmx:finally:request", afterOwn);

  return { limit, stop, cancel, settle };
}
