// A replay desk: prices, bars and the clock come from the replay's frames; the player panel
// above the desk shows its progress and the controls for its state.
import { ctTime } from "../../../src/shared/format";
import { desk } from "./context.js";
import { chart, onPrint, prices, setQuote } from "./live.js";

export function startPlayer() {
  // The server's panel shows the controls for the state; a change it did not cause (the end)
  // reloads it, and again after any swap that left an older state on screen (answers can cross).
  let latestState = null;
  let panelLoading = false;
  function syncPanel() {
    const player = document.getElementById("player");
    if (!player || latestState === null || panelLoading || player.dataset.state === latestState) return;
    panelLoading = true;
    const done = () => {
      panelLoading = false;
      setTimeout(syncPanel, 50);
    };
    const r = htmx.ajax("GET", "/replay/" + desk.replayId + "/panel", { target: "#player", swap: "outerHTML" });
    if (r?.then) r.then(done, done);
    else setTimeout(done, 500);
  }
  document.addEventListener("htmx:after:swap", () => setTimeout(syncPanel, 0));

  document.addEventListener("live:replay", (e) => {
    const f = e.detail;
    if (f.id !== desk.replayId) return;
    if (f.state === "closed") {
      location.href = "/replay";
      return;
    }
    // A seek back: the chart starts over from the replay's bars.
    if (prices.replayNow !== null && f.now < prices.replayNow) chart.reload();
    prices.replayNow = f.now;
    const mine = f.symbols?.[desk.symbol];
    if (mine) {
      for (const b of mine.m || []) chart.onBar({ ...b, i: "1m" });
      for (const b of mine.s || []) chart.onBar({ ...b, i: "1s" });
      if (mine.p !== null && mine.p !== prices.last) onPrint({ p: mine.p });
      setQuote({ b: mine.b, a: mine.a });
    }
    const player = document.getElementById("player");
    if (!player) return;
    const bar = player.querySelector("[data-replay-progress]");
    if (bar) bar.value = Math.round(f.progress * 1000);
    const clock = player.querySelector("[data-replay-clock]");
    if (clock) clock.textContent = ctTime(f.now);
    const seek = player.querySelector("[data-replay-seek]");
    if (seek && document.activeElement !== seek) seek.value = String(f.now);
    latestState = f.state;
    syncPanel();
  });
}
