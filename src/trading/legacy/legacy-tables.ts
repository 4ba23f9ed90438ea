import type { Kysely } from "kysely";
import type { SqlScript } from "../../persistence/multi-row";
import type { Database } from "../../persistence/database";
import {
  loadLegacyRows,
  noLegacyRows,
  writeLegacyRows,
  type LegacyRowsWrite,
  type OrderWrite,
  type TpLevelWrite,
} from "../../persistence/repositories/orders-repo";
import type { SideBatch, SideTables } from "../engine-service";
import { levelJson, orderJson, type LegacyOrderJson, type LegacyTpJson } from "./legacy-json";
import type { Effect, Position } from "../engine/types";

export type { OrderWrite as LegacyOrder, TpLevelWrite as LegacyLevel };

const keyOf = (accountId: number, symbol: string) => `${accountId}:${symbol}`;
/** Nearest target first: the order `save_tp_level/{symbol}/{index}` counts in (targets are unique per symbol). */
export const byTarget = (a: TpLevelWrite, b: TpLevelWrite) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0);
const NO_LEVELS: readonly TpLevelWrite[] = Object.freeze([]);

function sameOrder(a: OrderWrite, b: OrderWrite): boolean {
  return (
    a.action === b.action &&
    a.quantity === b.quantity &&
    a.entryPrice === b.entryPrice &&
    a.timestamp === b.timestamp &&
    JSON.stringify(a.stopLoss ?? null) === JSON.stringify(b.stopLoss ?? null)
  );
}

export function sameLevel(a: TpLevelWrite, b: TpLevelWrite): boolean {
  return (
    a.enabled === b.enabled &&
    a.quantity === b.quantity &&
    a.target === b.target &&
    a.price === b.price &&
    a.hit === b.hit
  );
}

/**
 * One engine batch's changes to the original API's tables: per (account, symbol) the rows as
 * they were before the batch first touched them. What is written is the difference between
 * those and the rows now, turned into statements when the batch is sealed (before its
 * transaction starts).
 */
class LegacyBatch implements SideBatch {
  readonly orders = new Map<string, { accountId: number; symbol: string; before: OrderWrite | undefined }>();
  readonly ladders = new Map<string, { accountId: number; symbol: string; before: readonly TpLevelWrite[] }>();

  constructor(private readonly tables: LegacyTables) {}

  seal(script: SqlScript): void {
    const w: LegacyRowsWrite = { orderUpserts: [], orderDeletes: [], levelUpserts: [], levelDeletes: [] };
    for (const { accountId, symbol, before } of this.orders.values()) {
      const now = this.tables.order(accountId, symbol);
      if (!now) {
        if (before) w.orderDeletes.push({ accountId, symbol });
      } else if (!before || !sameOrder(before, now)) w.orderUpserts.push({ accountId, symbol, order: now });
    }
    for (const { accountId, symbol, before } of this.ladders.values()) {
      const now = this.tables.levels(accountId, symbol);
      const kept = new Set(now.map((l) => l.target));
      for (const l of before) if (!kept.has(l.target)) w.levelDeletes.push({ accountId, symbol, target: l.target });
      const old = new Map(before.map((l) => [l.target, l]));
      for (const l of now) {
        const was = old.get(l.target);
        if (!was || !sameLevel(was, l)) w.levelUpserts.push({ accountId, symbol, level: l });
      }
    }
    if (!noLegacyRows(w)) writeLegacyRows(script, w);
  }
}

/**
 * The original API's tables (`orders`, `take_profit_levels`) of the accounts this instance
 * runs, held in memory so that its reads cost no query. Changed only inside an engine step
 * (a request's composite step, or a rule fill followed here), so memory and the engine move
 * together and the rows are written in the engine's own transaction; a failed write reloads
 * them from the database with the engine's state.
 */
export class LegacyTables implements SideTables {
  private readonly ordersByAccount = new Map<number, Map<string, OrderWrite>>();
  private readonly levelsByKey = new Map<string, readonly TpLevelWrite[]>();
  /** The rows in the API's JSON shapes, built when they change rather than on every read. */
  private readonly orderJsonByKey = new Map<string, LegacyOrderJson>();
  private readonly levelsJsonByKey = new Map<string, readonly LegacyTpJson[]>();
  private readonly symbolsWithLevels = new Map<number, Set<string>>();

  constructor(private readonly db: Kysely<Database>) {}

  batch(): SideBatch {
    return new LegacyBatch(this);
  }

  async load(accountIds: readonly number[]): Promise<void> {
    const rows = await loadLegacyRows(this.db, accountIds);
    this.forget(new Set(accountIds));
    for (const o of rows.orders)
      this.putOrder(o.accountId, o.symbol, {
        action: o.action,
        quantity: o.quantity,
        entryPrice: o.entryPrice,
        timestamp: o.timestamp,
        stopLoss: o.stopLoss,
      });
    const grouped = new Map<string, { accountId: number; symbol: string; levels: TpLevelWrite[] }>();
    for (const l of rows.levels) {
      const k = keyOf(l.accountId, l.symbol);
      const g = grouped.get(k) ?? { accountId: l.accountId, symbol: l.symbol, levels: [] };
      g.levels.push({ enabled: l.enabled, quantity: l.quantity, target: l.target, price: l.price, hit: l.hit });
      grouped.set(k, g);
    }
    for (const g of grouped.values()) this.putLevels(g.accountId, g.symbol, g.levels);
  }

