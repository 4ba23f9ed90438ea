import type { Kysely } from "kysely";
import type { Logger } from "../../log/logger";
import type { Database } from "../../persistence/database";
import type { Actor } from "../../persistence/events";
import * as repo from "../../persistence/repositories/orders-repo";
import type { EngineChange, EngineService } from "../engine-service";
import { fixedFromNumber } from "../../shared/fixed-point";
import { EngineError, type StopConfig } from "../engine/types";

/**
 * The original API's state drives the engine: after each of its changes commits, the
 * symbol's engine position is made to match (size, side, average, ladder, stop), so every
 * exit runs on the server — TPs, stops, trailing — even for a client written for the old
 * server. Fills the engine makes by rule flow back into the original tables (quantity left,
 * TP `hit` flags), so `get_active_orders` shows what actually happened.
 */
export class LegacyEngineBridge {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: EngineService,
    private readonly logger: Logger,
  ) {}

  /** Called after a legacy change has committed. Never throws: the legacy change stands. */
  async sync(accountId: number, symbols: Iterable<string>, actor: Actor): Promise<void> {
    for (const symbol of symbols) {
      try {
        await this.syncOne(accountId, symbol, actor);
      } catch (err) {
        this.logger.warn("legacy.sync_failed", { account_id: accountId, symbol, reason: (err as Error).message });
      }
    }
  }

  private async syncOne(accountId: number, symbol: string, actor: Actor): Promise<void> {
    if (!this.engine.account(accountId)) await this.engine.reloadAccounts();
    const order = await repo.findOrder(this.db, accountId, symbol);
    const levels = await repo.listTpLevels(this.db, accountId, symbol);
    const p = this.engine.engine.position(accountId, symbol);
    const run = (command: Parameters<EngineService["command"]>[0]["command"]) =>
      this.engine.command({ type: "command", accountId, symbol, command, actor, tsMs: Date.now() });
    if (!order) {
      if (p && p.qty > 0) await run({ kind: "clear" });
      return;
    }
    const side = order.action === "buy" ? "long" : "short";
    await run({ kind: "sync", side, qty: order.quantity, entryPrice: Number(order.entryPrice), openedAtMs: order.timestamp * 1000 });
    const ladder = levels.filter((l) => l.enabled && !l.hit).map((l) => ({ enabled: true, qty: l.quantity, target: { unit: "price" as const, value: Number(l.price) } }));
    try {
      await run({ kind: "set-ladder", levels: ladder });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      this.logger.warn("legacy.ladder_not_applied", { account_id: accountId, symbol, reason: err.message });
    }
    const stop = legacyStop(order.stopLoss, this.engine.spec(symbol)?.tick ?? 1, Number(order.entryPrice));
    const current = this.engine.engine.position(accountId, symbol);
    if (JSON.stringify(current?.stop?.config ?? null) === JSON.stringify(stop)) return;
    try {
      await run({ kind: "set-stop", stop });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      this.logger.warn("legacy.stop_not_applied", { account_id: accountId, symbol, reason: err.message });
    }
  }

  /** Rule fills (TP, stop, timer) back into the original tables. */
  async onEngineChange(c: EngineChange): Promise<void> {
    const fills = c.events.filter((e) => e.actor.kind === "rule" && /\.filled$|^trade\.closed$/.test(e.kind));
    if (fills.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const order = await repo.findOrder(trx, c.accountId, c.symbol, true);
      if (order) {
        if (c.position.qty === 0) await repo.deleteOrder(trx, c.accountId, c.symbol);
        else if (order.quantity !== c.position.qty) await repo.upsertOrder(trx, c.accountId, c.symbol, { ...order, quantity: c.position.qty });
      }
      const levels = await repo.listTpLevels(trx, c.accountId, c.symbol, true);
      for (const e of fills.filter((x) => x.kind === "tp.filled")) {
        const price = BigInt(Number(e.data.levelPrice));
        const l = levels.find((x) => x.price === price && !x.hit);
        if (l) await repo.updateTpLevel(trx, l.id, { enabled: l.enabled, quantity: l.quantity, target: l.target, price: l.price, hit: true });
      }
    });
  }
}

/** The original's stop_loss JSON as an engine stop (null: none). */
export function legacyStop(s: unknown, tick: number, entry: number): StopConfig | null {
  if (!s || typeof s !== "object") return null;
  const o = s as { type?: string; stopPrice?: number; limitPrice?: number; trailAmount?: number };
  const n = (v: number) => Number(fixedFromNumber(v));
  if (o.type === "stop" && o.stopPrice) return { kind: "fixed", initial: { unit: "price", value: n(o.stopPrice) } };
  if (o.type === "stop_limit" && o.stopPrice) {
    const off = o.limitPrice ? Math.round(Math.abs(n(o.stopPrice) - n(o.limitPrice)) / tick) : 0;
    return { kind: "stop-limit", initial: { unit: "price", value: n(o.stopPrice) }, limitOffsetTicks: off };
  }
  if (o.type === "trailing_stop") {
    // Without a trail amount the distance from entry to the stop is the trail.
    const trail = { unit: "points" as const, value: o.trailAmount ? n(o.trailAmount) : Math.abs(entry - n(o.stopPrice ?? 0)) };
    return { kind: "trailing", initial: o.stopPrice ? { unit: "price", value: n(o.stopPrice) } : trail, trailBy: trail };
  }
  return null;
}
