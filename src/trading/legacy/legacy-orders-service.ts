import type { z } from "zod";
import type { Logger } from "../../log/logger";
import type { Instrument } from "../../market-data/instruments/catalogue";
import { resolveSymbol } from "../../market-data/instruments/symbols";
import type { Actor } from "../../persistence/events";
import type { Side } from "../../persistence/repositories/orders-repo";
import { fixedFromNumber, fixedToNumber, formatFixed, isMultipleOf } from "../../shared/fixed-point";
import type { EngineService } from "../engine-service";
import type { TradingEngine } from "../engine/engine";
import { EngineError, type Effect } from "../engine/types";
import { ACCOUNT_MOVED } from "../ownership";
import { ServiceError } from "../service-error";
import type { LegacyEngineBridge } from "./engine-bridge";
import { LegacyDraft } from "./legacy-draft";
import { syncSymbol } from "./legacy-sync";
import type { LegacyOrderJson, LegacyTpJson } from "./legacy-json";
import { byTarget, sameLevel, type LegacyLevel, type LegacyOrder, type LegacyTables } from "./legacy-tables";
import {
  bulkSchema,
  describeZodError,
  saveTpLevelsBodySchema,
  singleOrderSchema,
  tpLevelPatchSchema,
  type SingleOrderInput,
  type StopLossInput,
  type TpLevelInput,
} from "./schemas";

export interface CallContext {
  actor: Actor;
  accountId: number;
}

export const PLACE_ORDER_OK = "Orders and TP levels updated successfully";

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
    throw new ServiceError(
      400,
      `${field}: ${value} is not on ${inst.root}'s tick grid (${formatFixed(inst.tickSize)})`,
    );
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

function toLevels(levels: TpLevelInput[], inst: Instrument, field: string): LegacyLevel[] {
  const seen = new Set<bigint>();
  return levels.map((l, i) => {
    const target = onTick(l.target, inst, `${field}.${i}.target`);
    if (seen.has(target)) throw new ServiceError(400, `${field}.${i}.target: two levels at ${l.target} points`);
    seen.add(target);
    return {
      enabled: l.enabled,
      quantity: l.quantity,
      target,
      price: onTick(l.price, inst, `${field}.${i}.price`),
      hit: l.hit,
    };
  });
}

const sideWord = (s: Side) => (s === "buy" ? "long" : "short");

/** What one request does inside its engine step: its draft filled, the symbols whose engine position follows, and which of them got a new ladder. */
type Plan = (
  draft: LegacyDraft,
  engine: TradingEngine,
) => { symbols: Iterable<string>; ladders?: ReadonlySet<string> } | void;

/**
 * The original REST API with its defects fixed: validated, tick-checked, atomic, audited. Its
 * rows live in memory beside the engine (legacy-tables.ts): reads cost no query, and each
 * change is one engine step — the rows, the engine position that follows them and the audit
 * events are written in one transaction, shared with whatever else arrived at the same time.
 */
