import type { Kysely } from "kysely";
import type { Logger } from "../log/logger";
import type { InstrumentRegistry } from "../market-data/instruments/instrument-registry";
import { GLOBEX_CALENDAR } from "../market-data/instruments/trading-hours";
import type { Database } from "../persistence/database";
import { appendEvent } from "../persistence/events";
import { loadAccounts, loadSnapshot } from "../persistence/repositories/engine-repo";
import { writeBatch } from "./batch-writer";
import { snapshotOf, TradingEngine } from "./engine/engine";
import { engineSpec } from "./engine/spec";
import {
  type AccountConfig,
  type AccountInput,
  type CommandInput,
  type Effect,
  EngineError,
  type EngineEvent,
  type EngineInput,
  type FeedInput,
  type InstrumentSpec,
  type Nanos,
  type Position,
  type ReportInput,
} from "./engine/types";
import type { EngineHost } from "./engine-host";
import type { ExecutionRouter } from "./execution/router";
import { ACCOUNT_MOVED, type Ownership, SOLE_OWNER } from "./ownership";
import type { CompositeInput, OrderUpdate, SideTables, Step, StepBatch, StepInput } from "./step-batch";
import { collect, emptyBatch, releaseBatch, runStep, stepFields, usersOf, withoutAccounts } from "./step-batch";

export type { CompositeInput, SideBatch, SideTables } from "./step-batch";

export interface EngineChange {
  userId: number;
  accountId: number;
  symbol: string;
  position: Position;
  events: EngineEvent[];
}

/**
 * Runs the engine for every account: prints from the bus, commands from the APIs, the clock,
 * and reports from the execution adapters go in one at a time; what the steps since the last
 * write changed is written in one transaction, and only then are their orders released and
 * their changes announced. If that write fails, the engine reloads the last committed state and
 * replays the batch's steps one by one, each written on its own: the step the database refuses
 * is undone and fails alone (its command answers the error), every other step — another user's
 * exit, a broker's fill — is kept. Memory, database and broker never disagree about what was done.
 */
export class EngineService implements EngineHost {
  readonly engine: TradingEngine;
  private pending: StepBatch;
  private flushing: Promise<void> | undefined;
  /** While a failed batch is replayed: inputs that arrive wait here, in order, to be stepped after it. */
  private held: Step[] | undefined;
  private clock: ReturnType<typeof setInterval> | undefined;
  private readonly accounts = new Map<number, AccountConfig & { name: string }>();
  private readonly listeners: ((c: EngineChange) => void)[] = [];
  private started = false;
  /** Committed while the lease's local deadline had passed: released once a renewal confirms it, dropped if it was lost. */
  private deferred: StepBatch[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly instruments: InstrumentRegistry,
    private readonly router: ExecutionRouter,
    private readonly logger: Logger,
    readonly now: () => number = Date.now,
    private readonly ownership: Ownership = SOLE_OWNER,
    private readonly side?: SideTables,
    /** Postgres takes a batch's statements as one query (one round trip); PGlite one by one. */
    private readonly batchInOneQuery = false,
  ) {
    this.engine = new TradingEngine((s) => this.spec(s), { calendar: GLOBEX_CALENDAR });
    this.pending = emptyBatch(side);
  }

  spec(symbol: string): (InstrumentSpec & { decimals: number }) | undefined {
    const i = this.instruments.get(symbol);
    return i ? engineSpec(i) : undefined;
  }

  /**
   * Starts stepping. Alone on the database it loads every account's committed state at once;
   * with shard leases, state arrives shard by shard through `adopt` as the leases are claimed.
   */
  async start(clockMs = 250, opts: { adoptAll?: boolean } = { adoptAll: true }): Promise<void> {
    if (opts.adoptAll) await this.adopt(() => true, "start-up");
    this.logger.info("engine.started", {
      positions: this.engine.allPositions().filter((p) => p.qty > 0).length,
      working_orders: this.engine.workingOrders().length,
    });
    this.started = true;
    if (clockMs > 0) this.clock = setInterval(() => this.tick(this.now()), clockMs);
  }

