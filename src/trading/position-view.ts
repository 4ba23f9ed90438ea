import { clockCT } from "../shared/exchange-time";
import type { Position, Target, WorkingOrder } from "./engine/types";

const dec = (n: number) => n / 1e9;
/** 1e-9 dollars → dollars with cents, as a number for JSON (display only; stored values stay exact). */
export const usd = (n: bigint) => Number((n >= 0n ? n + 5_000_000n : n - 5_000_000n) / 10_000_000n) / 100;

function target(t: Target) {
  return t.unit === "ticks" ? { unit: "ticks", value: t.value } : { unit: t.unit, value: dec(t.value) };
}

/**
 * A position as the browser and the JSON API see it: decimal prices, dollars with cents, the
 * version to send back with an edit, and live P&L at the last print.
 */
export function positionView(
  p: Position,
  spec: { tick: number; pointValue: bigint } | undefined,
  lastPrice: number | undefined,
  accountName: string,
  market: { orders?: readonly WorkingOrder[]; downSinceMs?: number } = {},
) {
  const open = p.qty > 0;
  const avg = open ? Number(p.cost / BigInt(p.qty)) : 0;
  let unrealized: number | null = null;
  let pnlTicks: number | null = null;
  let pnlPoints: number | null = null;
  if (open && lastPrice && spec) {
    const pts =
      p.side === "long" ? BigInt(lastPrice) * BigInt(p.qty) - p.cost : p.cost - BigInt(lastPrice) * BigInt(p.qty);
    unrealized = usd((pts * spec.pointValue) / 1_000_000_000n);
    pnlTicks = Math.round(Number(pts) / p.qty / spec.tick);
    pnlPoints = Number(pts) / p.qty / 1e9;
  }
  return {
    account: accountName,
    symbol: p.symbol,
    tradeId: p.tradeId || null,
    version: p.version,
    side: open ? p.side : null,
    qty: p.qty,
    avgEntry: open ? dec(avg) : null,
    openedAt: open ? p.openedAtMs : null,
    lastPrice: lastPrice ? dec(lastPrice) : null,
    unrealized,
    pnlTicks,
    /** Per contract. */
    pnlPoints,
    realized: usd(p.realized),
    commissions: usd(p.commissions),
    ladder: p.ladder.map((l, i) => ({
      index: i,
      /** The level's number (TP1 …), kept through edits; `index` is its place, nearest first. */
      n: l.n ?? i + 1,
      enabled: l.enabled,
      qty: l.qty,
      target: target(l.target),
      price: dec(l.price),
      status: l.status,
      filledQty: l.filledQty,
      fillPrice: l.fillPrice !== undefined ? dec(l.fillPrice) : null,
      lastError: l.lastError ?? null,
    })),
    stop: p.stop
      ? {
          kind: p.stop.config.kind,
          price: dec(p.stop.price),
          status: p.stop.status,
          trailing: p.stop.trailing,
          basis: p.stop.basis,
          initial:
            p.stop.config.initial.unit === "atr"
              ? { unit: "atr", multiplier: p.stop.config.initial.multiplier }
              : target(p.stop.config.initial),
          trailBy: p.stop.config.trailBy ? target(p.stop.config.trailBy) : null,
          limitOffsetTicks: p.stop.config.limitOffsetTicks ?? null,
          breakevenAfterTp1: p.stop.config.breakevenAfterTp1 ?? null,
          trailAfterTp1: p.stop.config.trailAfterTp1 ?? false,
          best: p.stop.trailing ? dec(p.best) : null,
        }
      : null,
    timer: p.timer ? { ...p.timer } : null,
    closing: p.closing ? { purpose: p.closing.purpose, reason: p.closing.reason } : null,
    /** Orders of this position not yet filled, with where they stand (docs/trading-rules.md R3.2, R4.1). */
    working: (market.orders ?? [])
      .filter((o) => o.posKey === p.key)
      .map((o) => ({
        orderId: o.id,
        purpose: o.purpose,
        side: o.side,
        qty: o.qty - o.filled,
        type: o.type,
        limitPrice: o.limitPrice !== undefined ? dec(o.limitPrice) : null,
        state: workingState(o, lastPrice),
      })),
    /** No prices for this symbol: stops and take-profits cannot fire (R7.1). */
    unprotected:
      open && market.downSinceMs
        ? { sinceMs: market.downSinceMs, reason: `no prices for ${p.symbol} since ${clockCT(market.downSinceMs)}` }
        : null,
  };
}

function workingState(
  o: WorkingOrder,
  last: number | undefined,
): "sent" | "resting" | "limit passed" | "waiting for a price" {
  if (o.awaitingPrice) return "waiting for a price";
  if (o.status !== "resting") return "sent";
  if (o.type === "market") return "waiting for a price";
  // A stop-limit exit resting while the market is already beyond its limit: it jumped (R3.2).
  if (
    o.purpose === "stop" &&
    last &&
    o.limitPrice !== undefined &&
    (o.side === "sell" ? last < o.limitPrice : last > o.limitPrice)
  )
    return "limit passed";
  return "resting";
}

export type PositionView = ReturnType<typeof positionView>;
