import { acquireEngineLock } from "../persistence/engine-lock";
import type { AppContext } from "./context";

/**
 * Resumes the engine and connects what follows its changes: the original API's tables (rule
 * fills written back) and every browser of the position's owner (over /ws).
 */
export async function startEngine(ctx: AppContext, clockMs = 250): Promise<() => Promise<void>> {
  const { engine, logger } = ctx;
  // Never two engines over the same accounts: a second server on this database refuses here.
  const lock = await acquireEngineLock(ctx.db, ctx.dbKind);
  void lock.lost.then((err) => {
    // Another process may take the engine over now: this one must not act on anything again.
    logger.error("engine.lock_lost", { reason: err.message, action: "engine stopped; restart the server" });
    void engine.stop();
  });
  engine.onChange((c) => {
    void ctx.legacyBridge.onEngineChange(c).catch((err) => logger.error("legacy.write_back_failed", { account_id: c.accountId, symbol: c.symbol, reason: (err as Error).message }));
    const view = ctx.trading.view(c.accountId, c.symbol);
    ctx.priceHub.publishUser(c.userId, JSON.stringify({ t: "position", account: view?.account, symbol: c.symbol, position: view, events: c.events.map((e) => ({ kind: e.kind, reason: e.reason, actor: e.actor.label, ts: e.tsMs })) }));
  });
  await engine.start(clockMs).catch(async (err) => {
    await lock.release();
    throw err;
  });
  // Before any request: what the original API committed, the engine follows.
  await ctx.legacyBridge.reconcile();
  return async () => {
    await engine.stop();
    await lock.release();
  };
}