  forget(accountIds: ReadonlySet<number>): void {
    for (const id of accountIds) {
      for (const s of this.ordersByAccount.get(id)?.keys() ?? []) this.orderJsonByKey.delete(keyOf(id, s));
      this.ordersByAccount.delete(id);
      for (const s of this.symbolsWithLevels.get(id) ?? []) {
        this.levelsByKey.delete(keyOf(id, s));
        this.levelsJsonByKey.delete(keyOf(id, s));
      }
      this.symbolsWithLevels.delete(id);
    }
  }

  order(accountId: number, symbol: string): OrderWrite | undefined {
    return this.ordersByAccount.get(accountId)?.get(symbol);
  }

  /** Nearest target first. */
  levels(accountId: number, symbol: string): readonly TpLevelWrite[] {
    return this.levelsByKey.get(keyOf(accountId, symbol)) ?? NO_LEVELS;
  }

  orderJson(accountId: number, symbol: string): LegacyOrderJson | undefined {
    return this.orderJsonByKey.get(keyOf(accountId, symbol));
  }

  /** Nearest target first; the same array until the levels change (callers copy before changing it). */
  levelsJson(accountId: number, symbol: string): readonly LegacyTpJson[] {
    return this.levelsJsonByKey.get(keyOf(accountId, symbol)) ?? [];
  }

  orders(accountId: number): ReadonlyMap<string, OrderWrite> {
    return this.ordersByAccount.get(accountId) ?? new Map();
  }

  /** Symbols of the account with levels, alphabetically. */
  ladderSymbols(accountId: number): string[] {
    return [...(this.symbolsWithLevels.get(accountId) ?? [])].sort();
  }

  /** Inside a step: the row becomes `next` (undefined: removed); the batch remembers the row it replaces. */
  setOrder(batch: SideBatch, accountId: number, symbol: string, next: OrderWrite | undefined): void {
    const b = batch as LegacyBatch;
    const k = keyOf(accountId, symbol);
    if (!b.orders.has(k)) b.orders.set(k, { accountId, symbol, before: this.order(accountId, symbol) });
    if (next) this.putOrder(accountId, symbol, { ...next });
    else {
      this.ordersByAccount.get(accountId)?.delete(symbol);
      this.orderJsonByKey.delete(k);
    }
  }

  /** Inside a step: the symbol's levels become `next` (any order; kept nearest target first). */
  setLevels(batch: SideBatch, accountId: number, symbol: string, next: readonly TpLevelWrite[]): void {
    const b = batch as LegacyBatch;
    const k = keyOf(accountId, symbol);
    if (!b.ladders.has(k)) b.ladders.set(k, { accountId, symbol, before: this.levels(accountId, symbol) });
    this.putLevels(
      accountId,
      symbol,
      next.map((l) => ({ ...l })),
    );
  }

  /** Clears the `hit` flags of a symbol's levels (a trade ended or a new one began); the number cleared. */
  resetHits(batch: SideBatch, accountId: number, symbol: string): number {
    const levels = this.levels(accountId, symbol);
    const hits = levels.filter((l) => l.hit).length;
    if (hits)
      this.setLevels(
        batch,
        accountId,
        symbol,
        levels.map((l) => ({ ...l, hit: false })),
      );
    return hits;
  }

  /**
   * Fills the engine made by rule (TP, stop, timer) flow into the tables in the same step:
   * the trade's size left, its end, and the `hit` flag of the level that filled.
   */
  follow(batch: SideBatch, fx: readonly Effect[], position: (key: string) => Position | undefined): void {
    for (const f of fx) {
      if (f.type !== "event" || f.event.actor.kind !== "rule" || !/\.filled$|^trade\.closed$/.test(f.event.kind))
        continue;
      const { accountId, symbol } = f.event;
      const p = position(f.key);
      if (!p) continue;
      const row = this.order(accountId, symbol);
      if (row && p.qty === 0) {
        this.setOrder(batch, accountId, symbol, undefined);
        // The trade is over: its levels are ready for the next one, as the original's exit left them.
        this.resetHits(batch, accountId, symbol);
      } else if (row && row.quantity !== p.qty) this.setOrder(batch, accountId, symbol, { ...row, quantity: p.qty });
      if (p.qty === 0 || f.event.kind !== "tp.filled") continue;
      const price = BigInt(Number(f.event.data.levelPrice));
      const levels = this.levels(accountId, symbol);
      const i = levels.findIndex((l) => l.price === price && !l.hit);
      if (i >= 0)
        this.setLevels(
          batch,
          accountId,
          symbol,
          levels.map((l, j) => (j === i ? { ...l, hit: true } : l)),
        );
    }
  }

  private putOrder(accountId: number, symbol: string, o: OrderWrite): void {
    let m = this.ordersByAccount.get(accountId);
    if (!m) this.ordersByAccount.set(accountId, (m = new Map()));
    m.set(symbol, o);
    this.orderJsonByKey.set(keyOf(accountId, symbol), Object.freeze(orderJson(symbol, o)));
  }

  private putLevels(accountId: number, symbol: string, levels: TpLevelWrite[]): void {
    const symbols = this.symbolsWithLevels.get(accountId) ?? new Set<string>();
    this.symbolsWithLevels.set(accountId, symbols);
    const k = keyOf(accountId, symbol);
    if (!levels.length) {
      this.levelsByKey.delete(k);
      this.levelsJsonByKey.delete(k);
      symbols.delete(symbol);
      return;
    }
    const sorted = Object.freeze(levels.sort(byTarget));
    this.levelsByKey.set(k, sorted);
    this.levelsJsonByKey.set(k, Object.freeze(sorted.map((l) => Object.freeze(levelJson(l)))));
    symbols.add(symbol);
  }
}