  /**
   * Takes on these users' accounts from their committed state (at start-up, or when their shard's
   * lease was claimed from an instance that died or gave it back) and re-sends their orders that
   * were released but never answered, under the same ids: the adapter treats them as one order.
   */
  async adopt(owns: (userId: number) => boolean, reason: string): Promise<number[]> {
    // One at a time: two adoptions of one account (a shard claimed, a request for a new account)
    // would each load it, and the second could put an older stored state over the first's steps.
    const run = this.adopting.then(() => this.adoptNow(owns, reason));
    this.adopting = run.catch(() => undefined);
    return run;
  }

  private adopting: Promise<unknown> = Promise.resolve();

  private async adoptNow(owns: (userId: number) => boolean, reason: string): Promise<number[]> {
    const accounts = (await loadAccounts(this.db)).filter(
      (a) => a.kind !== "replay" && owns(a.userId) && !this.accounts.has(a.id),
    );
    const ids = accounts.map((a) => a.id);
    const snap = await loadSnapshot(this.db, ids);
    await this.side?.load(ids);
    for (const a of accounts) this.setAccount(a);
    this.engine.adopt(snap);
    for (const o of snap.orders) {
      this.logger.info("engine.order_resent", {
        order_id: o.id,
        purpose: o.purpose,
        reason: `released before ${reason} and not yet answered (same id: the adapter treats it as one order)`,
      });
      this.router.submit(this.engine.order(o.id) ?? o);
    }
    if (ids.length)
      this.logger.info("engine.adopted", {
        accounts: ids.length,
        positions: snap.positions.filter((p) => p.qty > 0).length,
        working_orders: snap.orders.length,
        reason,
      });
    return ids;
  }

  /**
   * Another instance runs these users' accounts now: their state leaves this engine at once, and
   * nothing of theirs that waits to be released goes out (the new owner re-sends what is working).
   * Given back on purpose (`graceful`), what was already stepped is written first.
   */
  async drop(owns: (userId: number) => boolean, reason: string, graceful: boolean): Promise<number[]> {
    if (graceful) await this.settled();
    const ids = new Set([...this.accounts.values()].filter((a) => owns(a.userId)).map((a) => a.id));
    if (!ids.size) return [];
    for (const id of ids) this.accounts.delete(id);
    this.engine.forgetAccounts(ids);
    this.side?.forget(ids);
    // What was held back for them goes nowhere (the new owner re-sends what is working); the rest of each batch stays.
    this.deferred = this.deferred.filter((b) => withoutAccounts(b, ids));
    const fields = {
      accounts: ids.size,
      reason,
      action: graceful
        ? "written first, then handed over"
        : "state dropped at once; the new owner resumes from the database",
    };
    if (graceful) this.logger.info("engine.handed_over", fields);
    else this.logger.warn("engine.dropped", fields);
    return [...ids];
  }

  /** A lease renewal confirmed ownership: what was held back after a pause goes out now. */
  leasesRenewed(): void {
    const ready = this.deferred.filter((b) => this.ownership.mayRelease(this.usersOf(b)));
    if (!ready.length) return;
    this.deferred = this.deferred.filter((b) => !ready.includes(b));
    for (const b of ready) this.release(b);
  }

  /** The accounts whose engine runs here now. */
  servedAccounts(): number[] {
    return [...this.accounts.keys()];
  }

  /** Does this instance run the account's engine now (not a replay's, not another instance's)? */
  serves(accountId: number): boolean {
    return this.accounts.has(accountId);
  }

  private setAccount(a: AccountConfig & { name: string; execution: "paper" | "webhook" }): void {
    this.accounts.set(a.id, a);
    this.engine.setAccount(a);
    this.router.setRoute(a.id, a.kind === "live" ? a.execution : "paper");
  }

  private usersOf(batch: StepBatch): Set<number> {
    return usersOf(batch, (id) => this.accounts.get(id));
  }

  async stop(): Promise<void> {
    clearInterval(this.clock);
    this.started = false;
    await this.flushing;
  }

