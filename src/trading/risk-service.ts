import type { Kysely } from "kysely";
import type { Database } from "../persistence/database";
import { appendEvent } from "../persistence/events";
import { findAccount, listAccounts, setRiskLimits } from "../persistence/repositories/accounts-repo";
import { decimalToNanoBig } from "../persistence/repositories/engine-repo";
import { AppError } from "../shared/app-error";
import { formatFixed } from "../shared/fixed-point";
import { EngineError } from "./engine/types";
import type { EngineService } from "./engine-service";
import type { RiskBody } from "./risk-schemas";
import type { Caller, TradingService } from "./trading-service";

/** An account's limits as the trader set them, and its trading day now. */
export interface RiskView {
  account: string;
  maxOrder: number | null;
  maxPosition: number | null;
  /** Dollars, "500.00". */
  dailyLoss: string | null;
  flattenBeforeCloseMin: number | null;
  confirmAbove: number | null;
  day: {
    /** Realized today net of commissions, and open P&L at the last prints: dollars. */
    realized: number;
    open: number;
    /** When the trading day ends (the next session opens). */
    untilMs: number;
    lock: { kind: "loss" | "kill"; reason: string; atMs: number } | null;
  };
}

const dollars = (nanos: bigint) => formatFixed(nanos, 2);

/**
 * Risk limits per account and the kill switch (docs/trading-rules.md R10). The engine enforces
 * them; this sets them (with an audit event) and asks the engine for an account's day.
 */
export class RiskService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: EngineService,
    private readonly trading: TradingService,
  ) {}

  /** The caller's live and paper accounts with their limits and day. */
  async list(userId: number): Promise<RiskView[]> {
    const rows = await listAccounts(this.db, userId, { kinds: "regular", orderBy: "name" });
    return rows.map((r) => this.view(r));
  }

  async get(userId: number, account: string): Promise<RiskView> {
    const row = (await this.regular(userId, account))!;
    return this.view(row);
  }

  async set(c: Caller, account: string, b: RiskBody): Promise<RiskView> {
    const row = await this.regular(c.userId, account);
    const cols = {
      max_order: b.maxOrder ?? null,
      max_position: b.maxPosition ?? null,
      daily_loss: b.dailyLoss ? dollars(b.dailyLoss) : null,
      flatten_before_close: b.flattenBeforeCloseMin ?? null,
      confirm_above: b.confirmAbove ?? null,
    };
    const words = [
      cols.max_order ? `max order ${cols.max_order}` : "",
      cols.max_position ? `max position ${cols.max_position}` : "",
      cols.daily_loss ? `daily loss $${cols.daily_loss}` : "",
      cols.flatten_before_close ? `flatten ${cols.flatten_before_close} min before the close` : "",
      cols.confirm_above ? `confirm orders above ${cols.confirm_above}` : "",
    ].filter(Boolean);
    await this.db.transaction().execute(async (trx) => {
      await setRiskLimits(trx, row.id, cols);
      await appendEvent(trx, {
        actor: c.actor,
        accountId: row.id,
        kind: "risk.limits_set",
        reason: `risk limits of ${account}: ${words.join(", ") || "none"} (contracts micro-equivalent)`,
        data: { ...cols },
      });
    });
    await this.engine.reloadAccounts();
    return this.get(c.userId, account);
  }

  /** Flattens every live and paper account of the caller and locks their entries for the trading day. */
  async kill(c: Caller): Promise<{ accounts: string[] }> {
    const rows = await listAccounts(this.db, c.userId, { kinds: "regular", orderBy: "name" });
    const done: string[] = [];
    const failed: string[] = [];
    // Every account, even if one fails: a kill switch that stops halfway would be worse than none.
    await Promise.all(
      rows.map(async (r) => {
        try {
          await this.trading.accountId(c.userId, r.name);
          await this.engine.accountAction({
            type: "account",
            accountId: r.id,
            action: "kill",
            actor: c.actor,
            tsMs: this.engine.now(),
          });
          done.push(r.name);
        } catch (err) {
          failed.push(`${r.name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failed.length) throw new AppError(503, `kill switch incomplete — ${failed.join("; ")}; press it again`);
    return { accounts: done.sort() };
  }

  /** Lifts a kill switch's lock (a daily loss lock stays until the next session). */
  async resume(c: Caller, account: string): Promise<RiskView> {
    const row = await this.regular(c.userId, account);
    try {
      await this.engine.accountAction({
        type: "account",
        accountId: row.id,
        action: "resume",
        actor: c.actor,
        tsMs: this.engine.now(),
      });
    } catch (err) {
      if (err instanceof EngineError) throw new AppError(err.status, err.message, undefined, err.code);
      throw err;
    }
    return this.get(c.userId, account);
  }

  private async regular(userId: number, account: string) {
    const found = await findAccount(this.db, userId, account);
    const row = found?.kind === "replay" ? undefined : found;
    if (!row) throw new AppError(404, `account "${account}" not found (risk limits are for live and paper accounts)`);
    // The engine that runs it must be here (it reloads the account if needed).
    await this.trading.accountId(userId, account);
    return row;
  }

  private view(r: Awaited<ReturnType<typeof listAccounts>>[number]): RiskView {
    const e = this.engine.engine;
    const now = this.engine.now();
    const d = e.day(r.id, now);
    return {
      account: r.name,
      maxOrder: r.max_order,
      maxPosition: r.max_position,
      dailyLoss: r.daily_loss === null ? null : dollars(decimalToNanoBig(String(r.daily_loss))),
      flattenBeforeCloseMin: r.flatten_before_close,
      confirmAbove: r.confirm_above,
      day: {
        realized: Number(d.realized) / 1e9,
        open: Number(e.openPnl(r.id)) / 1e9,
        untilMs: d.untilMs,
        lock: d.lock,
      },
    };
  }
}
