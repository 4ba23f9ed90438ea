import type { Kysely } from "kysely";
import type { Logger } from "../../log/logger";
import type { Database } from "../../persistence/database";
import { type Actor, appendEvent } from "../../persistence/events";
import {
  createAlert,
  deleteAlert,
  listAlerts,
  listLiveAlerts,
  type PriceAlert,
  updateAlertState,
} from "../../persistence/repositories/alerts-repo";
import { type EventRow, recentEvents } from "../../persistence/repositories/events-repo";
import { AppError } from "../../shared/app-error";
import { AlertBook } from "./alert-book";

/** What the alert log lists: price alerts, and what the engine did that a trader wants to hear of. */
export const ALERT_KINDS = [
  "alert.price",
  "tp.filled",
  "stop.filled",
  "timer.filled",
  "exit.filled",
  "risk.filled",
  "trade.opened",
  "stop.triggered",
  "risk.triggered",
  "risk.locked",
  "feed.unprotected",
  "feed.protected",
] as const;

const MAX_PER_USER = 100;

export interface AlertPorts {
  /** A user's private browser message (web/realtime). */
  publish(userId: number, message: string): void;
  /** A symbol's price as the pages write it. */
  price(symbol: string, nanos: number): string;
  /** Does this instance serve the user (cluster mode: only the owner of the user's shard fires). */
  owns(userId: number): boolean;
}

/**
 * Price alerts: kept in the database, watched on every print (AlertBook), fired once each (or,
 * repeating, once per crossing) with an event in the log, a line in the server log, and a
 * message to the user's browsers (sound and notification there, as the trader chose).
 */
export class AlertsService {
  private readonly book = new AlertBook();
  private reload: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly ports: AlertPorts,
  ) {}

  /** Loads the alerts; with `reloadMs` (several instances on one database) reads them again that often. */
  async start(reloadMs = 0): Promise<void> {
    this.book.replace(await listLiveAlerts(this.db));
    if (reloadMs > 0)
      this.reload = setInterval(() => {
        listLiveAlerts(this.db)
          .then((a) => this.book.replace(a))
          .catch((err) => this.logger.warn("alerts.reload_failed", { reason: (err as Error).message }));
      }, reloadMs);
  }

  stop(): void {
    clearInterval(this.reload);
  }

  /** The hot path: two comparisons unless the print reaches an alert. */
  onTrade(symbol: string, price: number, tsMs: number): void {
    this.book.onTrade(
      symbol,
      price,
      (a) => this.fired(a, price, tsMs),
      (a) => this.write(a, () => updateAlertState(this.db, a.id, true)),
    );
  }

  list(userId: number): Promise<PriceAlert[]> {
    return listAlerts(this.db, userId);
  }

  async create(
    actor: Actor,
    userId: number,
    a: { symbol: string; direction: "above" | "below"; price: number; repeat: boolean },
  ): Promise<PriceAlert> {
    if ((await listAlerts(this.db, userId)).length >= MAX_PER_USER)
      throw new AppError(409, `at most ${MAX_PER_USER} alerts: remove some first`);
    const alert = await createAlert(this.db, { userId, ...a });
    await appendEvent(this.db, {
      actor,
      kind: "alert.created",
      symbol: a.symbol,
      reason: `alert: ${this.describe(alert)}`,
      data: { alertId: alert.id },
    });
    this.book.add(alert);
    return alert;
  }

  async remove(actor: Actor, userId: number, id: number): Promise<void> {
    if (!(await deleteAlert(this.db, userId, id))) throw new AppError(404, `alert ${id} not found`);
    this.book.remove(id);
    await appendEvent(this.db, { actor, kind: "alert.removed", reason: `alert ${id} removed`, data: { alertId: id } });
  }

  /** The alert log: what fired, newest first. */
  log(userId: number, limit = 50): Promise<EventRow[]> {
    return recentEvents(this.db, userId, limit, ALERT_KINDS);
  }

  /** A price of the symbol as the pages write it. */
  priceText(symbol: string, nanos: number): string {
    return this.ports.price(symbol, nanos);
  }

  describe(a: Pick<PriceAlert, "symbol" | "direction" | "price" | "repeat">): string {
    return `${this.level(a)}${a.repeat ? " (every time)" : ""}`;
  }

  /** "MES at or above 7000.00": the alert's level, as the page and the fired alert say it. */
  private level(a: Pick<PriceAlert, "symbol" | "direction" | "price">): string {
    return `${a.symbol} ${a.direction === "above" ? "at or above" : "at or below"} ${this.ports.price(a.symbol, a.price)}`;
  }

  private fired(a: PriceAlert, print: number, tsMs: number): void {
    // Another instance serves this user: it fires the alert (each reads them all, one fires).
    if (!this.ports.owns(a.userId)) return;
    const reason = `${this.level(a)} (print ${this.ports.price(a.symbol, print)})`;
    this.logger.info("alert.fired", { alert_id: a.id, user_id: a.userId, symbol: a.symbol, reason });
    this.ports.publish(
      a.userId,
      JSON.stringify({ t: "alert", kind: "price", symbol: a.symbol, message: reason, ts: tsMs }),
    );
    const actor: Actor = { kind: "rule", label: "rule alert", userId: a.userId };
    this.write(a, async () => {
      await updateAlertState(this.db, a.id, false, new Date(tsMs));
      await appendEvent(this.db, {
        actor,
        kind: "alert.price",
        symbol: a.symbol,
        reason,
        data: { alertId: a.id, price: a.price, print },
      });
    });
  }

  /** Stored in the background: an alert is a message, not money; a failed write is logged. */
  private write(a: PriceAlert, fn: () => Promise<unknown>): void {
    fn().catch((err) => this.logger.warn("alert.store_failed", { alert_id: a.id, reason: (err as Error).message }));
  }
}
