import type { Kysely } from "kysely";
import type { Logger } from "../../log/logger";
import type { Database } from "../../persistence/database";
import type { Actor } from "../../persistence/events";
import * as repo from "../../persistence/repositories/orders-repo";
import type { EngineChange, EngineService } from "../engine-service";
import { fixedFromNumber } from "../../shared/fixed-point";
import { averageNearest } from "../engine/price-math";
import { EngineError, type StopConfig, type StopState } from "../engine/types";
import { ServiceError } from "../service-error";

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
  async sync(accountId: number, symbols: Iterable<string>, actor: Actor, ladders: ReadonlySet<string> = new Set()): Promise<void> {
    for (const symbol of symbols) {
      try {
        await this.syncOne(accountId, symbol, actor, ladders.has(symbol));
      } catch (err) {
        this.logger.warn("legacy.sync_failed", { account_id: accountId, symbol, reason: (err as Error).message });
      }
    }
  }

  /**
   * The engine's open positions of an account in the original API's shapes (docs/trading-rules.md
   * R9.1): a trade opened on the desk is listed like one the original client opened.
   */
  openPositions(accountId: number): { open: EngineOpen[]; flat: Set<string> } {
    const out: EngineOpen[] = [];
    const flat = new Set<string>();
    for (const p of this.engine.engine.allPositions()) {
      if (p.accountId !== accountId) continue;
      if (p.qty === 0) {
        flat.add(p.symbol);
        continue;
      }
      const spec = this.engine.spec(p.symbol);
      out.push({
        symbol: p.symbol, action: p.side === "long" ? "buy" : "sell", quantity: p.qty, entryPrice: averageNearest(p.cost, p.qty),
        timestamp: Math.floor(p.openedAtMs / 1000), stopLoss: p.stop ? stopJson(p.stop, p.side, spec?.tick ?? 1) : null,
        levels: p.ladder.map((l) => ({ enabled: l.enabled, quantity: l.qty, price: BigInt(l.price), hit: l.status === "filled" })),
      });
    }
    return { open: out, flat };
  }

  /** The original API's `exit` is an engine exit (R4.1, R9.1): a market order, a fill, a journal row. False: no engine position. */
  async exit(accountId: number, symbol: string, qty: number | undefined, actor: Actor, clientPrice?: number): Promise<boolean> {
    const p = this.engine.engine.position(accountId, symbol);
    if (!p || p.qty === 0) return false;
    // The server's last print prices a paper exit; without one, the price the client reported (else the next print).
    const refPrice = this.engine.engine.lastPrice(symbol) ?? clientPrice;
    try {
      await this.engine.command({ type: "command", accountId, symbol, command: { kind: "exit", qty: qty !== undefined && qty < p.qty ? qty : undefined, refPrice }, actor, tsMs: Date.now() });
    } catch (err) {
      if (err instanceof EngineError) throw new ServiceError(err.status, err.message);
      throw err;
    }
    return true;
  }

  /**
   * At start-up: a row the original API committed whose engine sync died with the process (a
   * SIGKILL between the two) is made to match now, and logged. Engine positions with no row are
   * desk trades and stay as they are.
   */
  async reconcile(accountIds?: readonly number[]): Promise<number> {
    let fixed = 0;
    const only = accountIds && new Set(accountIds);
    for (const o of await repo.listAllOrders(this.db)) {
      // Only the accounts this instance has just taken on (all of them, alone on the database).
      if (only ? !only.has(o.accountId) : !this.engine.serves(o.accountId)) continue;
      const p = this.engine.engine.position(o.accountId, o.symbol);
      const side = o.action === "buy" ? "long" : "short";
      // The row keeps the average rounded to 1e-9; the engine keeps the exact sum.
      if (p && p.qty === o.quantity && p.side === side && averageNearest(p.cost, p.qty) === o.entryPrice) continue;
      await this.sync(o.accountId, [o.symbol], { kind: "system", label: "start-up reconciliation", userId: null });
      this.logger.info("legacy.reconciled", { account_id: o.accountId, symbol: o.symbol, table: `${side} ${o.quantity}`, engine: p && p.qty ? `${p.side} ${p.qty}` : "flat", reason: "the original API's row changed but the engine did not follow before the process stopped" });
      fixed++;
    }
    return fixed;
  }

  private async syncOne(accountId: number, symbol: string, actor: Actor, ladderWritten: boolean): Promise<void> {
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
    // A trade opened on the desk has no levels in the original tables: its own ladder stays unless this call wrote one.
    if (levels.length === 0 && !ladderWritten) return this.syncStop(accountId, symbol, order.stopLoss, Number(order.entryPrice), run);
    try {
      await run({ kind: "set-ladder", levels: ladder });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      this.logger.warn("legacy.ladder_not_applied", { account_id: accountId, symbol, reason: err.message });
    }
    await this.syncStop(accountId, symbol, order.stopLoss, Number(order.entryPrice), run);
  }

  private async syncStop(accountId: number, symbol: string, stopLoss: unknown, entry: number, run: (c: Parameters<EngineService["command"]>[0]["command"]) => Promise<unknown>): Promise<void> {
    const stop = legacyStop(stopLoss, this.engine.spec(symbol)?.tick ?? 1, entry);
    const current = this.engine.engine.position(accountId, symbol);
    if (JSON.stringify(current?.stop?.config ?? null) === JSON.stringify(stop)) return;
    // The same stop in the original's words (a desk stop listed by get_active_orders and sent back): keep the engine's own.
    const s = current?.stop;
    if (s && stop && stop.initial.unit === "price" && stop.initial.value === s.price && stop.kind === (s.trailing ? "trailing" : s.config.kind)) return;
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
      await this.engine.fence(trx, c.accountId);
      const order = await repo.findOrder(trx, c.accountId, c.symbol, true);
      if (order) {
        if (c.position.qty === 0) {
          await repo.deleteOrder(trx, c.accountId, c.symbol);
          // The trade is over: its levels are ready for the next one, as the original's exit left them.
          await repo.resetTpHits(trx, c.accountId, c.symbol);
        }
        else if (order.quantity !== c.position.qty) await repo.upsertOrder(trx, c.accountId, c.symbol, { ...order, quantity: c.position.qty });
      }
      if (c.position.qty === 0) return;
      const levels = await repo.listTpLevels(trx, c.accountId, c.symbol, true);
      for (const e of fills.filter((x) => x.kind === "tp.filled")) {
        const price = BigInt(Number(e.data.levelPrice));
        const l = levels.find((x) => x.price === price && !x.hit);
        if (l) await repo.updateTpLevel(trx, l.id, { enabled: l.enabled, quantity: l.quantity, target: l.target, price: l.price, hit: true });
      }
    });
  }
}

export interface EngineOpen {
  symbol: string;
  action: "buy" | "sell";
  quantity: number;
  /** 1e-9 units, rounded to the nearest. */
  entryPrice: bigint;
  timestamp: number;
  stopLoss: unknown;
  levels: { enabled: boolean; quantity: number; price: bigint; hit: boolean }[];
}

/** An engine stop in the original's stop_loss JSON. */
function stopJson(s: StopState, side: "long" | "short", tick: number): Record<string, unknown> {
  const n = (v: number) => v / 1e9;
  if (s.trailing || s.config.kind === "trailing") {
    const by = s.config.trailBy;
    return { type: "trailing_stop", stopPrice: n(s.price), ...(by ? { trailAmount: n(by.unit === "ticks" ? by.value * tick : by.value) } : {}) };
  }
  if (s.config.kind === "stop-limit") {
    const off = (s.config.limitOffsetTicks ?? 0) * tick;
    return { type: "stop_limit", stopPrice: n(s.price), limitPrice: n(side === "long" ? s.price - off : s.price + off) };
  }
  return { type: "stop", stopPrice: n(s.price) };
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
