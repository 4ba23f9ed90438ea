// The trade timer's countdown, ticking between server renders (on the replay's clock in a replay).
import { countdown as countdownText } from "../../../src/shared/format";
import { desk, num } from "./context.js";
import { prices } from "./live.js";

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
