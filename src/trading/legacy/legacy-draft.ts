import type { Actor } from "../../persistence/events";
import type { Effect } from "../engine/types";
import type { SideBatch } from "../engine-service";
import { byTarget, type LegacyLevel, type LegacyOrder, type LegacyTables } from "./legacy-tables";

/**
 * One request's changes to an account's original-API rows, before they count: checks read the
 * rows as they will be, and nothing is applied until the engine has taken its part of the step
 * (so a refusal on either side leaves both as they were).
 */
export class LegacyDraft {
  private readonly orders = new Map<string, LegacyOrder | undefined>();
  private readonly ladders = new Map<string, readonly LegacyLevel[]>();
  /** The request's audit events, in order, as engine effects: written in the same statement as the engine's. */
  readonly events: Effect[] = [];

  constructor(
    private readonly tables: LegacyTables,
    readonly accountId: number,
    private readonly actor: Actor,
  ) {}

  order(symbol: string): LegacyOrder | undefined {
    return this.orders.has(symbol) ? this.orders.get(symbol) : this.tables.order(this.accountId, symbol);
  }

  /** Nearest target first. */
  levels(symbol: string): readonly LegacyLevel[] {
    return this.ladders.get(symbol) ?? this.tables.levels(this.accountId, symbol);
  }

  /** Was there a row before this request? */
  hadOrder(symbol: string): boolean {
    return this.tables.order(this.accountId, symbol) !== undefined;
  }

  setOrder(symbol: string, next: LegacyOrder | undefined): void {
    this.orders.set(symbol, next);
  }

  setLevels(symbol: string, next: readonly LegacyLevel[]): void {
    this.ladders.set(symbol, [...next].sort(byTarget));
  }

  /** Clears the symbol's `hit` flags; how many were set. */
  resetHits(symbol: string): number {
    const levels = this.levels(symbol);
    const hits = levels.filter((l) => l.hit).length;
    if (hits)
      this.setLevels(
        symbol,
        levels.map((l) => ({ ...l, hit: false })),
      );
    return hits;
  }

  event(symbol: string, kind: string, reason: string, data: Record<string, unknown>): void {
    // Stored as the original service stored them: 1e-9 amounts as plain digits.
    const plain = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
    );
    this.events.push({
      type: "event",
      key: `${this.accountId}:${symbol}`,
      event: {
        kind,
        accountId: this.accountId,
        symbol,
        tradeId: null,
        actor: this.actor,
        reason,
        data: plain,
        tsMs: Date.now(),
      },
    });
  }

  /** The symbols this request changes. */
  symbols(): Set<string> {
    return new Set([...this.orders.keys(), ...this.ladders.keys()]);
  }

  /** Into the tables, recorded in the step's batch. */
  apply(side: SideBatch): void {
    for (const [symbol, o] of this.orders) this.tables.setOrder(side, this.accountId, symbol, o);
    for (const [symbol, l] of this.ladders) this.tables.setLevels(side, this.accountId, symbol, l);
  }
}