export class LegacyOrdersService {
  constructor(
    private readonly engine: EngineService,
    private readonly tables: LegacyTables,
    private readonly bridge: LegacyEngineBridge,
    private readonly logger: Logger,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async placeOrder(ctx: CallContext, body: unknown): Promise<string> {
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new ServiceError(400, "body must be a JSON object");
    if ("active_orders" in body) return this.bulk(ctx, body);
    const o = parse(singleOrderSchema, body);
    const inst = resolve(o.ticker, "ticker");
    const priceValue = o.entry_price ?? o.limitPrice ?? o.price;
    const price =
      priceValue == null
        ? undefined
        : onTick(
            priceValue,
            inst,
            o.entry_price != null ? "entry_price" : o.limitPrice != null ? "limitPrice" : "price",
          );
    // A single `exit` of a symbol the engine holds is the engine's exit; the rows follow its fill.
    if (
      o.action === "exit" &&
      (await this.bridge.exit(
        ctx.accountId,
        inst.root,
        o.quantity,
        ctx.actor,
        price === undefined ? undefined : Number(price),
      ))
    )
      return PLACE_ORDER_OK;
    const stopField = o.stop_loss ? "stop_loss" : "stopLoss";
    const stopLoss = checkStopLoss(o.stop_loss ?? o.stopLoss, inst, stopField);
    await this.step(ctx, (draft) => {
      this.single(draft, o, inst, stopLoss, price);
      if (stopLoss) this.checkStop(draft, inst, stopLoss, stopField);
      this.checkLadder(draft, inst, `tp_levels.${inst.root}`);
      return { symbols: [inst.root] };
    });
    return PLACE_ORDER_OK;
  }

  /** The row of a symbol, or — for a trade opened on the desk — the engine's position in its shape. */
  private current(draft: LegacyDraft, symbol: string): LegacyOrder | undefined {
    const row = draft.order(symbol);
    if (row) return row;
    const p = this.bridge.openPositions(draft.accountId).open.find((x) => x.symbol === symbol);
    return p
      ? {
          action: p.action,
          quantity: p.quantity,
          entryPrice: p.entryPrice,
          timestamp: p.timestamp,
          stopLoss: p.stopLoss,
        }
      : undefined;
  }

  private single(
    draft: LegacyDraft,
    o: SingleOrderInput,
    inst: Instrument,
    stopLoss: unknown,
    price: bigint | undefined,
  ): void {
    const symbol = inst.root;
    const existing = this.current(draft, symbol);
    if (o.action === "exit") return this.exit(draft, symbol, existing, o.quantity, price);
    if (price === undefined)
      throw new ServiceError(
        400,
        "entry_price: required (or limitPrice) until the server has a live price for " + symbol,
      );
    const qty = o.quantity!;
    const ts = o.timestamp ?? this.nowSeconds();
    const at = `${o.action} ${qty} ${symbol} @ ${formatFixed(price)}`;
    if (!existing) {
      draft.setOrder(symbol, { action: o.action, quantity: qty, entryPrice: price, timestamp: ts, stopLoss });
      draft.resetHits(symbol);
      draft.event(symbol, "order.opened", `${at}: new ${sideWord(o.action)} trade`, { quantity: qty, price });
    } else if (existing.action === o.action) {
      // Adding to a position averages the entry (rounded to 1e-9, the storage scale).
      const total = existing.quantity + qty;
      const avg =
        (existing.entryPrice * BigInt(existing.quantity) + price * BigInt(qty) + BigInt(total) / 2n) / BigInt(total);
      draft.setOrder(symbol, {
        action: o.action,
        quantity: total,
        entryPrice: avg,
        timestamp: existing.timestamp,
        stopLoss: stopLoss ?? existing.stopLoss,
      });
      draft.event(
        symbol,
        "order.added",
        `${at}: added to ${sideWord(o.action)}, now ${total} @ ${formatFixed(avg)} average`,
        { quantity: qty, price, total, average: avg },
      );
    } else {
      // Netting: an opposite order reduces first; any remainder opens the other side.
      const remainder = qty - existing.quantity;
      if (remainder < 0) {
        draft.setOrder(symbol, { ...existing, quantity: -remainder });
        draft.event(symbol, "order.reduced", `${at}: reduced ${sideWord(existing.action)} to ${-remainder}`, {
          quantity: qty,
          price,
        });
        return;
      }
      draft.setOrder(
        symbol,
        remainder > 0
          ? { action: o.action, quantity: remainder, entryPrice: price, timestamp: ts, stopLoss }
          : undefined,
      );
      draft.resetHits(symbol);
      const reason = `${at}: closed ${sideWord(existing.action)} ${existing.quantity}${remainder > 0 ? `, opened ${sideWord(o.action)} ${remainder}` : ""}`;
      draft.event(symbol, remainder > 0 ? "order.reversed" : "order.closed", reason, { quantity: qty, price });
    }
  }

  private exit(
    draft: LegacyDraft,
    symbol: string,
    existing: LegacyOrder | undefined,
    qty: number | undefined,
    price: bigint | undefined,
  ): void {
    if (!existing) return; // Exiting a flat symbol is a no-op, so a retried exit is harmless.
    const at = price === undefined ? "" : ` @ ${formatFixed(price)}`;
    if (qty !== undefined && qty < existing.quantity) {
      draft.setOrder(symbol, { ...existing, quantity: existing.quantity - qty });
      draft.event(
        symbol,
        "order.reduced",
        `exit ${qty} of ${existing.quantity} ${symbol}${at}: ${existing.quantity - qty} left`,
        { quantity: qty },
      );
      return;
    }
    draft.setOrder(symbol, undefined);
    const reset = draft.resetHits(symbol);
    draft.event(
      symbol,
      "order.closed",
      `exit ${existing.quantity} ${symbol}${at}: trade closed${reset ? `, ${reset} TP hit flags reset` : ""}`,
      { quantity: existing.quantity },
    );
  }

  private async bulk(ctx: CallContext, body: object): Promise<string> {
    const b = parse(bulkSchema, body);
    const orders = new Map<string, { inst: Instrument; o: (typeof b.active_orders)[string] }>();
    for (const [key, o] of Object.entries(b.active_orders)) {
      const inst = resolve(key, `active_orders.${key}`);
      if (orders.has(inst.root)) throw new ServiceError(400, `active_orders.${key}: ${inst.root} appears twice`);
      orders.set(inst.root, { inst, o });
    }
    const ladders = new Map<string, { inst: Instrument; levels: LegacyLevel[] }>();
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
    // All or nothing: one step; any refusal below leaves every symbol as it was.
    await this.step(ctx, (draft) => {
      for (const w of writes) {
        const existing = draft.order(w.symbol);
        if (w.o.action === "exit") {
          this.exit(draft, w.symbol, existing, w.o.quantity, w.price);
          continue;
        }
        const next = {
          action: w.o.action,
          quantity: w.o.quantity!,
          entryPrice: w.price!,
          timestamp: w.o.timestamp ?? existing?.timestamp ?? this.nowSeconds(),
          stopLoss: w.stopLoss,
        };
        if (
          existing &&
          existing.action === next.action &&
          existing.quantity === next.quantity &&
          existing.entryPrice === next.entryPrice &&
          JSON.stringify(existing.stopLoss) === JSON.stringify(next.stopLoss) &&
          existing.timestamp === next.timestamp
        )
          continue;
        draft.setOrder(w.symbol, next);
        draft.event(
          w.symbol,
          existing ? "order.synced" : "order.opened",
          `${existing ? "synced" : "opened"} ${sideWord(next.action)} ${next.quantity} ${w.symbol} @ ${formatFixed(next.entryPrice)}`,
          { quantity: next.quantity, price: next.entryPrice },
        );
      }
      for (const [symbol, { inst, levels }] of ladders) this.writeLadder(draft, inst, symbol, levels);
      // The client sends its whole state on every change: only what differs is checked, synced and
      // written (a symbol sent as it is stays as it is, even if the market has since passed its stop).
      const changed = draft.symbols();
      for (const w of writes)
        if (w.stopLoss && changed.has(w.symbol))
          this.checkStop(draft, w.inst, w.stopLoss, `active_orders.${w.symbol}.stop_loss`);
      for (const { inst } of [...writes, ...ladders.values()])
        if (changed.has(inst.root)) this.checkLadder(draft, inst, `tp_levels.${inst.root}`);
      return { symbols: changed, ladders: new Set([...ladders.keys()].filter((s) => changed.has(s))) };
    });
    return PLACE_ORDER_OK;
  }

  private writeLadder(draft: LegacyDraft, inst: Instrument, symbol: string, levels: LegacyLevel[]): void {
    if (sameLadder(draft.levels(symbol), levels)) return;
    draft.setLevels(symbol, levels);
    const describe = levels
      .map((l) => `${l.quantity}@${formatFixed(l.price)}${l.enabled ? "" : " (off)"}${l.hit ? " (hit)" : ""}`)
      .join(", ");
    draft.event(symbol, "tp.replaced", `TP levels for ${inst.root} set: ${describe || "none"}`, {
      levels: levels.length,
    });
  }

  /** A ladder must be on the trade's profit side and never sell more than is open. */
  private checkLadder(draft: LegacyDraft, inst: Instrument, field: string): void {
    const order = draft.order(inst.root);
    if (!order) return;
    const levels = draft.levels(inst.root).filter((l) => l.enabled && !l.hit);
    const total = levels.reduce((s, l) => s + l.quantity, 0);
    if (total > order.quantity) {
      throw new ServiceError(
        400,
        `${field}: enabled levels take ${total} contracts but the ${sideWord(order.action)} position is ${order.quantity}`,
      );
    }
    for (const l of levels) {
      const wrongSide = order.action === "buy" ? l.price <= order.entryPrice : l.price >= order.entryPrice;
      if (wrongSide) {
        throw new ServiceError(
          400,
          `${field}: level at ${formatFixed(l.price)} is not on the profit side of a ${sideWord(order.action)} entry at ${formatFixed(order.entryPrice)}`,
        );
      }
    }
  }

  /**
   * A stop this call wrote must be on the losing side of the market (else of the entry, with no
   * price yet): the engine refuses one that would fire at once, and the trade would then show a
   * stop that nothing manages.
   */
  private checkStop(draft: LegacyDraft, inst: Instrument, stopLoss: unknown, field: string): void {
    const order = draft.order(inst.root);
    const stopPrice = (stopLoss as { stopPrice?: number | null }).stopPrice;
    // An opposite order that only reduces keeps the trade's own stop: nothing new to check.
    if (!order || stopPrice == null || JSON.stringify(order.stopLoss) !== JSON.stringify(stopLoss)) return;
    const stop = fixedFromNumber(stopPrice);
    const last = this.engine.engine.lastPrice(inst.root);
    const ref = last !== undefined && last > 0 ? BigInt(last) : order.entryPrice;
    const what =
      last !== undefined && last > 0 ? `the market (${formatFixed(ref)})` : `the entry (${formatFixed(ref)})`;
    const long = order.action === "buy";
    if (long ? stop >= ref : stop <= ref) {
      throw new ServiceError(
        400,
        `${field}.stopPrice: ${formatFixed(stop)} is ${long ? "at or above" : "at or below"} ${what}; a ${sideWord(order.action)} stop must be ${long ? "below" : "above"} it`,
      );
    }
  }

  /**
   * One request as one engine step: the plan fills a draft of the rows (checks throw with
   * nothing changed), the engine positions follow it, then the draft is applied. Answered once
   * the batch it joined is committed.
   */
  private async step(ctx: CallContext, plan: Plan): Promise<void> {
    await this.served(ctx.accountId);
    try {
      await this.engine.submit({
        type: "composite",
        accountId: ctx.accountId,
        run: (engine, side) => {
          const draft = new LegacyDraft(this.tables, ctx.accountId, ctx.actor);
          const r = plan(draft, engine) ?? { symbols: [] };
          const symbols = [...r.symbols];
          // Checked for every symbol first, so a bulk request never leaves half its symbols synced.
          for (const s of symbols) {
            const p = engine.position(ctx.accountId, s);
            if (p?.closing)
              throw new ServiceError(409, `an exit of ${s} is under way (${p.closing.reason}); wait for it to finish`);
          }
          const sync = {
            engine,
            actor: ctx.actor,
            tick: (s: string) => this.engine.spec(s)?.tick ?? 1,
            warn: (e: string, f: Record<string, unknown>) => this.logger.warn(e, f),
          };
          const fx: Effect[] = [...draft.events];
          for (const s of symbols) fx.push(...syncSymbol(sync, draft, s, r.ladders?.has(s) ?? false));
          if (!side)
            throw new Error("the original API's tables are not attached to the engine (EngineService side tables)");
          draft.apply(side);
          return fx;
        },
      });
    } catch (err) {
      if (err instanceof EngineError) throw new ServiceError(err.status, err.message);
      throw err;
    }
  }

  /** The account's rows are in this instance's memory only while its engine runs here. */
  private async served(accountId: number): Promise<void> {
    if (this.engine.account(accountId)) return;
    await this.engine.reloadAccounts();
    if (!this.engine.account(accountId)) throw new ServiceError(503, ACCOUNT_MOVED);
  }

  /** Reads come from memory: the rows, with the engine's open positions over them (R9.1). */
  getActiveOrders(accountId: number): {
    active_orders: Record<string, LegacyOrderJson>;
    tp_levels: Record<string, LegacyTpJson[]>;
  } {
    const active_orders: Record<string, LegacyOrderJson> = {};
    const rows = this.tables.orders(accountId);
    for (const symbol of [...rows.keys()].sort()) active_orders[symbol] = this.tables.orderJson(accountId, symbol)!;
    const tp_levels: Record<string, LegacyTpJson[]> = {};
    for (const symbol of this.tables.ladderSymbols(accountId))
      tp_levels[symbol] = [...this.tables.levelsJson(accountId, symbol)];
    // The engine is what is open: its size and average win, desk trades are listed too, and a
    // trade it has closed is gone at once (the row follows its fill in the same step).
    const engine = this.bridge.openPositions(accountId);
    for (const s of engine.flat) delete active_orders[s];
    for (const p of engine.open) {
      const row = active_orders[p.symbol];
      active_orders[p.symbol] = row
        ? { ...row, action: p.action, quantity: p.quantity, entry_price: fixedToNumber(p.entryPrice) }
        : {
            symbol: p.symbol,
            action: p.action,
            quantity: p.quantity,
            entry_price: fixedToNumber(p.entryPrice),
            timestamp: p.timestamp,
            stop_loss: p.stopLoss,
          };
      if (!tp_levels[p.symbol] && p.levels.length) {
        tp_levels[p.symbol] = p.levels.map((l) => ({
          enabled: l.enabled,
          quantity: l.quantity,
          target: fixedToNumber(l.price > p.entryPrice ? l.price - p.entryPrice : p.entryPrice - l.price),
          price: fixedToNumber(l.price),
          hit: l.hit,
        }));
      }
    }
    return { active_orders, tp_levels };
  }

  async clearTrade(ctx: CallContext, ticker: string): Promise<string> {
    const inst = resolve(ticker, "ticker");
    let message = "";
    await this.step(ctx, (draft) => {
      const hadOrder = draft.order(inst.root) !== undefined;
      const levels = draft.levels(inst.root).length;
      if (!hadOrder && levels === 0) {
        message = `Nothing to clear for ${inst.root}`;
        return;
      }
      draft.setOrder(inst.root, undefined);
      draft.setLevels(inst.root, []);
      draft.event(
        inst.root,
        "trade.cleared",
        `trade cleared for ${inst.root}${hadOrder ? "" : " (no open trade)"}, ${levels} TP levels removed`,
        {},
      );
      message = `Trade cleared for ${inst.root}`;
      return { symbols: [inst.root] };
    });
    return message;
  }

  async saveTpLevels(ctx: CallContext, symbolInput: string, body: unknown): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    const { tp_levels } = parse(saveTpLevelsBodySchema, body);
    const levels = toLevels(tp_levels, inst, "tp_levels");
    await this.step(ctx, (draft) => {
      this.writeLadder(draft, inst, inst.root, levels);
      this.checkLadder(draft, inst, "tp_levels");
      return { symbols: draft.symbols(), ladders: draft.symbols() };
    });
    return `Take profit levels saved successfully for ${inst.root}`;
  }

