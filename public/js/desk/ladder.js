// The take-profit table between server renders. A unit switch converts the row's value (24 ticks
// become the price 24 ticks from the entry, not "24" read as a price), and the levels' total is
// shown live against what they will exit: the position, or the ticket's quantity for the next
// trade (whose ladder is fitted to it, nearest levels first, when the order goes in).
import { num } from "./context.js";
import { prices } from "./live.js";

const trim = (x, decimals) => String(Number(x.toFixed(decimals)));

/** The price the table's distances are measured from: the average entry, or the last print. */
const refPrice = (s) => num(s.dataset.avg) ?? prices.last;
const sign = (s) => (s.dataset.side === "short" ? -1 : 1);

/** A row's target as a distance in points from the reference (null without a price). */
function toPoints(unit, value, s, tick) {
  if (unit === "ticks") return value * tick;
  if (unit === "points") return value;
  const ref = refPrice(s);
  return ref === null ? null : sign(s) * (value - ref);
}

function fromPoints(unit, points, s, tick, decimals) {
  const ticks = Math.max(1, Math.round(points / tick));
  if (unit === "ticks") return String(ticks);
  if (unit === "points") return trim(ticks * tick, decimals);
  const ref = refPrice(s);
  return ref === null ? null : (Math.round((ref + sign(s) * ticks * tick) / tick) * tick).toFixed(decimals);
}

function convert(select, s) {
  const row = select.closest("tr");
  const input = row?.querySelector('input[name^="value_"]');
  const from = select.dataset.unit;
  const to = select.value;
  select.dataset.unit = to;
  if (!input || from === to || input.value.trim() === "") return;
  const tick = Number(s.dataset.tick);
  const points = toPoints(from, Number(input.value), s, tick);
  if (points === null || !Number.isFinite(points) || points <= 0) return;
  const v = fromPoints(to, points, s, tick, Number(s.dataset.decimals || 2));
  if (v !== null) input.value = v;
}

function showTotal(card, s) {
  const out = card.querySelector("[data-ladder-total]");
  if (!out) return;
  let total = Number(out.dataset.fixed || 0);
  for (const row of card.querySelectorAll("tbody tr")) {
    const on = row.querySelector('input[name^="enabled_"]');
    const qty = row.querySelector('input[name^="qty_"]');
    // Pending and filled rows are disabled: pending ones are in `fixed`, filled ones count for nothing.
    if (on?.checked && qty && !qty.disabled && /^\d+$/.test(qty.value)) total += Number(qty.value);
  }
  const open = Number(s.dataset.qty || 0);
  const ticket = Number(document.querySelector('.ticket-form input[name="qty"]')?.value || 0);
  const of = open || ticket;
  out.textContent = `Levels total ${total} of ${of} (${open ? "position" : "ticket"})`;
  out.classList.toggle("over", total > of);
  out.title =
    total > of
      ? open
        ? "More than the position: saving is refused"
        : "More than the ticket: the farthest levels are cut to the ticket's quantity when the order goes in"
      : "";
}

export const ladder = () => {
  let onTicket = null;
  return {
    init() {
      const card = this.$el;
      const s = card.closest("#desk-state");
      for (const sel of card.querySelectorAll('select[name^="unit_"]')) sel.dataset.unit = sel.value;
      card.addEventListener("change", (e) => {
        if (e.target.matches('select[name^="unit_"]')) convert(e.target, s);
        showTotal(card, s);
      });
      card.addEventListener("input", () => showTotal(card, s));
      onTicket = (e) => {
        if (e.target.matches?.('.ticket-form input[name="qty"]')) showTotal(card, s);
      };
      document.addEventListener("input", onTicket);
      showTotal(card, s);
    },
    destroy() {
      document.removeEventListener("input", onTicket);
    },
  };
};
