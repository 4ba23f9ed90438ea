import type { StepWrite } from "../persistence/repositories/engine-repo";
import type { Logger } from "../log/logger";
import type { SqlScript } from "../persistence/multi-row";
import type { TradingEngine } from "./engine/engine";
import type { Actor, Effect, EngineEvent, EngineInput, Position, ReportInput } from "./engine/types";
import type { ExecutionRouter } from "./execution/router";
import { accountOf, accountOfEffect, announce, interpret, type StepPorts } from "./execution/step-interpreter";

export interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Tables kept beside the engine's own (the original API's): changed inside steps, written in
 * the same transaction as the engine's state, reloaded with it when a write fails.
 */
export interface SideTables {
  /** A record of one batch's changes, filled as its steps run. */
  batch(): SideBatch;
  /** A step's effects, as they are collected: what they change in these tables (fills made by rule). */
  follow(batch: SideBatch, fx: readonly Effect[], position: (key: string) => Position | undefined): void;
  /** The committed rows of these accounts (start-up, adoption, and back to them after a failed write). */
  load(accountIds: readonly number[]): Promise<void>;
  forget(accountIds: ReadonlySet<number>): void;
}

export interface SideBatch {
  /** Called when the batch closes, before its transaction begins: its statements (none when nothing differs). */
  seal(script: SqlScript): void;
}

/**
 * Several engine commands and side-table changes as one step: `run` works synchronously on the
 * engine and the tables, so nothing else interleaves, and throws to refuse with nothing changed.
 * If its batch's write fails, it runs again on the reloaded state, like any other step.
 */
export interface CompositeInput {
  type: "composite";
  accountId: number;
  /** Who asked (a refusal's event names them). */
  actor?: Actor;
  run(engine: TradingEngine, side: SideBatch | undefined): Effect[];
}

export type StepInput = EngineInput | CompositeInput;

/** One input as it was stepped, kept until its batch is written: a failed batch is replayed step by step. */
export interface Step {
  input: StepInput;
  waiter?: Waiter;
}

export type OrderUpdate = StepWrite["orderUpdates"][number];

/** What the steps since the last write changed: written in one transaction, then released. */
export interface StepBatch {
  keys: Set<string>;
  /** Accounts the batch writes for: their owners' leases fence the transaction. */
  accounts: Set<number>;
  write: Omit<StepWrite, "positions">;
  submits: Effect[];
  changes: Map<string, EngineEvent[]>;
  steps: Step[];
  side: SideBatch | undefined;
  /** The interpreter's ports into this batch, made at its first step. */
  ports?: StepPorts;
}

export const emptyBatch = (side?: SideTables): StepBatch => ({
  keys: new Set(),
  accounts: new Set(),
  write: { newOrders: [], orderUpdates: [], events: [], closed: [], days: [] },
  submits: [],
  changes: new Map(),
  steps: [],
  side: side?.batch(),
});

/** Strips a held-back batch of these accounts' orders and announcements; false when nothing is left. */
export function withoutAccounts(b: StepBatch, ids: ReadonlySet<number>): boolean {
  b.submits = b.submits.filter((s) => !ids.has(s.type === "submit" || s.type === "cancel" ? s.order.accountId : -1));
  for (const key of [...b.changes.keys()]) if (ids.has(accountOf(key))) b.changes.delete(key);
  b.write.events = b.write.events.filter((e) => !ids.has(e.accountId));
  b.write.days = b.write.days.filter(([id]) => !ids.has(id));
  for (const id of ids) b.accounts.delete(id);
  return b.accounts.size > 0;
}

/**
 * The live host's ports: every effect joins the batch's write (its account fences it), orders
 * wait in `submits` until the write is committed, changes are announced after it.
 */