  /** Picks up new accounts and changed settings of the users this instance serves. */
  async reloadAccounts(): Promise<void> {
    let unloaded = false;
    for (const a of await loadAccounts(this.db)) {
      // Replay accounts belong to their sessions' own engines; the live engine never sees them.
      if (a.kind === "replay") continue;
      // An account this engine runs: its settings (execution, commission, risk limits) again.
      if (this.accounts.has(a.id)) this.setAccount(a);
      else if (this.ownership.ownsUser(a.userId)) unloaded = true;
    }
    // An account of a user served here but not taken on yet — a new one, or one of a shard just
    // claimed whose state is still being read — is taken on with its stored state, never blank:
    // a command run on a blank position would reuse its order ids and overwrite what is stored.
    if (unloaded)
      await this.adopt((userId) => this.ownership.ownsUser(userId), "an account served here, not yet loaded");
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
    if (this.held) return void this.held.push({ input: { type: "trade", symbol, price, size: 0, tsMs } });
    const fx = this.engine.onTrade(symbol, price, tsMs);
    if (fx.length) void this.commit({ type: "trade", symbol, price, size: 0, tsMs }, fx).catch(() => {});
  }

  tick(nowMs: number): void {
    this.background({ type: "clock", nowMs });
  }

  /** A symbol's prices stopped or came back (feed-watch.ts): stepped and stored like the clock. */
  feed(input: FeedInput): void {
    this.background(input);
  }

  /** Reports from execution adapters. */
  report(r: ReportInput): void {
    if (this.held) return void this.held.push({ input: r });
    if (!this.engine.order(r.orderId)) {
      this.logger.warn("engine.report_ignored", {
        order_id: r.orderId,
        kind: r.kind,
        reason: "no working order with this id (already answered, or unknown)",
      });
      return;
    }
    const { fx, update } = runStep(this.engine, r, this.pending.side);
    if (fx.length || update) void this.commit(r, fx, update).catch(() => {});
  }

  /** A trader's command: throws EngineError (4xx) with nothing changed, or resolves once it is durable. */
  async command(input: CommandInput): Promise<Position | undefined> {
    await this.submit(input);
    return this.engine.position(input.accountId, input.symbol) as Position | undefined;
  }

  /**
   * A command or a composite step: stepped now, answered once the batch it joined is committed.
   * Commands that arrive together share one transaction (group commit), each failing alone.
   */
  async submit(input: CommandInput | CompositeInput): Promise<void> {
    if (!this.accounts.has(input.accountId)) throw new EngineError(503, ACCOUNT_MOVED, undefined, "account_moved");
    if (this.held) {
      const held = this.held;
      await new Promise<void>((resolve, reject) => held.push({ input, waiter: { resolve, reject } }));
      return;
    }
    let fx: Effect[];
    try {
      fx = input.type === "composite" ? input.run(this.engine, this.pending.side) : this.engine.step(input);
    } catch (err) {
      if (err instanceof EngineError && err.code === "risk_limit") await this.refused(input, err.message);
      throw err;
    }
    await this.commit(input, fx);
  }

  /** A risk limit refused a command (nothing changed): the audit trail and the log say so. */
  private async refused(input: CommandInput | CompositeInput, reason: string): Promise<void> {
    const symbol = input.type === "command" ? input.symbol : undefined;
    const actor = input.actor ?? { kind: "system", label: "original API", userId: null };
    this.logger.warn("engine.refused", { account_id: input.accountId, symbol, actor: actor.label, reason });
    try {
      await appendEvent(this.db, { actor, accountId: input.accountId, symbol, kind: "risk.refused", reason, data: {} });
    } catch (err) {
      this.logger.error("engine.refusal_not_recorded", { reason: (err as Error).message });
    }
  }

  /** The kill switch or resuming after it, for one account: resolves once durable, throws EngineError (4xx). */
  async accountAction(input: AccountInput): Promise<void> {
    if (!this.accounts.has(input.accountId)) throw new EngineError(503, ACCOUNT_MOVED, undefined, "account_moved");
    if (this.held) {
      const held = this.held;
      await new Promise<void>((resolve, reject) => held.push({ input, waiter: { resolve, reject } }));
      return;
    }
    await this.commit(input, this.engine.step(input));
  }

  private background(input: EngineInput): void {
    if (!this.started) return;
    if (this.held) return void this.held.push({ input });
    const fx = this.engine.step(input);
    if (fx.length) void this.commit(input, fx).catch(() => {});
  }

