// Moving the position's levels through the JSON API, as the chart's lines and the price ladder's
// markers do: the stop to a price, a take-profit to a price target, a stop set at a price.
import { desk } from "./context.js";

const base = () =>
  "/api/v1/accounts/" + encodeURIComponent(desk.account) + "/positions/" + encodeURIComponent(desk.symbol);
const headers = () => ({ "content-type": "application/json", "x-csrf-token": desk.csrf });

/** `level`: { kind: "stop" } or { kind: "tp", index }; `price` a number on the tick grid. */
export function moveLevel(level, price, version) {
  return level.kind === "stop"
    ? fetch(base() + "/stop/move", {
        method: "POST",
        headers: headers(),
        body: JSON.stringify({ price: String(price), version }),
      })
    : fetch(base() + "/ladder/" + level.index, {
        method: "PATCH",
        headers: headers(),
        body: JSON.stringify({ target: { unit: "price", value: String(price) }, version }),
      });
}

/** A fixed stop at `price` for a position that has none armed. */
export function setStopAt(price, version) {
  return fetch(base() + "/stop", {
    method: "PUT",
    headers: headers(),
    body: JSON.stringify({ stop: { kind: "fixed", initial: { unit: "price", value: String(price) } }, version }),
  });
}

/** The answer's refusal in the server's words, or null when it was saved. */
export async function refusal(res) {
  if (res.ok) return null;
  try {
    return (await res.json()).message || "refused";
  } catch {
    return "refused (" + res.status + ")";
  }
}
