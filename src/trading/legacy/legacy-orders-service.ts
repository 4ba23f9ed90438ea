import type { Kysely, Transaction } from "kysely";
import type { z } from "zod";
import type { Instrument } from "../../market-data/instruments/catalogue";
import { resolveSymbol } from "../../market-data/instruments/symbols";
import type { Database } from "../../persistence/database";
import { appendEvent, type Actor } from "../../persistence/events";
import * as repo from "../../persistence/repositories/orders-repo";
import type { OpenOrder, Side, TpLevel, TpLevelWrite } from "../../persistence/repositories/orders-repo";
import { fixedFromNumber, fixedToNumber, formatFixed, isMultipleOf } from "../../shared/fixed-point";
import { ServiceError } from "../service-error";
import type { EngineOpen } from "./engine-bridge";
import {
  bulkSchema,
  describeZodError,
  saveTpLevelsBodySchema,
  singleOrderSchema,
  tpLevelPatchSchema,
  type StopLossInput,
  type TpLevelInput,
} from "./schemas";

export interface CallContext {
  actor: Actor;
  accountId: number;
}

/** JSON shapes of the original API. */
export interface LegacyOrderJson {
  symbol: string;
  action: Side;
  quantity: number;
  entry_price: number;
  timestamp: number;
  stop_loss: unknown;
}
export interface LegacyTpJson {
  enabled: boolean;
  quantity: number;
  target: number;
  price: number;
  hit: boolean;
}

export const PLACE_ORDER_OK = "Orders and TP levels updated successfully";

/**
 * The engine as the original API sees it (docs/trading-rules.md R9.1): its open positions, so
 * a trade opened on the desk is listed and acted on like one of the original client's, and its
 * exit, a real one with a fill and a journal row.
 */
export interface EnginePort {
  /** Open positions, and the symbols the engine knows as flat (their rows are closed trades waiting to be removed). */
  openPositions(accountId: number): { open: EngineOpen[]; flat: Set<string> };
  exit(accountId: number, symbol: string, qty: number | undefined, actor: Actor, clientPrice?: number): Promise<boolean>;
  /** The engine's last print of a symbol (1e-9 units), to tell which side of the market a stop is on. */
  lastPrice?(symbol: string): number | undefined;
  /** Inside a write: the account is still this instance's to change (shard leases; see ownership.ts). */
  fence?(trx: Transaction<Database>, accountId: number): Promise<void>;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new ServiceError(400, describeZodError(r.error));
  return r.data;
}

function resolve(symbol: string, field: string): Instrument {
  const r = resolveSymbol(symbol);
  if (!r.ok) throw new ServiceError(400, `${field}: ${r.message}`);
  return r.value.instrument;
}

function onTick(value: number, inst: Instrument, field: string): bigint {
  const units = fixedFromNumber(value);
  if (units <= 0n || !isMultipleOf(units, inst.tickSize)) {
    throw new ServiceError(400, `${field}: ${value} is not on ${inst.root}'s tick grid (${formatFixed(inst.tickSize)})`);
  }
  return units;
}

