import type { Kysely } from "kysely";
import type { Logger } from "../log/logger";
import type { InstrumentRegistry } from "../market-data/instruments/instrument-registry";
import { engineSpec } from "./engine/spec";
import type { Database } from "../persistence/database";
import { loadAccounts, loadSnapshot, writeStep, type StepWrite } from "../persistence/repositories/engine-repo";
import { TradingEngine } from "./engine/engine";
import { noteChange, type AccountConfig, type CommandInput, type Effect, type EngineEvent, type InstrumentSpec, type Nanos, type Position, type ReportInput } from "./engine/types";
import type { EngineHost } from "./engine-host";
import type { ExecutionRouter } from "./execution/router";

export interface EngineChange {
  userId: number;
  accountId: number;
  symbol: string;
  position: Position;
  events: EngineEvent[];
}

interface Pending {
  keys: Set<string>;
  write: Omit<StepWrite, "positions">;
  submits: Effect[];
  changes: Map<string, EngineEvent[]>;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

const emptyPending = (): Pending => ({ keys: new Set(), write: { newOrders: [], orderUpdates: [], events: [], closed: [] }, submits: [], changes: new Map(), waiters: [] });

/**
 * Runs the engine for every account: prints from the bus, commands from the APIs, the clock,
 * and reports from the execution adapters go in one at a time; what a step changed is written
 * in one transaction, and only then are its orders released and its changes announced. If a
 * write fails, the engine reloads the last committed state and nothing is released, so memory,
 * database and broker never disagree about what was done.
 */
export class EngineService implements EngineHost {
  readonly engine: TradingEngine;
  private pending = emptyPending();
  private flushing: Promise<void> | undefined;
  private clock: ReturnType<typeof setInterval> | undefined;
  private readonly accounts = new Map<number, AccountConfig & { name: string }>();
  private readonly listeners: ((c: EngineChange) => void)[] = [];
  private started = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly instruments: InstrumentRegistry,
    private readonly router: ExecutionRouter,
    private readonly logger: Logger,
    readonly now: () => number = Date.now,
  ) {
    this.engine = new TradingEngine((s) => this.spec(s));
  }

  spec(symbol: string): (InstrumentSpec & { decimals: number }) | undefined {
    const i = this.instruments.get(symbol);
    return i ? engineSpec(i) : undefined;
  }

  /** Loads accounts and the last committed state; re-sends orders that were released but never answered. */
  async start(clockMs = 250): Promise<void> {
    await this.reloadAccounts();
    this.engine.restore(await loadSnapshot(this.db));
    const working = this.engine.workingOrders();
    for (const o of working) {
      this.logger.info("engine.order_resent", { order_id: o.id, purpose: o.purpose, reason: "released before the restart and not yet answered (same id: the adapter treats it as one order)" });
      this.router.submit(o);
    }
    this.logger.info("engine.started", { positions: this.engine.allPositions().filter((p) => p.qty > 0).length, working_orders: working.length });
    this.started = true;
    if (clockMs > 0) this.clock = setInterval(() => this.tick(this.now()), clockMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.clock);
    this.started = false;
    await this.flushing;
  }

  async reloadAccounts(): Promise<void> {
    for (const a of await loadAccounts(this.db)) {
      // Replay accounts belong to their sessions' own engines; the live engine never sees them.
      if (a.kind === "replay") continue;
      this.accounts.set(a.id, a);
      this.engine.setAccount(a);
      this.router.setRoute(a.id, a.kind === "live" ? a.execution : "paper");
    }
  }

  account(id: number): (AccountConfig & { name: string }) | undefined {
    return this.accounts.get(id);
  }

  onChange(listener: (c: EngineChange) => void): void {
    this.listeners.push(listener);
  }

  /** The hot path: called synchronously by the price bus for every print. */
  onTrade(symbol: string, price: Nanos, tsMs: number): void {
    if (!this.started) return;
    const fx = this.engine.onTrade(symbol, price, tsMs);
    if (fx.length) void this.commit(fx).catch(() => {});
  }

  tick(nowMs: number): void {
    if (!this.started) return;
    const fx = this.engine.step({ type: "clock", nowMs });
    if (fx.length) void this.commit(fx).catch(() => {});
  }

