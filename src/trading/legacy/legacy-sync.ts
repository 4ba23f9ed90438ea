import type { Actor } from "../../persistence/events";
import type { TradingEngine } from "../engine/engine";
import { EngineError, type Command, type Effect, type TpLevel } from "../engine/types";
import { legacyStop } from "./legacy-stop";
import type { LegacyDraft } from "./legacy-draft";

export interface SyncContext {
  engine: TradingEngine;
  actor: Actor;
  tick: (symbol: string) => number;
  /** A part of the row the engine could not take (a ladder or stop it refuses): logged, the rest stands. */
  warn: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * The engine position made to match a symbol's original-API row (size, side, average, ladder,
 * stop) inside the request's own step, so every exit runs on the server. The first command
 * may refuse (nothing changed yet); a ladder or stop the engine cannot take is logged and left.
 */
export function syncSymbol(c: SyncContext, draft: LegacyDraft, symbol: string, ladderWritten: boolean): Effect[] {
  const { engine, actor } = c;
  const accountId = draft.accountId;
  const fx: Effect[] = [];
  const run = (command: Command) =>
    fx.push(...engine.step({ type: "command", accountId, symbol, command, actor, tsMs: Date.now() }));
  const tolerant = (event: string, command: Command) => {
    try {
      run(command);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      c.warn(event, { account_id: accountId, symbol, reason: err.message });
    }
  };
  const order = draft.order(symbol);
  const p = engine.position(accountId, symbol);
  if (!order) {
    // Only a row this request removed ends the engine's trade: a desk trade has no row at all.
    if (draft.hadOrder(symbol) && p && p.qty > 0) run({ kind: "clear" });
    return fx;
  }
  const entry = Number(order.entryPrice);
  run({
    kind: "sync",
    side: order.action === "buy" ? "long" : "short",
    qty: order.quantity,
    entryPrice: entry,
    openedAtMs: order.timestamp * 1000,
  });
  const levels = draft.levels(symbol);
  // A trade opened on the desk has no levels in the original tables: its own ladder stays unless this call wrote one.
  if (levels.length > 0 || ladderWritten) {
    const ladder = levels
      .filter((l) => l.enabled && !l.hit)
      .map((l) => ({ enabled: true, qty: l.quantity, target: { unit: "price" as const, value: Number(l.price) } }));
    // An order that only changes the size leaves the ladder as the engine already has it: not set again.
    if (!sameLadder(engine.position(accountId, symbol)?.ladder, ladder))
      tolerant("legacy.ladder_not_applied", { kind: "set-ladder", levels: ladder });
  }
  const stop = legacyStop(order.stopLoss, c.tick(symbol), entry);
  const current = engine.position(accountId, symbol)?.stop;
  if (JSON.stringify(current?.config ?? null) === JSON.stringify(stop)) return fx;
  // The same stop in the original's words (a desk stop listed by get_active_orders and sent back): keep the engine's own.
  if (
    current &&
    stop &&
    stop.initial.unit === "price" &&
    stop.initial.value === current.price &&
    stop.kind === (current.trailing ? "trailing" : current.config.kind)
  )
    return fx;
  tolerant("legacy.stop_not_applied", { kind: "set-stop", stop });
  return fx;
}

/** The engine's ladder is exactly these levels, all armed and untouched (nothing pending, filled or refused). */
function sameLadder(
  current: readonly TpLevel[] | undefined,
  wanted: readonly { qty: number; target: { value: number } }[],
): boolean {
  if (!current || current.length !== wanted.length) return false;
  return current.every(
    (l, i) =>
      l.enabled &&
      l.status === "armed" &&
      l.filledQty === 0 &&
      l.qty === wanted[i]!.qty &&
      l.price === wanted[i]!.target.value,
  );
}