  getTpLevels(accountId: number, symbolInput: string): { symbol: string; tp_levels: LegacyTpJson[] } {
    const inst = resolve(symbolInput, "symbol");
    return { symbol: inst.root, tp_levels: [...this.tables.levelsJson(accountId, inst.root)] };
  }

  async updateTpLevel(ctx: CallContext, symbolInput: string, indexText: string, body: unknown): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    if (!/^\d{1,4}$/.test(indexText)) throw new ServiceError(400, `index: "${indexText}" is not a level number`);
    const index = Number(indexText);
    const patch = parse(tpLevelPatchSchema, body ?? {});
    const target = patch.target === undefined ? undefined : onTick(patch.target, inst, "target");
    const price = patch.price === undefined ? undefined : onTick(patch.price, inst, "price");
    await this.step(ctx, (draft) => {
      const levels = draft.levels(inst.root);
      const level = levels[index];
      if (!level) throw new ServiceError(404, `TP level index ${index} out of range for ${inst.root}`);
      const next: LegacyLevel = {
        enabled: patch.enabled ?? level.enabled,
        quantity: patch.quantity ?? level.quantity,
        target: target ?? level.target,
        price: price ?? level.price,
        hit: patch.hit ?? level.hit,
      };
      if (next.target !== level.target && levels.some((l) => l.target === next.target)) {
        throw new ServiceError(
          409,
          `target: another level of ${inst.root} is already at ${formatFixed(next.target)} points`,
        );
      }
      draft.setLevels(
        inst.root,
        levels.map((l, i) => (i === index ? next : l)),
      );
      draft.event(
        inst.root,
        "tp.updated",
        `TP level ${index + 1} of ${inst.root} → ${next.quantity} @ ${formatFixed(next.price)} (${formatFixed(next.target)} pts)${next.enabled ? "" : ", disabled"}${next.hit ? ", hit" : ""}`,
        { index, patch },
      );
      this.checkLadder(draft, inst, "tp_levels");
      return { symbols: [inst.root], ladders: new Set([inst.root]) };
    });
    return `TP level updated for ${inst.root} at index ${index}`;
  }
}

function sameLadder(a: readonly LegacyLevel[], b: LegacyLevel[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort(byTarget);
  return a.every((l, i) => sameLevel(l, sorted[i]!));
}
