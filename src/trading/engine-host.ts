import type { AtrResult, AtrSettings } from "../market-data/bars/atr";
import type { TradingEngine } from "./engine/engine";
import type { AccountConfig, CommandInput, InstrumentSpec, Position } from "./engine/types";

/**
 * What the trading service needs from whoever runs an engine: the live engine service for
 * live and paper accounts, a replay session for its own account. Commands carry the host's
 * time, so a replay's trades are stamped in replay time.
 */
export interface EngineHost {
  readonly engine: TradingEngine;
  spec(symbol: string): (InstrumentSpec & { decimals: number }) | undefined;
  account(id: number): (AccountConfig & { name: string }) | undefined;
  /** Throws EngineError (4xx) with nothing changed, or resolves once the change is durable. */
  command(input: CommandInput): Promise<Position | undefined>;
  reloadAccounts(): Promise<void>;
  /** A replay's account settings live in its session: a commission change is handed over here. */
  setCommission?(commission: bigint): void;
  now(): number;
  /** ATR as of the host's time; absent → the live archive's. */
  atr?(symbol: string, s: AtrSettings): Promise<AtrResult>;
}
