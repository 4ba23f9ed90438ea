import { appendEvent } from "../persistence/events";
import type { RollEvent } from "../market-data/service/market-data-service";
import type { AppContext } from "./context";

/**
 * Rolls and the traders they concern. A symbol's contract changes only when no position is open
 * on it (market-data-service.ts); until then every trader with an open position there is told —
 * in the position's log and live — that it stays on the old contract, and told again when the
 * symbol has rolled.
 */
export async function wireRollNotices(ctx: AppContext): Promise<void> {
  const { db, marketData, engine, logger } = ctx;
  // Open positions anywhere on this database (in a cluster, other instances' accounts too).
  marketData.holdRoll = async (root) =>
    Boolean(
      await db
        .selectFrom("engine_positions")
        .select("key")
        .where("symbol", "=", root)
        .where("qty", ">", 0)
        .limit(1)
        .executeTakeFirst(),
    );
  // A roll that waited when the server stopped waits on: the held contract streams again.
  for (const r of await db.selectFrom("held_rolls").selectAll().execute()) {
    marketData.resumeHeld(r.symbol, r.contract);
    logger.info("feed.roll_resumed", {
      symbol: r.symbol,
      contract: r.contract,
      next: r.next_contract,
      reason: "a roll was waiting for open positions when the server stopped: they keep their contract",
    });
  }
  // Who was told a roll waits for their position, per symbol: they hear when it has happened.
  const told = new Map<string, Set<number>>();
  marketData.onRoll((r: RollEvent) => {
    const text =
      r.state === "held"
        ? `${r.symbol} rolls from ${r.from} to ${r.to}. Your open ${r.symbol} position stays on ${r.from} — its stop and take-profits follow ${r.from}'s prices — and new ${r.symbol} orders go to ${r.from} too, until every ${r.symbol} position is closed. Close it before ${r.from} expires.`
        : `${r.symbol} now trades ${r.to} (it was ${r.from}).`;
    const waiting = told.get(r.symbol) ?? new Set<number>();
    told.set(r.symbol, waiting);
    for (const p of engine.engine.allPositions()) {
      if (p.symbol !== r.symbol) continue;
      if (r.state === "held" ? p.qty === 0 || waiting.has(p.accountId) : !waiting.has(p.accountId)) continue;
      const account = engine.account(p.accountId);
      if (!account) continue;
      if (r.state === "held") waiting.add(p.accountId);
      void appendEvent(db, {
        actor: { kind: "system", label: "feed", userId: null },
        accountId: p.accountId,
        symbol: r.symbol,
        kind: `feed.roll_${r.state}`,
        reason: text,
        data: { from: r.from, to: r.to },
      }).catch((err) => logger.warn("feed.roll_notice_failed", { reason: (err as Error).message }));
      ctx.userMessages.publish(
        account.userId,
        JSON.stringify({ t: "notice", kind: "roll", symbol: r.symbol, account: account.name, message: text }),
      );
    }
    if (r.state === "rolled") told.delete(r.symbol);
    // Kept across restarts (only whoever decides rolls writes: alone, or the feed leader).
    if (marketData.role !== "follower") {
      const write =
        r.state === "held"
          ? db
              .insertInto("held_rolls")
              .values({ symbol: r.symbol, contract: r.from, next_contract: r.to, since: new Date() })
              .onConflict((oc) => oc.column("symbol").doUpdateSet({ contract: r.from, next_contract: r.to }))
              .execute()
          : db.deleteFrom("held_rolls").where("symbol", "=", r.symbol).execute();
      void write.catch((err) =>
        logger.warn("feed.roll_store_failed", { symbol: r.symbol, reason: (err as Error).message }),
      );
    }
  });
}
