import { feedToBrowsers } from "../web/realtime/feed-bridge";
import type { AppContext } from "./context";
import { instanceRole } from "../web/instance-role";

/**
 * Every subscriber of the market-data bus the app adds, in the one order they are called for each
 * event (the bus calls synchronous subscribers in the order they subscribed; the service's own
 * bar builder subscribed first, when it was made):
 *
 * 1. the archive and 2. the recent-bar history: they only keep bars, so a chart asked for after a
 *    bar message already finds that bar;
 * 3. the engine and the paper broker (then price alerts): exits run on every print, and they run before any browser
 *    is told of it, so a stop or target is never behind what a trader sees, and the fan-out to
 *    many sockets never delays an exit;
 * 4. browsers (web/realtime/): prices, bars and the status bar's heartbeat as browser messages.
 *    The hub sends a chunk's prints at the end of the chunk (a microtask), after the engine.
 *
 * One more, only on the simulated feed: simulated-start.ts notes each root's last print for the
 * simulator's next start. It only records a number, so where it stands in the order changes nothing.
 */
export function subscribeToMarketData(ctx: AppContext): void {
  const { marketData, archive, barHistory, engine, paper, priceHub, alerts } = ctx;
  archive.attach(marketData.bus);
  barHistory.attach(marketData.bus);
  // Every print reaches the engine (exits run on trades, not bar closes) and the paper broker.
  marketData.bus.subscribe({
    trade: (t) => {
      const root = marketData.rootOf(t.instrumentId);
      if (!root) return;
      engine.onTrade(root, t.price, t.tsMs);
      paper.onTrade(root, t.price);
      // Price alerts after the exits: an alert is a message, an exit is money.
      alerts.onTrade(root, t.price, t.tsMs);
    },
  });
  marketData.bus.subscribe(
    feedToBrowsers(priceHub, {
      rootOf: (id) => marketData.rootOf(id),
      // On a shared Postgres the status bar names this instance's part.
      describeInstance: ctx.leases ? () => instanceRole(ctx) : undefined,
    }),
  );
}
