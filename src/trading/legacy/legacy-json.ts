import type { OrderWrite, Side, TpLevelWrite } from "../../persistence/repositories/orders-repo";
import { fixedToNumber } from "../../shared/fixed-point";

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

export function orderJson(symbol: string, o: OrderWrite): LegacyOrderJson {
  return {
    symbol,
    action: o.action,
    quantity: o.quantity,
    entry_price: fixedToNumber(o.entryPrice),
    timestamp: o.timestamp,
    stop_loss: o.stopLoss ?? null,
  };
}

export function levelJson(l: TpLevelWrite): LegacyTpJson {
  return {
    enabled: l.enabled,
    quantity: l.quantity,
    target: fixedToNumber(l.target),
    price: fixedToNumber(l.price),
    hit: l.hit,
  };
}
