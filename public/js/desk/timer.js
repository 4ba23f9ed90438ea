// The trade timer's countdown, ticking between server renders (on the replay's clock in a replay).
import { desk, num } from "./context.js";
import { prices } from "./live.js";

export function countdownText(deadline, now) {
  const left = Math.max(0, Math.round((deadline - now) / 1000));
  return Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
}

export const countdown = () => {
  let timer = null;
  return {
    init() {
      const el = this.$el;
      timer = setInterval(() => {
        const deadline = num(el.closest("#desk-state")?.dataset.deadline);
        if (deadline === null) return;
        const now = desk.replayId !== null ? prices.replayNow : Date.now();
        if (now !== null) el.textContent = countdownText(deadline, now);
      }, 500);
    },
    destroy() {
      clearInterval(timer);
    },
  };
};
