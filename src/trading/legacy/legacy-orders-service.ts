import type { Logger } from "../../log/logger";
import type { Instrument } from "../../market-data/instruments/catalogue";
import type { Actor } from "../../persistence/events";
import { AppError } from "../../shared/app-error";
import { fixedToNumber, formatFixed } from "../../shared/fixed-point";
import type { EngineService } from "../engine-service";
import type { TradingEngine } from "../engine/engine";
import { EngineError, type Effect } from "../engine/types";
import { ACCOUNT_MOVED } from "../ownership";
import type { LegacyEngineBridge } from "./engine-bridge";
import { LegacyDraft } from "./legacy-draft";
import { checkStopLoss, onTick, resolve, sideWord, toLevels } from "./legacy-input";
import type { LegacyOrderJson, LegacyTpJson } from "./legacy-json";
import { applyExit, applySingle, checkLadder, checkStop, writeLadder } from "./legacy-rows";
import { syncSymbol } from "./legacy-sync";
import type { LegacyLevel, LegacyOrder, LegacyTables } from "./legacy-tables";
import { parsePlaceOrder, type BulkInput, type PlaceOrderInput, type TpLevelInput, type TpLevelPatch } from "./schemas";

export interface CallContext {
  actor: Actor;
  accountId: number;
}

export const PLACE_ORDER_OK = "Orders and TP levels updated successfully";

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

  /** A body as sent (either form); the API's route has checked it already and calls `place`. */
  async placeOrder(ctx: CallContext, body: unknown): Promise<string> {
    return this.place(ctx, parsePlaceOrder(body));
  }

  async place(ctx: CallContext, input: PlaceOrderInput): Promise<string> {
    if ("bulk" in input) return this.bulk(ctx, input.bulk);
    const o = input.single;
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
      applySingle(draft, o, inst, stopLoss, price, this.current(draft, inst.root), this.nowSeconds);
      if (stopLoss) checkStop(draft, inst, stopLoss, stopField, this.engine.engine.lastPrice(inst.root));
      checkLadder(draft, inst, `tp_levels.${inst.root}`);
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

  private async bulk(ctx: CallContext, b: BulkInput): Promise<string> {
    const orders = new Map<string, { inst: Instrument; o: (typeof b.active_orders)[string] }>();
    for (const [key, o] of Object.entries(b.active_orders)) {
      const inst = resolve(key, `active_orders.${key}`);
      if (orders.has(inst.root)) throw new AppError(400, `active_orders.${key}: ${inst.root} appears twice`);
      orders.set(inst.root, { inst, o });
    }
    const ladders = new Map<string, { inst: Instrument; levels: LegacyLevel[] }>();
    for (const [key, levels] of Object.entries(b.tp_levels ?? {})) {
      const inst = resolve(key, `tp_levels.${key}`);
      if (ladders.has(inst.root)) throw new AppError(400, `tp_levels.${key}: ${inst.root} appears twice`);
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
          applyExit(draft, w.symbol, existing, w.o.quantity, w.price);
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
      for (const [symbol, { inst, levels }] of ladders) writeLadder(draft, inst, symbol, levels);
      // The client sends its whole state on every change: only what differs is checked, synced and
      // written (a symbol sent as it is stays as it is, even if the market has since passed its stop).
      const changed = draft.symbols();
      for (const w of writes)
        if (w.stopLoss && changed.has(w.symbol))
          checkStop(
            draft,
            w.inst,
            w.stopLoss,
            `active_orders.${w.symbol}.stop_loss`,
            this.engine.engine.lastPrice(w.inst.root),
          );
      for (const { inst } of [...writes, ...ladders.values()])
        if (changed.has(inst.root)) checkLadder(draft, inst, `tp_levels.${inst.root}`);
      return { symbols: changed, ladders: new Set([...ladders.keys()].filter((s) => changed.has(s))) };
    });
    return PLACE_ORDER_OK;
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
        actor: ctx.actor,
        run: (engine, side) => {
          const draft = new LegacyDraft(this.tables, ctx.accountId, ctx.actor);
          const r = plan(draft, engine) ?? { symbols: [] };
          const symbols = [...r.symbols];
          // Checked for every symbol first, so a bulk request never leaves half its symbols synced.
          for (const s of symbols) {
            const p = engine.position(ctx.accountId, s);
            if (p?.closing)
              throw new AppError(409, `an exit of ${s} is under way (${p.closing.reason}); wait for it to finish`);
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
      if (err instanceof EngineError) throw new AppError(err.status, err.message, undefined, err.code);
      throw err;
    }
  }

  /** The account's rows are in this instance's memory only while its engine runs here. */
  private async served(accountId: number): Promise<void> {
    if (this.engine.account(accountId)) return;
    await this.engine.reloadAccounts();
    if (!this.engine.account(accountId)) throw new AppError(503, ACCOUNT_MOVED, undefined, "account_moved");
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

  async saveTpLevels(ctx: CallContext, symbolInput: string, tp_levels: TpLevelInput[]): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    const levels = toLevels(tp_levels, inst, "tp_levels");
    await this.step(ctx, (draft) => {
      writeLadder(draft, inst, inst.root, levels);
      checkLadder(draft, inst, "tp_levels");
      return { symbols: draft.symbols(), ladders: draft.symbols() };
    });
    return `Take profit levels saved successfully for ${inst.root}`;
  }

  getTpLevels(accountId: number, symbolInput: string): { symbol: string; tp_levels: LegacyTpJson[] } {
    const inst = resolve(symbolInput, "symbol");
    return { symbol: inst.root, tp_levels: [...this.tables.levelsJson(accountId, inst.root)] };
  }

  async updateTpLevel(ctx: CallContext, symbolInput: string, indexText: string, patch: TpLevelPatch): Promise<string> {
    const inst = resolve(symbolInput, "symbol");
    if (!/^\d{1,4}$/.test(indexText)) throw new AppError(400, `index: "${indexText}" is not a level number`);
    const index = Number(indexText);
    const target = patch.target === undefined ? undefined : onTick(patch.target, inst, "target");
    const price = patch.price === undefined ? undefined : onTick(patch.price, inst, "price");
    await this.step(ctx, (draft) => {
      const levels = draft.levels(inst.root);
      const level = levels[index];
      if (!level) throw new AppError(404, `TP level index ${index} out of range for ${inst.root}`);
      const next: LegacyLevel = {
        enabled: patch.enabled ?? level.enabled,
        quantity: patch.quantity ?? level.quantity,
        target: target ?? level.target,
        price: price ?? level.price,
        hit: patch.hit ?? level.hit,
      };
      if (next.target !== level.target && levels.some((l) => l.target === next.target)) {
        throw new AppError(
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
      checkLadder(draft, inst, "tp_levels");
      return { symbols: [inst.root], ladders: new Set([inst.root]) };
    });
    return `TP level updated for ${inst.root} at index ${index}`;
  }
}
