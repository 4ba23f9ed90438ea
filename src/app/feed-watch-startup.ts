import { sessionState } from "../market-data/instruments/trading-hours";
import { FeedWatch } from "../trading/feed-watch";
import type { AppContext } from "./context";

/**
 * Tells the live engine when a symbol with an open position has no prices (docs/trading-rules.md
 * R7.1): checked once a second — never per print, the print path stays as it is.
 */
export function startFeedWatch(ctx: AppContext, everyMs = 1000): () => void {
  const { engine, marketData, config } = ctx;
  const watch = new FeedWatch({
    delivering: () => config.FEED !== "off" && marketData.status().state === "live",
    lastPrintMs: (s) => marketData.lastPrintMs(s),
    marketOpen: (ms) => sessionState(ms) === "open",
    openSymbols: () =>
      new Set(
        engine.engine
          .allPositions()
          .filter((p) => p.qty > 0)
          .map((p) => p.symbol),
      ),
    downSince: (s) => engine.engine.feedDownSince(s),
  });
  const timer = setInterval(() => {
    for (const input of watch.check(engine.now())) {
      if (input.up)
        ctx.logger.info("feed.symbol_up", {
          symbol: input.symbol,
          reason: "prints again while the engine still had it down",
        });
      else
        ctx.logger.warn("feed.symbol_down", {
          symbol: input.symbol,
          since_ms: input.sinceMs,
          reason: "no prices: its open positions are unprotected",
        });
      engine.feed(input);
    }
  }, everyMs);
  return () => clearInterval(timer);
}
