import type { Logger } from "../../log/logger";
import type { Actor } from "../../persistence/events";
import type { EngineService } from "../engine-service";
import { averageNearest } from "../engine/price-math";
import { EngineError, type Position } from "../engine/types";
import { AppError } from "../../shared/app-error";
import { LegacyDraft } from "./legacy-draft";
import { stopJson } from "./legacy-stop";
import { syncSymbol } from "./legacy-sync";
import type { LegacyTables } from "./legacy-tables";

/**
 * The engine as the original API sees it: its open positions in the original's shapes, its
 * exit, and the start-up check that rows and positions agree. (Each change of a row moves the
 * engine position in the same step, legacy-sync.ts; fills made by rule move the rows back,
 * legacy-tables.ts.)
 */
export class LegacyEngineBridge {
  constructor(
    private readonly engine: EngineService,
    private readonly tables: LegacyTables,
    private readonly logger: Logger,
  ) {}

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
      out.push(this.shapeOf(p));
    }
    return { open: out, flat };
  }

  /** Built once per version of a position: every change of it moves the version (the engine's `touch`), reads do not. */
  private readonly shapes = new WeakMap<Position, { version: number; open: EngineOpen }>();

  private shapeOf(p: Position): EngineOpen {
    const cached = this.shapes.get(p);
    if (cached?.version === p.version) return cached.open;
    const spec = this.engine.spec(p.symbol);
    const open: EngineOpen = {
      symbol: p.symbol,
      action: p.side === "long" ? "buy" : "sell",
      quantity: p.qty,
      entryPrice: averageNearest(p.cost, p.qty),
      timestamp: Math.floor(p.openedAtMs / 1000),
      stopLoss: p.stop ? stopJson(p.stop, p.side, spec?.tick ?? 1) : null,
      levels: p.ladder.map((l) => ({
        enabled: l.enabled,
        quantity: l.qty,
        price: BigInt(l.price),
        hit: l.status === "filled",
      })),
    };
    this.shapes.set(p, { version: p.version, open });
    return open;
  }

  /** The original API's `exit` is an engine exit (R4.1, R9.1): a market order, a fill, a journal row. False: no engine position. */
  async exit(
    accountId: number,
    symbol: string,
    qty: number | undefined,
    actor: Actor,
    clientPrice?: number,
  ): Promise<boolean> {
    const p = this.engine.engine.position(accountId, symbol);
    if (!p || p.qty === 0) return false;
    // The server's last print prices a paper exit; without one, the price the client reported (else the next print).
    const refPrice = this.engine.engine.lastPrice(symbol) ?? clientPrice;
    try {
      await this.engine.command({
        type: "command",
        accountId,
        symbol,
        command: { kind: "exit", qty: qty !== undefined && qty < p.qty ? qty : undefined, refPrice },
        actor,
        tsMs: Date.now(),
      });
    } catch (err) {
      if (err instanceof EngineError) throw new AppError(err.status, err.message, undefined, err.code);
      throw err;
    }
    return true;
  }

  /**
   * At start-up and adoption: a row whose engine position differs (written by a version that
   * committed the two apart, and stopped between them) is made to match now, and logged. Engine
   * positions with no row are desk trades and stay as they are.
   */
  async reconcile(accountIds?: readonly number[]): Promise<number> {
    let fixed = 0;
    const actor: Actor = { kind: "system", label: "start-up reconciliation", userId: null };
    for (const accountId of accountIds ?? this.engine.servedAccounts()) {
      for (const [symbol, o] of this.tables.orders(accountId)) {
        const p = this.engine.engine.position(accountId, symbol);
        const side = o.action === "buy" ? "long" : "short";
        // The row keeps the average rounded to 1e-9; the engine keeps the exact sum.
        if (p && p.qty === o.quantity && p.side === side && averageNearest(p.cost, p.qty) === o.entryPrice) continue;
        try {
          await this.engine.submit({
            type: "composite",
            accountId,
            run: (engine) =>
              syncSymbol(
                { engine, actor, tick: (s) => this.engine.spec(s)?.tick ?? 1, warn: (e, f) => this.logger.warn(e, f) },
                new LegacyDraft(this.tables, accountId, actor),
                symbol,
                false,
              ),
          });
        } catch (err) {
          this.logger.warn("legacy.sync_failed", { account_id: accountId, symbol, reason: (err as Error).message });
          continue;
        }
        this.logger.info("legacy.reconciled", {
          account_id: accountId,
          symbol,
          table: `${side} ${o.quantity}`,
          engine: p?.qty ? `${p.side} ${p.qty}` : "flat",
          reason:
            "the original API's row and the engine's position differed at start-up (written apart by an earlier version)",
        });
        fixed++;
      }
    }
    return fixed;
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
