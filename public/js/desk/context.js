// What every island of the desk shares: which desk this is (from the root's data attributes)
// and the price formatter the live parts write with (money, times and countdowns are the
// house's rules, src/shared/format.ts, bundled in).

export const desk = { account: "", symbol: "", replayId: null, csrf: "" };

/** Reads the desk's identity from its root element (`data-desk`). */
export function readDesk(el) {
  desk.account = el.dataset.account;
  desk.symbol = el.dataset.symbol;
  // A replay desk: prices, bars and the clock come from the replay's frames, never the live feed.
  desk.replayId = el.dataset.replay ? Number(el.dataset.replay) : null;
  desk.csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export const stateEl = () => document.getElementById("desk-state");

/** The position's levels the state hands the chart and the ladder ({ entry, stop, tps, working, version }). */
export function stateLines() {
  try {
    return JSON.parse(stateEl()?.dataset.lines || "{}");
  } catch {
    return {};
  }
}

export const num = (v) => (v === "" || v === undefined || v === null ? null : Number(v));

export const decimals = () => Number(stateEl().dataset.decimals || 2);

export const fmt = (v) => (v === null || v === undefined || Number.isNaN(v) ? "—" : v.toFixed(decimals()));