function batchPorts(b: StepBatch, engine: TradingEngine): StepPorts {
  return {
    route(f) {
      b.accounts.add(accountOfEffect(f));
      if (f.type === "submit") {
        const wo = engine.order(f.order.id);
        if (wo) b.write.newOrders.push({ order: structuredClone(wo), bracket: engine.bracketFor(f.order.id) });
      } else b.write.orderUpdates.push({ id: f.order.id, status: "cancelled", filled: f.order.filled, note: f.reason });
      b.submits.push(f);
      return undefined;
    },
    persist(f) {
      b.accounts.add(accountOfEffect(f));
      if (f.type === "event") b.write.events.push(f.event);
      else if (f.type === "closed") b.write.closed.push(f.trade);
      else if (f.type === "day") b.write.days.push([f.accountId, f.day]);
      else
        b.write.orderUpdates.push({
          id: f.orderId,
          status: f.done ? "filled" : "working",
          filled: f.filled,
          note: f.note,
        });
    },
    changed(f) {
      b.accounts.add(accountOfEffect(f));
      b.keys.add(f.key);
    },
  };
}

/** A step's effects (and what a report does to its order's row) into the batch, and into the side tables. */
export function collect(
  b: StepBatch,
  engine: TradingEngine,
  side: SideTables | undefined,
  fx: readonly Effect[],
  update?: OrderUpdate,
): void {
  b.ports ??= batchPorts(b, engine);
  interpret(fx, b.changes, b.ports);
  if (update) {
    b.accounts.add(accountOf(update.id));
    b.write.orderUpdates.push(update);
  }
  if (b.side) side!.follow(b.side, fx, (key) => engine.positionByKey(key));
}

/** One input through the engine, with what a report does to its order's row. */
export function runStep(
  engine: TradingEngine,
  input: StepInput,
  side: SideBatch | undefined,
): { fx: Effect[]; update?: OrderUpdate } {
  if (input.type === "composite") return { fx: input.run(engine, side) };
  if (input.type === "report") return runReport(engine, input);
  return { fx: input.type === "trade" ? engine.onTrade(input.symbol, input.price, input.tsMs) : engine.step(input) };
}

/** The users whose leases fence a batch's write. */
export function usersOf(batch: StepBatch, account: (id: number) => { userId: number } | undefined): Set<number> {
  const users = new Set<number>();
  for (const id of batch.accounts) {
    const a = account(id);
    // An account no longer here has no lease to write under: the fence refuses -1.
    users.add(a ? a.userId : -1);
  }
  return users;
}

/**
 * A report through the engine, with what it does to its order's row (a resting order is still
 * working: nothing to write about the order itself).
 */
function runReport(engine: TradingEngine, r: ReportInput): { fx: Effect[]; update?: OrderUpdate } {
  const before = engine.order(r.orderId);
  if (!before) return { fx: [] };
  const qty = before.qty;
  const filledBefore = before.filled;
  const fx = engine.step(r);
  const after = engine.order(r.orderId);
  if (r.kind === "working") return { fx };
  if (r.kind !== "filled")
    return { fx, update: { id: r.orderId, status: r.kind, filled: filledBefore, note: r.reason } };
  const note = r.assumed
    ? r.price > 0
      ? "sent (2xx); fill assumed at the reference price"
      : "sent (2xx) with no price; fill assumed at the next print"
    : undefined;
  return {
    fx,
    update: { id: r.orderId, status: after ? "working" : "filled", filled: after ? after.filled : qty, note },
  };
}

/** After the write: orders go out, whoever listens hears of the changes, the log gets one line per event. */
export function releaseBatch(
  batch: StepBatch,
  engine: TradingEngine,
  router: ExecutionRouter,
  logger: Logger,
  changed: (position: Position, events: EngineEvent[]) => void,
): void {
  for (const s of batch.submits) {
    if (s.type === "submit") router.submit(s.order);
    else if (s.type === "cancel") router.cancel(s.order);
  }
  announce(batch.changes, (key) => engine.positionByKey(key), changed);
  for (const e of batch.write.events) {
    logger.info("engine.event", {
      kind: e.kind,
      account_id: e.accountId,
      symbol: e.symbol,
      trade_id: e.tradeId,
      actor: e.actor.label,
      reason: e.reason,
    });
  }
}

/** What the log says of a step: its kind, account, symbol and order. */
export function stepFields(input: StepInput): Record<string, unknown> {
  return {
    input: input.type,
    ...("accountId" in input
      ? { account_id: input.accountId, symbol: "symbol" in input ? input.symbol : undefined }
      : {}),
    ...("orderId" in input ? { order_id: input.orderId } : {}),
  };
}
