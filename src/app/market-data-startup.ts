import type { SimulatedHistorical } from "../market-data/feeds/simulated-history";
import { FeedRelay } from "../cluster/feed-relay";
import { NamedLease } from "../persistence/named-lease";
import type { AppContext } from "./context";
import { startSimulation } from "./simulated-start";
import { wireRollNotices } from "./roll-notices";
import { subscribeToMarketData } from "./subscribers";

/**
 * Starts the feed and the archive around it: live bars are archived, every (re)connection
 * backfills the gap from the Historical API. With the simulated feed, a local Historical
 * server over the simulated past plays Databento's part, so the demo runs the same code.
 */
export async function startMarketData(ctx: AppContext): Promise<() => Promise<void>> {
  const { config, logger, marketData, archive } = ctx;
  let simHistory: SimulatedHistorical | undefined;
  if (marketData.status().kind === "simulated") {
    // Continues the stored bars: no jump in prices, bars or ATR across a restart.
    simHistory = await startSimulation(
      { db: ctx.db, archive, marketData, logger, days: config.ARCHIVE_BACKFILL_DAYS, seed: config.SIM_SEED },
      Date.now(),
    );
  }
  // A roll waits while positions are open on the old contract, and their traders are told.
  await wireRollNotices(ctx);
  // The archive, the engine and browsers, in their documented order.
  subscribeToMarketData(ctx);
  const { engine } = ctx;
  // Symbols with an open trade in any account stream, whatever the watch list says.
  marketData.watch([
    ...new Set(
      engine.engine
        .allPositions()
        .filter((p) => p.qty > 0)
        .map((p) => p.symbol),
    ),
  ]);
  engine.onChange((c) => {
    if (c.position.qty > 0) marketData.watch([c.symbol]);
  });
  marketData.onConnected(({ attempt }) => {
    if (attempt === 0) return;
    // No record of the new session has arrived yet, so this is the last print before the
    // outage: the gap is fetched from there even if live bars after it are stored first.
    void archive.backfill("feed reconnected", marketData.lastTickMs ?? undefined);
  });
  logger.info("feed.starting", {
    kind: marketData.status().kind,
    symbols: marketData.symbols.length,
    archive: `${archive.dataset}: ${archive.symbols.join(",")}`,
  });
  const stopLeading = ctx.cluster ? await leadOrFollow(ctx) : async () => {};
  if (!ctx.cluster) {
    await marketData.start();
    void archive.backfill("start-up");
  }
  return async () => {
    await stopLeading();
    marketData.stop();
    await archive.stop();
    await simHistory?.stop();
  };
}

/**
 * In a cluster one instance holds the feed's session (a lease, like the shards') and relays its
 * records; the others follow. Whoever takes the lease over connects and fills the archive's gap,
 * as after any outage; one that loses it disconnects at once and follows.
 */
async function leadOrFollow(ctx: AppContext): Promise<() => Promise<void>> {
  const { config, logger, marketData, archive, cluster, leases } = ctx;
  const relay = new FeedRelay(cluster!.link, marketData, logger.child({ component: "feed-relay" }));
  const lease = new NamedLease(ctx.db, "feed", leases!.id, {
    ttlMs: config.LEASE_TTL_MS,
    renewMs: Math.max(100, Math.floor(config.LEASE_TTL_MS / 3)),
    onError: (err) => logger.warn("feed.lease_round_failed", { reason: (err as Error).message }),
  });
  marketData.startClocks();
  await lease.start({
    gained: (epoch) => {
      logger.info("feed.leader", {
        epoch,
        reason: "this instance holds the feed's lease: it runs the session and relays every record",
      });
      relay.lead(epoch);
      // Not awaited: the first session may take a while, and the lease must go on being renewed.
      void marketData.connect();
      void archive.backfill("became the feed leader");
    },
    lost: (reason) => {
      logger.warn("feed.follower", { reason, action: "session closed; following the new leader's records" });
      marketData.disconnect();
      relay.follow();
    },
  });
  if (!lease.holding) {
    logger.info("feed.follower", {
      reason: "another instance holds the feed's lease",
      action: "following its records",
    });
    // Connecting (to the leader's records), not stopped, until the first one arrives.
    marketData.disconnect();
    relay.follow();
  }
  return async () => {
    await lease.stop();
    relay.stop();
  };
}
