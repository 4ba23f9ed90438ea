// The head's quote: the last price (up/down against the one shown before), the day's change
// against the previous session's close, bid × ask.
import { decimals, fmt } from "./context.js";
import { onPaint, prices } from "./live.js";

function showChange(el) {
  const { last, prevClose } = prices;
  if (!el || last === null || prevClose === null) return;
  const ch = last - prevClose;
  const sign = ch >= 0 ? "+" : "";
  el.textContent = sign + ch.toFixed(decimals()) + " (" + sign + ((ch / prevClose) * 100).toFixed(2) + "%)";
  el.className = "change num " + (ch > 0 ? "long" : ch < 0 ? "short" : "muted");
}

export const quote = () => {
  let stop = null;
  return {
    init() {
      const el = this.$el;
      stop = onPaint((f) => {
        if (f.moved) {
          const last = el.querySelector("[data-last]");
          if (last) {
            last.textContent = fmt(prices.last);
            last.classList.toggle("up", prices.last > f.before);
            last.classList.toggle("down", prices.last < f.before);
          }
        }
        if (f.moved || f.base) showChange(el.querySelector("[data-change]"));
        if (f.quote) {
          const b = el.querySelector("[data-bid]");
          const a = el.querySelector("[data-ask]");
          if (b) b.textContent = fmt(f.quote.b);
          if (a) a.textContent = fmt(f.quote.a);
        }
      });
    },
    destroy() {
      stop?.();
    },
  };
};
