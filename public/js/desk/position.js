// The position card: its P&L follows the live price between server renders.
import { money } from "../../../src/shared/format";
import { num } from "./context.js";
import { onPaint, prices } from "./live.js";

function livePnl(card) {
  const s = card.closest("#desk-state");
  const qty = Number(s.dataset.qty || 0);
  const avg = num(s.dataset.avg);
  const out = card.querySelector("[data-live-pnl]");
  const last = prices.last;
  if (!out || !qty || avg === null || last === null) return;
  const pts = s.dataset.side === "long" ? last - avg : avg - last;
  const dollars = pts * qty * Number(s.dataset.pointValue);
  const ticks = Math.round(pts / Number(s.dataset.tick));
  const m = out.querySelector("[data-live-money]");
  if (m) m.textContent = money(dollars);
  const t = out.querySelector("[data-live-ticks]");
  if (t) t.textContent = (ticks > 0 ? "+" : "") + ticks + " t";
  out.classList.toggle("long", dollars > 0);
  out.classList.toggle("short", dollars < 0);
}

export const position = () => {
  let stop = null;
  return {
    init() {
      const card = this.$el;
      livePnl(card);
      stop = onPaint((f) => {
        if (f.moved) livePnl(card);
      });
    },
    destroy() {
      stop?.();
    },
  };
};