  /** Waits until everything stepped so far is written (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private commit(input: StepInput, fx: readonly Effect[], update?: OrderUpdate): Promise<void> {
    const p = this.pending;
    collect(p, this.engine, this.side, fx, update);
    return new Promise<void>((resolve, reject) => {
      p.steps.push({ input, waiter: { resolve, reject } });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private write(batch: StepBatch): Promise<void> {
    return writeBatch(this.db, this.engine, this.ownership, batch, (b) => this.usersOf(b), this.batchInOneQuery);
  }

  /** After the write: orders go out, browsers hear of it, the log gets one line per event. */
  private release(batch: StepBatch): void {
    if (!this.ownership.mayRelease(this.usersOf(batch))) {
      // Committed, but this instance may have been paused past its lease: wait for a renewal to say it still owns them.
      this.logger.warn("engine.release_held", {
        accounts: [...batch.accounts].join(","),
        orders: batch.submits.length,
        reason:
          "the lease's local deadline passed (the process was paused or the database was slow); released when a renewal confirms ownership, dropped if another instance took over",
      });
      this.deferred.push(batch);
      return;
    }
    releaseBatch(batch, this.engine, this.router, this.logger, (pos, events) => {
      const acct = this.accounts.get(pos.accountId);
      for (const l of this.listeners)
        l({ userId: acct?.userId ?? 0, accountId: pos.accountId, symbol: pos.symbol, position: pos, events });
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.steps.length) {
        const batch = this.pending;
        this.pending = emptyBatch(this.side);
        try {
          await this.write(batch);
        } catch (err) {
          this.logger.error("engine.persist_failed", {
            reason: (err as Error).message,
            steps: batch.steps.length,
            action:
              "reloaded the last committed state; replaying the batch step by step so only the refused step fails",
          });
          await this.replay([...batch.steps, ...this.pending.steps.splice(0)]);
          continue;
        }
        this.release(batch);
        for (const st of batch.steps) st.waiter?.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** The committed state, then each step again on its own (deterministic engine: the same input, the same effects). */
  private async replay(steps: Step[]): Promise<void> {
    this.pending = emptyBatch(this.side);
    const held: Step[] = (this.held = []);
    try {
      if (!(await this.reload())) {
        for (const st of [...steps, ...held])
          st.waiter?.reject(new Error("the database is unreachable; the engine stopped"));
        return;
      }
      for (let st = steps.shift() ?? held.shift(); st; st = steps.shift() ?? held.shift()) await this.replayOne(st);
    } finally {
      this.held = undefined;
    }
  }

  private async replayOne(st: Step): Promise<void> {
    if (st.input.type === "report" && !this.engine.order(st.input.orderId)) return st.waiter?.resolve();
    // Its account left while it waited (the shard moved): the caller retries and reaches the new owner.
    if ((st.input.type === "command" || st.input.type === "composite") && !this.accounts.has(st.input.accountId))
      return st.waiter?.reject(new EngineError(503, ACCOUNT_MOVED, undefined, "account_moved"));
    const one = emptyBatch(this.side);
    let r: ReturnType<typeof runStep>;
    try {
      r = runStep(this.engine, st.input, one.side);
    } catch (err) {
      // A command that no longer fits the state without the refused step (EngineError): refused as it would be now.
      return st.waiter?.reject(err);
    }
    collect(one, this.engine, this.side, r.fx, r.update);
    try {
      await this.write(one);
    } catch (err) {
      this.logger.error("engine.step_refused", {
        ...stepFields(st.input),
        reason: (err as Error).message,
        action: "this step alone was undone; nothing of it was released",
      });
      st.waiter?.reject(err);
      await this.reload();
      return;
    }
    this.release(one);
    st.waiter?.resolve();
  }

  /** Back to the last committed state; if even that cannot be read, the engine stops acting (false). */
  private async reload(): Promise<boolean> {
    try {
      const ids = [...this.accounts.keys()];
      const snap = await loadSnapshot(this.db, ids);
      await this.side?.load(ids);
      // Accounts dropped while the snapshot was read (their lease was lost) must not come back.
      this.engine.restore(snapshotOf(snap, (id) => this.accounts.has(id)));
      if (this.side) this.side.forget(new Set(ids.filter((id) => !this.accounts.has(id))));
      return true;
    } catch (err) {
      this.logger.error("engine.stopped", {
        reason: `cannot read the committed state: ${(err as Error).message}`,
        action: "no automated action until the server is restarted",
      });
      this.started = false;
      clearInterval(this.clock);
      return false;
    }
  }
}
