import type { AppContext } from "./context";

/** "0-15, 40" for a log line. */
function ranges(shards: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < shards.length; i++) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1] === shards[j]! + 1) j++;
    out.push(i === j ? String(shards[i]) : `${shards[i]}-${shards[j]}`);
    i = j;
  }
  return out.join(", ");
}

/**
 * Resumes the engine and connects what follows its changes: every browser of the position's
 * owner (over /ws). (The original API's rows follow inside the engine's own steps.) Alone on its
 * database the engine takes every account at once; on a shared Postgres it takes the shards
 * whose leases it claims, and gives up at once those it loses (persistence/shard-leases.ts).
 */
export async function startEngine(ctx: AppContext, clockMs = 250): Promise<() => Promise<void>> {
  const { engine, logger, leases } = ctx;
  engine.onChange((c) => {
    const view = ctx.trading.view(c.accountId, c.symbol);
    ctx.userMessages.publish(
      c.userId,
      JSON.stringify({
        t: "position",
        account: view?.account,
        symbol: c.symbol,
        position: view,
        events: c.events.map((e) => ({ kind: e.kind, reason: e.reason, actor: e.actor.label, ts: e.tsMs })),
      }),
    );
  });
  // Price alerts: every instance reads them all (again every 10 s on a shared database, where
  // another instance may have added one); the owner of the user's shard fires them.
  await ctx.alerts.start(leases ? 10_000 : 0);
  if (!leases) {
    await engine.start(clockMs);
    // Before any request: what the original API committed, the engine follows.
    await ctx.legacyBridge.reconcile();
    return async () => {
      ctx.alerts.stop();
      await engine.stop();
    };
  }
  await engine.start(clockMs, { adoptAll: false });
  await leases.start({
    gained: async (owns, shards) => {
      const ids = await engine.adopt(owns, `the lease of shard ${ranges(shards)} was claimed`);
      await ctx.legacyBridge.reconcile(ids);
      // Only now, with the state loaded, do requests forwarded by other instances reach this one.
      ctx.cluster?.forwarding.serve(shards);
      logger.info("engine.shards_claimed", {
        instance: leases.id,
        shards: ranges(shards),
        accounts: ids.length,
        owned: leases.ownedShards + shards.length,
        of: leases.shardCount,
      });
    },
    lost: (owns, shards, reason, graceful) => {
      ctx.cluster?.forwarding.leave(shards);
      return engine.drop(owns, reason, graceful).then((ids) => {
        // Given back to balance the cluster is routine; lost to another instance is not.
        const fields = { instance: leases.id, shards: ranges(shards), accounts: ids.length, reason };
        if (graceful) logger.info("engine.shards_given_back", fields);
        else logger.warn("engine.shards_lost", fields);
      });
    },
    renewed: () => engine.leasesRenewed(),
    // A user's open replay lives in this process's memory: rebalancing leaves that shard here.
    busy: (owns) => ctx.replay.hasOpen(owns),
  });
  return async () => {
    ctx.alerts.stop();
    await engine.stop();
    // Given back at once: another instance takes the accounts over without waiting for the lease to expire.
    await leases.stop();
  };
}