function checkStopLoss(s: StopLossInput, inst: Instrument, field: string): unknown {
  if (s == null) return null;
  for (const key of ["stopPrice", "limitPrice", "trailAmount", "signalPrice"] as const) {
    const v = s[key];
    if (v != null) onTick(v, inst, `${field}.${key}`);
  }
  // Store only the known keys, in the original's spelling.
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

function toLevels(levels: TpLevelInput[], inst: Instrument, field: string): TpLevelWrite[] {
  const seen = new Set<bigint>();
  return levels.map((l, i) => {
    const target = onTick(l.target, inst, `${field}.${i}.target`);
    if (seen.has(target)) throw new ServiceError(400, `${field}.${i}.target: two levels at ${l.target} points`);
    seen.add(target);
    return { enabled: l.enabled, quantity: l.quantity, target, price: onTick(l.price, inst, `${field}.${i}.price`), hit: l.hit };
  });
}

const sideWord = (s: Side) => (s === "buy" ? "long" : "short");

/**
 * The original REST API's behaviour over the database, with its defects fixed: validated,
 * tick-checked, atomic, audited; after each change the engine is made to match, so its exits
 * run on the server (see engine-bridge.ts).
 */
export class LegacyOrdersService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
    /** After a change commits: make the engine match (see engine-bridge.ts); `ladders`: symbols whose levels this call wrote. */
    private readonly changed: (accountId: number, symbols: string[], actor: Actor, ladders?: ReadonlySet<string>) => Promise<void> = async () => {},
    private readonly engine?: EnginePort,
  ) {}

  private readonly queues = new Map<string, Promise<void>>();

  async placeOrder(ctx: CallContext, body: unknown): Promise<string> {
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ServiceError(400, "body must be a JSON object");
    const bulk = "active_orders" in body;
    const named = bulk
      ? [...Object.keys((body as { active_orders?: object }).active_orders ?? {}), ...Object.keys((body as { tp_levels?: object }).tp_levels ?? {})]
      : [String((body as { ticker?: unknown }).ticker ?? "")];
    return this.serially(ctx.accountId, named, async () => {
      if (!bulk && (await this.engineExit(ctx, body))) return PLACE_ORDER_OK;
      const symbols = bulk ? await this.bulk(ctx, body) : await this.single(ctx, body);
      const ladders = bulk ? new Set(Object.keys((body as { tp_levels?: object }).tp_levels ?? {}).map((k) => resolve(k, "tp_levels").root)) : new Set<string>();
      await this.changed(ctx.accountId, symbols, ctx.actor, ladders);
      return PLACE_ORDER_OK;
    });
  }

  /**
   * One change per account and symbol at a time, from its read to the engine having followed
   * it: concurrent orders on a flat symbol (no row to lock) or on a desk trade (the engine ahead
   * of the table) would otherwise each start from the same state and overwrite one another.
   * Symbols are taken in one order, so two bulk requests never wait on each other in a circle.
   */
  private async serially<T>(accountId: number, names: string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(names.map((n) => `${accountId}:${resolveSymbol(n).ok ? resolve(n, "ticker").root : n}`))].sort();
    const before = keys.map((k) => this.queues.get(k) ?? Promise.resolve());
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    for (const k of keys) this.queues.set(k, mine);
    try {
      await Promise.all(before);
      return await fn();
    } finally {
      done();
      for (const k of keys) if (this.queues.get(k) === mine) this.queues.delete(k);
    }
  }

  /** A single `exit` of a symbol the engine holds is the engine's exit; the tables follow its fill (engine-bridge.ts). */
  private async engineExit(ctx: CallContext, body: unknown): Promise<boolean> {
    if (!this.engine || (body as { action?: unknown }).action !== "exit") return false;
    const o = parse(singleOrderSchema, body);
    const inst = resolve(o.ticker, "ticker");
    const priceValue = o.entry_price ?? o.limitPrice ?? o.price;
    const price = priceValue == null ? undefined : Number(onTick(priceValue, inst, "price"));
    return this.engine.exit(ctx.accountId, inst.root, o.quantity, ctx.actor, price);
  }

  /** The original's row of a symbol, or — for a trade opened on the desk — the engine's position in its shape. */
  private async current(trx: Transaction<Database>, accountId: number, symbol: string): Promise<OpenOrder | undefined> {
    const row = await repo.findOrder(trx, accountId, symbol, true);
    if (row || !this.engine) return row;
    const p = this.engine.openPositions(accountId).open.find((x) => x.symbol === symbol);
    return p ? { id: 0, accountId, symbol, action: p.action, quantity: p.quantity, entryPrice: p.entryPrice, timestamp: p.timestamp, stopLoss: p.stopLoss } as OpenOrder : undefined;
  }

  private async single(ctx: CallContext, body: unknown): Promise<string[]> {
    const o = parse(singleOrderSchema, body);
    const inst = resolve(o.ticker, "ticker");
    const symbol = inst.root;
    const stopLoss = checkStopLoss(o.stop_loss ?? o.stopLoss, inst, o.stop_loss ? "stop_loss" : "stopLoss");
    const priceValue = o.entry_price ?? o.limitPrice ?? o.price;
    const price = priceValue == null ? undefined : onTick(priceValue, inst, o.entry_price != null ? "entry_price" : o.limitPrice != null ? "limitPrice" : "price");
    await this.db.transaction().execute(async (trx) => {
      await this.engine?.fence?.(trx, ctx.accountId);
      const existing = await this.current(trx, ctx.accountId, symbol);
      if (o.action === "exit") {
        await this.exit(trx, ctx, symbol, existing, o.quantity, price);
        return;
      }
      if (price === undefined) {
        throw new ServiceError(400, "entry_price: required (or limitPrice) until the server has a live price for " + symbol);
      }
      const qty = o.quantity!;
      const ts = o.timestamp ?? this.nowSeconds();
      if (!existing) {
        await repo.upsertOrder(trx, ctx.accountId, symbol, { action: o.action, quantity: qty, entryPrice: price, timestamp: ts, stopLoss });
        await repo.resetTpHits(trx, ctx.accountId, symbol);
        await this.event(trx, ctx, symbol, "order.opened", `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}: new ${sideWord(o.action)} trade`, { quantity: qty, price });
      } else if (existing.action === o.action) {
        // Adding to a position averages the entry (rounded to 1e-9, the storage scale).
        const total = existing.quantity + qty;
        const avg = (existing.entryPrice * BigInt(existing.quantity) + price * BigInt(qty) + BigInt(total) / 2n) / BigInt(total);
        await repo.upsertOrder(trx, ctx.accountId, symbol, {
          action: o.action, quantity: total, entryPrice: avg, timestamp: existing.timestamp, stopLoss: stopLoss ?? existing.stopLoss,
        });
        await this.event(trx, ctx, symbol, "order.added",
          `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}: added to ${sideWord(o.action)}, now ${total} @ ${formatFixed(avg)} average`,
          { quantity: qty, price, total, average: avg });
      } else {
        // Netting: an opposite order reduces first; any remainder opens the other side.
        const remainder = qty - existing.quantity;
        if (remainder < 0) {
          await repo.upsertOrder(trx, ctx.accountId, symbol, { ...existing, quantity: -remainder });
          await this.event(trx, ctx, symbol, "order.reduced", `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}: reduced ${sideWord(existing.action)} to ${-remainder}`, { quantity: qty, price });
        } else {
          await repo.deleteOrder(trx, ctx.accountId, symbol);
          await repo.resetTpHits(trx, ctx.accountId, symbol);
          let reason = `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}: closed ${sideWord(existing.action)} ${existing.quantity}`;
          if (remainder > 0) {
            await repo.upsertOrder(trx, ctx.accountId, symbol, { action: o.action, quantity: remainder, entryPrice: price, timestamp: ts, stopLoss });
            reason += `, opened ${sideWord(o.action)} ${remainder}`;
          }
          await this.event(trx, ctx, symbol, remainder > 0 ? "order.reversed" : "order.closed", reason, { quantity: qty, price });
        }
      }
      if (stopLoss) await this.checkStop(trx, ctx.accountId, inst, stopLoss, o.stop_loss ? "stop_loss" : "stopLoss");
      await this.checkLadder(trx, ctx.accountId, inst, `tp_levels.${symbol}`);
    });
    return [symbol];
  }

  private async exit(trx: Transaction<Database>, ctx: CallContext, symbol: string, existing: OpenOrder | undefined, qty: number | undefined, price: bigint | undefined) {
    if (!existing) return; // Exiting a flat symbol is a no-op, so a retried exit is harmless.
    const at = price === undefined ? "" : ` @ ${formatFixed(price)}`;
    if (qty !== undefined && qty < existing.quantity) {
      await repo.upsertOrder(trx, ctx.accountId, symbol, { ...existing, quantity: existing.quantity - qty });
      await this.event(trx, ctx, symbol, "order.reduced", `exit ${qty} of ${existing.quantity} ${symbol}${at}: ${existing.quantity - qty} left`, { quantity: qty });
      return;
    }
    await repo.deleteOrder(trx, ctx.accountId, symbol);
    const reset = await repo.resetTpHits(trx, ctx.accountId, symbol);
    await this.event(trx, ctx, symbol, "order.closed", `exit ${existing.quantity} ${symbol}${at}: trade closed${reset ? `, ${reset} TP hit flags reset` : ""}`, { quantity: existing.quantity });
  }

  private async bulk(ctx: CallContext, body: unknown): Promise<string[]> {
    const b = parse(bulkSchema, body);
    const orders = new Map<string, { inst: Instrument; o: (typeof b.active_orders)[string] }>();
    for (const [key, o] of Object.entries(b.active_orders)) {
      const inst = resolve(key, `active_orders.${key}`);
      if (orders.has(inst.root)) throw new ServiceError(400, `active_orders.${key}: ${inst.root} appears twice`);
      orders.set(inst.root, { inst, o });
    }
    const ladders = new Map<string, { inst: Instrument; levels: TpLevelWrite[] }>();
    for (const [key, levels] of Object.entries(b.tp_levels ?? {})) {
      const inst = resolve(key, `tp_levels.${key}`);
      if (ladders.has(inst.root)) throw new ServiceError(400, `tp_levels.${key}: ${inst.root} appears twice`);
      ladders.set(inst.root, { inst, levels: toLevels(levels, inst, `tp_levels.${key}`) });
    }
    const writes = [...orders].map(([symbol, { inst, o }]) => ({
      symbol,
      inst,
      o,
      price: o.entry_price == null ? undefined : onTick(o.entry_price, inst, `active_orders.${symbol}.entry_price`),
      stopLoss: checkStopLoss(o.stop_loss, inst, `active_orders.${symbol}.stop_loss`),
    }));
    // All or nothing: one transaction; any refusal below rolls every symbol back.
    await this.db.transaction().execute(async (trx) => {
      await this.engine?.fence?.(trx, ctx.accountId);
      for (const w of writes) {
        const existing = await repo.findOrder(trx, ctx.accountId, w.symbol, true);
        if (w.o.action === "exit") {
          await this.exit(trx, ctx, w.symbol, existing, w.o.quantity, w.price);
          continue;
        }
        const next = { action: w.o.action, quantity: w.o.quantity!, entryPrice: w.price!, timestamp: w.o.timestamp ?? existing?.timestamp ?? this.nowSeconds(), stopLoss: w.stopLoss };
        if (existing && existing.action === next.action && existing.quantity === next.quantity && existing.entryPrice === next.entryPrice && JSON.stringify(existing.stopLoss) === JSON.stringify(next.stopLoss) && existing.timestamp === next.timestamp) continue;
        await repo.upsertOrder(trx, ctx.accountId, w.symbol, next);
        await this.event(trx, ctx, w.symbol, existing ? "order.synced" : "order.opened",
          `${existing ? "synced" : "opened"} ${sideWord(next.action)} ${next.quantity} ${w.symbol} @ ${formatFixed(next.entryPrice)}`, { quantity: next.quantity, price: next.entryPrice });
      }
      for (const [symbol, { inst, levels }] of ladders) {
        await this.writeLadder(trx, ctx, inst, symbol, levels);
      }
      for (const w of writes) if (w.stopLoss) await this.checkStop(trx, ctx.accountId, w.inst, w.stopLoss, `active_orders.${w.symbol}.stop_loss`);
      for (const { inst } of [...writes, ...ladders.values()]) await this.checkLadder(trx, ctx.accountId, inst, `tp_levels.${inst.root}`);
    });
    return [...new Set([...orders.keys(), ...ladders.keys()])];
  }

  private async writeLadder(trx: Transaction<Database>, ctx: CallContext, inst: Instrument, symbol: string, levels: TpLevelWrite[]) {
    const before = await repo.listTpLevels(trx, ctx.accountId, symbol, true);
    if (sameLadder(before, levels)) return;
    await repo.replaceTpLevels(trx, ctx.accountId, symbol, levels);
    const describe = levels.map((l) => `${l.quantity}@${formatFixed(l.price)}${l.enabled ? "" : " (off)"}${l.hit ? " (hit)" : ""}`).join(", ");
    await this.event(trx, ctx, symbol, "tp.replaced", `TP levels for ${inst.root} set: ${describe || "none"}`, { levels: levels.length });
  }

  /** A ladder must be on the trade's profit side and never sell more than is open. */
  private async checkLadder(trx: Transaction<Database>, accountId: number, inst: Instrument, field: string): Promise<void> {
    const order = await repo.findOrder(trx, accountId, inst.root);
    if (!order) return;
    const levels = (await repo.listTpLevels(trx, accountId, inst.root)).filter((l) => l.enabled && !l.hit);
    const total = levels.reduce((s, l) => s + l.quantity, 0);
    if (total > order.quantity) {
      throw new ServiceError(400, `${field}: enabled levels take ${total} contracts but the ${sideWord(order.action)} position is ${order.quantity}`);
    }
    for (const l of levels) {
      const wrongSide = order.action === "buy" ? l.price <= order.entryPrice : l.price >= order.entryPrice;
      if (wrongSide) {
        throw new ServiceError(400, `${field}: level at ${formatFixed(l.price)} is not on the profit side of a ${sideWord(order.action)} entry at ${formatFixed(order.entryPrice)}`);
      }
    }
  }

  /**
   * A stop this call wrote must be on the losing side of the market (else of the entry, with no
   * price yet): the engine refuses one that would fire at once, and the trade would then show a
   * stop that nothing manages.
   */
  private async checkStop(trx: Transaction<Database>, accountId: number, inst: Instrument, stopLoss: unknown, field: string): Promise<void> {
    const order = await repo.findOrder(trx, accountId, inst.root);
    const stopPrice = (stopLoss as { stopPrice?: number | null }).stopPrice;
    // An opposite order that only reduces keeps the trade's own stop: nothing new to check.
    if (!order || stopPrice == null || JSON.stringify(order.stopLoss) !== JSON.stringify(stopLoss)) return;
    const stop = fixedFromNumber(stopPrice);
    const last = this.engine?.lastPrice?.(inst.root);
    const ref = last !== undefined && last > 0 ? BigInt(last) : order.entryPrice;
    const what = last !== undefined && last > 0 ? `the market (${formatFixed(ref)})` : `the entry (${formatFixed(ref)})`;
    const long = order.action === "buy";
    if (long ? stop >= ref : stop <= ref) {
      throw new ServiceError(400, `${field}.stopPrice: ${formatFixed(stop)} is ${long ? "at or above" : "at or below"} ${what}; a ${sideWord(order.action)} stop must be ${long ? "below" : "above"} it`);
    }
  }

  async getActiveOrders(accountId: number): Promise<{ active_orders: Record<string, LegacyOrderJson>; tp_levels: Record<string, LegacyTpJson[]> }> {
    const [orders, ladders] = await Promise.all([repo.listOrders(this.db, accountId), repo.listAllTpLevels(this.db, accountId)]);
    const active_orders: Record<string, LegacyOrderJson> = {};
    for (const o of orders) active_orders[o.symbol] = orderJson(o);
    const tp_levels: Record<string, LegacyTpJson[]> = {};
    for (const [symbol, levels] of ladders) tp_levels[symbol] = levels.map(levelJson);
    // The engine is what is open (R9.1): its size and average win, desk trades are listed too, and
    // a trade it has closed is gone at once (the table row follows its fill a moment later).
    const engine = this.engine?.openPositions(accountId) ?? { open: [], flat: new Set<string>() };
    for (const s of engine.flat) delete active_orders[s];
    for (const p of engine.open) {
      const row = active_orders[p.symbol];
      active_orders[p.symbol] = row
        ? { ...row, action: p.action, quantity: p.quantity, entry_price: fixedToNumber(p.entryPrice) }
        : { symbol: p.symbol, action: p.action, quantity: p.quantity, entry_price: fixedToNumber(p.entryPrice), timestamp: p.timestamp, stop_loss: p.stopLoss };
      if (!tp_levels[p.symbol] && p.levels.length) {
        tp_levels[p.symbol] = p.levels.map((l) => ({ enabled: l.enabled, quantity: l.quantity, target: fixedToNumber(l.price > p.entryPrice ? l.price - p.entryPrice : p.entryPrice - l.price), price: fixedToNumber(l.price), hit: l.hit }));
      }
    }
    return { active_orders, tp_levels };
  }

  async clearTrade(ctx: CallContext, ticker: string): Promise<string> {
    const inst = resolve(ticker, "ticker");
    return this.serially(ctx.accountId, [inst.root], () => this.clearOne(ctx, inst));
  }

  private async clearOne(ctx: CallContext, inst: Instrument): Promise<string> {
    const message = await this.db.transaction().execute(async (trx) => {
      await this.engine?.fence?.(trx, ctx.accountId);
      const hadOrder = await repo.deleteOrder(trx, ctx.accountId, inst.root);
      const levels = await repo.deleteTpLevels(trx, ctx.accountId, inst.root);
      if (!hadOrder && levels === 0) return `Nothing to clear for ${inst.root}`;
      await this.event(trx, ctx, inst.root, "trade.cleared", `trade cleared for ${inst.root}${hadOrder ? "" : " (no open trade)"}, ${levels} TP levels removed`, {});
      return `Trade cleared for ${inst.root}`;
    });
    await this.changed(ctx.accountId, [inst.root], ctx.actor);
    return message;
  }

  async saveTpLevels(ctx: CallContext, symbolInput: string, body: unknown): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    return this.serially(ctx.accountId, [inst.root], () => this.saveLevels(ctx, inst, body));
  }

  private async saveLevels(ctx: CallContext, inst: Instrument, body: unknown): Promise<string> {
    const { tp_levels } = parse(saveTpLevelsBodySchema, body);
    const levels = toLevels(tp_levels, inst, "tp_levels");
    await this.db.transaction().execute(async (trx) => {
      await this.engine?.fence?.(trx, ctx.accountId);
      await this.writeLadder(trx, ctx, inst, inst.root, levels);
      await this.checkLadder(trx, ctx.accountId, inst, "tp_levels");
    });
    await this.changed(ctx.accountId, [inst.root], ctx.actor, new Set([inst.root]));
    return `Take profit levels saved successfully for ${inst.root}`;
  }

  async getTpLevels(accountId: number, symbolInput: string): Promise<{ symbol: string; tp_levels: LegacyTpJson[] }> {
    const inst = resolve(symbolInput, "symbol");
    return { symbol: inst.root, tp_levels: (await repo.listTpLevels(this.db, accountId, inst.root)).map(levelJson) };
  }

  async updateTpLevel(ctx: CallContext, symbolInput: string, indexText: string, body: unknown): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    return this.serially(ctx.accountId, [inst.root], () => this.updateLevel(ctx, inst, indexText, body));
  }

  private async updateLevel(ctx: CallContext, inst: Instrument, indexText: string, body: unknown): Promise<string> {
    if (!/^\d{1,4}$/.test(indexText)) throw new ServiceError(400, `index: "${indexText}" is not a level number`);
    const index = Number(indexText);
    const patch = parse(tpLevelPatchSchema, body ?? {});
    await this.db.transaction().execute(async (trx) => {
      await this.engine?.fence?.(trx, ctx.accountId);
      const levels = await repo.listTpLevels(trx, ctx.accountId, inst.root, true);
      const level = levels[index];
      if (!level) throw new ServiceError(404, `TP level index ${index} out of range for ${inst.root}`);
      const next: TpLevelWrite = {
        enabled: patch.enabled ?? level.enabled,
        quantity: patch.quantity ?? level.quantity,
        target: patch.target === undefined ? level.target : onTick(patch.target, inst, "target"),
        price: patch.price === undefined ? level.price : onTick(patch.price, inst, "price"),
        hit: patch.hit ?? level.hit,
      };
      if (next.target !== level.target && levels.some((l) => l.target === next.target)) {
        throw new ServiceError(409, `target: another level of ${inst.root} is already at ${formatFixed(next.target)} points`);
      }
      await repo.updateTpLevel(trx, level.id, next);
      await this.event(trx, ctx, inst.root, "tp.updated",
        `TP level ${index + 1} of ${inst.root} → ${next.quantity} @ ${formatFixed(next.price)} (${formatFixed(next.target)} pts)${next.enabled ? "" : ", disabled"}${next.hit ? ", hit" : ""}`,
        { index, patch });
      await this.checkLadder(trx, ctx.accountId, inst, "tp_levels");
    });
    await this.changed(ctx.accountId, [inst.root], ctx.actor, new Set([inst.root]));
    return `TP level updated for ${inst.root} at index ${index}`;
  }

  private event(trx: Transaction<Database>, ctx: CallContext, symbol: string, kind: string, reason: string, data: Record<string, unknown>) {
    return appendEvent(trx, { actor: ctx.actor, accountId: ctx.accountId, symbol, kind, reason, data });
  }
}

function sameLadder(a: TpLevel[], b: TpLevelWrite[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort((x, y) => (x.target < y.target ? -1 : x.target > y.target ? 1 : 0));
  return a.every((l, i) => {
    const m = sorted[i]!;
    return l.enabled === m.enabled && l.quantity === m.quantity && l.target === m.target && l.price === m.price && l.hit === m.hit;
  });
}

function orderJson(o: OpenOrder): LegacyOrderJson {
  return { symbol: o.symbol, action: o.action, quantity: o.quantity, entry_price: fixedToNumber(o.entryPrice), timestamp: o.timestamp, stop_loss: o.stopLoss ?? null };
}

function levelJson(l: TpLevel): LegacyTpJson {
  return { enabled: l.enabled, quantity: l.quantity, target: fixedToNumber(l.target), price: fixedToNumber(l.price), hit: l.hit };
}

