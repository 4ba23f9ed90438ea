// The chart's history from the server: the live archive's recent bars, or the replay's own.
import { ctHour } from "../../../src/shared/format";
import { desk } from "./context.js";

export function recent(iv) {
  const sym = encodeURIComponent(desk.symbol);
  const url =
    desk.replayId !== null
      ? "/api/v1/replays/" +
        desk.replayId +
        "/bars?symbol=" +
        sym +
        "&interval=" +
        iv +
        "&count=" +
        (iv === "1s" ? 900 : 600)
      : "/api/v1/market/" + sym + "/recent?interval=" + iv + "&count=" + (iv === "1s" ? 900 : 2000);
  return fetch(url, { headers: { accept: "application/json" } }).then((r) => r.json());
}

/** Close of the last bar before the current Globex session opened (17:00 Chicago). */
export function previousSessionClose(bars) {
  if (!bars.length) return null;
  for (let i = bars.length - 1; i > 0; i--) {
    const h = ctHour(new Date(bars[i].ts));
    const hPrev = ctHour(new Date(bars[i - 1].ts));
    if (h >= 17 && hPrev < 17) return bars[i - 1].c;
  }
  return bars[0].o;
}