  /** Reports from execution adapters. */
  report(r: ReportInput): void {
    const before = this.engine.order(r.orderId);
    if (!before) {
      this.logger.warn("engine.report_ignored", { order_id: r.orderId, kind: r.kind, reason: "no working order with this id (already answered, or unknown)" });
      return;
    }
    const qty = before.qty;
    const filledBefore = before.filled;
    const fx = this.engine.step(r);
    const after = this.engine.order(r.orderId);
    // A resting order is still working: nothing to write about the order itself.
    const update: StepWrite["orderUpdates"][number] | undefined = r.kind === "working"
      ? undefined
      : r.kind === "filled"
        ? { id: r.orderId, status: after ? "working" : "filled", filled: after ? after.filled : qty, note: r.assumed ? (r.price > 0 ? "sent (2xx); fill assumed at the reference price" : "sent (2xx) with no price; fill assumed at the next print") : undefined }
        : { id: r.orderId, status: r.kind, filled: filledBefore, note: r.reason };
    if (fx.length || update) void this.commit(fx, update).catch(() => {});
  }

  /** A trader's command: throws EngineError (4xx) with nothing changed, or resolves once it is durable. */
  async command(input: CommandInput): Promise<Position | undefined> {
    const fx = this.engine.step(input);
    await this.commit(fx);
    return this.engine.position(input.accountId, input.symbol) as Position | undefined;
  }

  /** Waits until everything stepped so far is written (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private commit(fx: readonly Effect[], update?: StepWrite["orderUpdates"][number]): Promise<void> {
    const p = this.pending;
    for (const f of fx) {
      switch (f.type) {
        case "submit": {
          const wo = this.engine.order(f.order.id);
          if (wo) p.write.newOrders.push({ order: structuredClone(wo), bracket: this.engine.bracketFor(f.order.id) });
          p.submits.push(f);
          break;
        }
        case "cancel":
          p.write.orderUpdates.push({ id: f.order.id, status: "cancelled", filled: f.order.filled, note: f.reason });
          p.submits.push(f);
          break;
        case "event":
          p.write.events.push(f.event);
          noteChange(p.changes, f);
          break;
        case "changed":
          p.keys.add(f.key);
          noteChange(p.changes, f);
          break;
        case "closed":
          p.write.closed.push(f.trade);
          break;
      }
    }
    if (update) p.write.orderUpdates.push(update);
    return new Promise<void>((resolve, reject) => {
      p.waiters.push({ resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.waiters.length) {
        const batch = this.pending;
        this.pending = emptyPending();
        // Copied now, before any await: later steps belong to the next batch, and a position
        // must never be stored with an order whose own row is not in the same transaction.
        const positions = [...batch.keys].map((k) => this.engine.positionByKey(k)).filter((x): x is Position => x !== undefined).map((x) => structuredClone(x));
        try {
          await this.db.transaction().execute((trx) => writeStep(trx, { positions, ...batch.write }));
        } catch (err) {
          this.logger.error("engine.persist_failed", { reason: (err as Error).message, action: "reloaded the last committed state; no order released" });
          // Steps taken since were built on the state just thrown away: they are void too.
          const later = this.pending;
          this.pending = emptyPending();
          this.engine.restore(await loadSnapshot(this.db));
          for (const w of [...batch.waiters, ...later.waiters]) w.reject(err);
          continue;
        }
        for (const s of batch.submits) {
          if (s.type === "submit") this.router.submit(s.order);
          else if (s.type === "cancel") this.router.cancel(s.order);
        }
        for (const [key, events] of batch.changes) {
          const pos = this.engine.positionByKey(key);
          if (!pos) continue;
          const acct = this.accounts.get(pos.accountId);
          for (const l of this.listeners) l({ userId: acct?.userId ?? 0, accountId: pos.accountId, symbol: pos.symbol, position: pos, events });
        }
        for (const e of batch.write.events) {
          this.logger.info("engine.event", { kind: e.kind, account_id: e.accountId, symbol: e.symbol, trade_id: e.tradeId, actor: e.actor.label, reason: e.reason });
        }
        for (const w of batch.waiters) w.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
