// The desk's root island: which desk this is, the feed (or the replay's frames) and the state's
// sync; the pickers reload the page for another account or symbol.
import { desk as info, readDesk } from "./context.js";
import { startFeed } from "./feed.js";
import { startPlayer } from "./player.js";
import { refresh, startSync } from "./state-sync.js";

export const desk = () => ({
  init() {
    readDesk(this.$el);
    startFeed(refresh);
    startSync();
    if (info.replayId !== null) startPlayer();
  },
});

export const picker = () => ({
  init() {
    for (const sel of this.$el.querySelectorAll("select"))
      sel.addEventListener("change", () => sel.form.requestSubmit());
  },
});
