import type { AppErrorCode } from "../../shared/app-error";
/**
 * The trading engine's vocabulary. Prices are integers of 1e-9 (the DBN scale) held in plain
 * numbers — exact for every futures price, so comparisons on the hot path are exact and
 * allocation-free; money (P&L, cost basis) is computed in BigInt.
 */
export type Nanos = number;

export type ActorKind = "user" | "token" | "rule" | "system" | "cli";

/** Who did something: a signed-in browser, an API token, an automated rule, the CLI or the system. */
export interface Actor {
  kind: ActorKind;
  /** Human-readable: "alice (Firefox on Linux)", "token ci-bot", "rule tp-ladder". */
  label: string;
  userId: number | null;
}

export type Side = "long" | "short";
export type OrderSide = "buy" | "sell";
export type AccountKind = "live" | "paper" | "replay";

export interface InstrumentSpec {
  root: string;
  tick: Nanos;
  /** Dollars per 1.0 of price, in 1e-9 dollars (ES 50e9). */
  pointValue: bigint;
  /**
   * Risk limits count a mini and its micro together (docs/trading-rules.md R10): the pair's
   * name (the mini's root) and how many micro contracts one contract of this symbol is (ES 10,
   * MES 1). Absent: the symbol alone, one contract each.
   */
  riskGroup?: string;
  riskWeight?: number;
}

/** An instrument as the engine uses it: with the decimals its prices are shown with. */
export type EngineSpec = InstrumentSpec & { decimals: number };

export interface AccountConfig {
  id: number;
  userId: number;
  kind: AccountKind;
  /** Commission per contract per side, in 1e-9 dollars. */
  commission: bigint;
  risk?: RiskLimits;
}

/** An account's risk limits (R10); each absent one does not apply. */
export interface RiskLimits {
  /** Most micro-equivalent contracts one order may open or add (ES 2 = 20). */
  maxOrder?: number;
  /** Most micro-equivalent contracts open in one product, mini and micro netted. */
  maxPosition?: number;
  /** Loss of the trading day (realized net of commissions, plus open) that flattens and locks, 1e-9 dollars. */
  dailyLoss?: bigint;
  /** Flatten this many minutes before the daily close, and take no new entries until the next session. */
  flattenBeforeCloseMin?: number;
}

/** An account's trading day as the risk rules see it (R10). */
export interface AccountDay {
  /** When this trading day ends (the next session opens): then it starts again at zero, unlocked. */
  untilMs: number;
  /** Realized P&L of the day's fills net of their commissions, 1e-9 dollars. */
  realized: bigint;
  /** New entries refused until `untilMs` (or, after a kill switch, until the trader resumes). */
  lock: { kind: "loss" | "kill"; reason: string; atMs: number } | null;
}

/** Trading days and daily closes, in exchange time (the host's: CME Globex hours). */
export interface SessionCalendar {
  /** The end of the trading day `ms` belongs to (the next session's open). */
  dayEnd(ms: number): number;
  /** The next daily close at or after `ms`. */
  nextClose(ms: number): number;
}

/** A distance or a place, as a trader gives it. */
export type Target =
  | { unit: "points"; value: Nanos }
  | { unit: "ticks"; value: number }
  | { unit: "price"; value: Nanos };

export type LevelStatus = "armed" | "pending" | "filled" | "failed" | "cancelled";

export interface TpLevel {
  /** Stable id: `${tradeId}:tp${n}`, n counted per trade (never reused). */
  id: string;
  /**
   * The level's number as the trader sees it (TP1, TP2 …), kept through edits and re-sorting;
   * a new level takes the next. Missing in state stored before it existed: its place + 1.
   */
  n?: number;
  enabled: boolean;
  qty: number;
  target: Target;
  /** Resolved trigger price (tick-valid, on the profit side). */
  price: Nanos;
  status: LevelStatus;
  filledQty: number;
  attempts: number;
  orderId?: string;
  fillPrice?: Nanos;
  lastError?: string;
}

export type StopKind = "fixed" | "stop-limit" | "trailing";

export interface StopConfig {
  kind: StopKind;
  /** Initial distance from the entry (or a price); ignored for an explicit price. */
  initial: Target | { unit: "atr"; multiplier: number };
  /** Stop-limit: the limit sits this many ticks beyond the stop. */
  limitOffsetTicks?: number;
  /** Trailing distance (kind 'trailing', or after TP1 / breakeven when asked). */
  trailBy?: Target;
  trailAfterTp1?: boolean;
  /** Move the stop to entry ± offset ticks after the first TP fills. */
  breakevenAfterTp1?: { offsetTicks: number; thenTrail: boolean } | null;
}

export interface StopState {
  config: StopConfig;
  /** Trigger price now (tick-valid). */
  price: Nanos;
  /** True once trailing is active (from the start for 'trailing'). */
  trailing: boolean;
  status: "armed" | "pending" | "done" | "failed";
  attempts: number;
  orderId?: string;
  /** Why the stop is where it is, for the UI ("trailing 10 below high 5020.00"). */
  basis: string;
}

export type TimerAction = "hold" | "exit" | "reverse" | "breakeven";

export interface TimerState {
  durationMs: number;
  deadlineMs: number;
  action: TimerAction;
  /** The original's rule (act only when not in profit, else when price returns to entry) or always. */
  mode: "unless-profit" | "regardless";
  phase: "running" | "waiting-for-entry" | "done";
}

export type Purpose = "entry" | "tp" | "stop" | "timer" | "exit" | "reverse" | "risk";

export interface OrderRequest {
  /** Deterministic: the same automated action always gets the same id (idempotency key). */
  id: string;
  accountId: number;
  accountKind: AccountKind;
  symbol: string;
  side: OrderSide;
  qty: number;
  type: "market" | "limit" | "stop-limit";
  limitPrice?: Nanos;
  /** The print that triggered it (paper fills here; webhooks send it as the reference price). */
  refPrice: Nanos;
  purpose: Purpose;
  reason: string;
  tsMs: number;
}

export interface WorkingOrder extends OrderRequest {
  posKey: string;
  /** TP level or stop this order executes, if any. */
  levelId?: string;
  /** Submitted (not yet answered), resting at the venue (a limit not reached, a market order waiting for a print), or sent (2xx, fill price still to come). */
  status: "submitted" | "sent" | "resting";
  /** Contracts filled so far (partial fills). */
  filled: number;
  /** Contracts the broker took with no price known (sent while the feed was down): filled at the next print. */
  awaitingPrice?: number;
}

export interface Fill {
  orderId: string;
  qty: number;
  price: Nanos;
  purpose: Purpose;
  reason: string;
  tsMs: number;
  /** Realized P&L of this fill in 1e-9 dollars (gross, before commission). */
  pnl: bigint;
  commission: bigint;
  /** Webhook orders: a 2xx means "sent"; the fill price is the reference, not a broker's confirmation. */
  assumed: boolean;
  /** True when the fill closed contracts (an exit, or the reducing part of an opposite order). */
  closes?: boolean;
}

export interface Position {
  /** `${accountId}:${symbol}` */
  key: string;
  accountId: number;
  symbol: string;
  /** `${accountId}:${symbol}:${n}`: one trade from open to flat. */
  tradeId: string;
  side: Side;
  qty: number;
  /** Σ entry price × contracts of the open quantity (exact average = cost / qty). */
  cost: bigint;
  openedAtMs: number;
  version: number;
  ladder: TpLevel[];
  nextLevel: number;
  stop: StopState | null;
  timer: TimerState | null;
  /** Best print since entry (high for a long, low for a short), for trailing. */
  best: Nanos;
  realized: bigint;
  commissions: bigint;
  fills: Fill[];
  tpFilled: number;
  /** An exit of the whole position is under way (stop, timer, exit all): nothing else may exit. */
  closing: { orderId: string; purpose: Purpose; reason: string; attempts: number } | null;
  /** Reverse: after the closing fill, open this side with this quantity. */
  reverseTo: { side: Side; qty: number } | null;
  nextOrder: number;
  /** Trades opened on this account+symbol so far (numbers the trade ids). */
  trades: number;
  /** All contracts entered / exited in this trade and their Σ price × qty (the journal's averages). */
  entryQty: number;
  entryCost: bigint;
  exitQty: number;
  exitCost: bigint;
  /** Idempotency keys of the commands applied here in the last 24 h, with when (a retried request is a no-op); bare strings from older versions. */
  recentCommands?: ([string, number] | string)[];
  /** The bracket the current trade was opened with (a reverse reuses it). */
  lastBracket?: Bracket;
  /**
   * What recent versions changed, as [from, to, parts] runs (parts: the PART bits), newest
   * last: an edit based on an older version is refused only if those parts include its own.
   */
  edits?: [number, number, number][];
}

/** What a change touched (docs/trading-rules.md R8.1): a stale edit conflicts only with its own kind. */
export const PART = { size: 1, ladder: 2, stop: 4, trail: 8, timer: 16, state: 32, trade: 64, all: 127 } as const;

/** What a new position starts with when its entry fills (from the ticket, or a reversed trade). */
export interface Bracket {
  ladder?: { enabled: boolean; qty: number; target: Target }[];
  stop?: StopConfig | null;
  /** ATR at the time of the order, for an ATR-based initial stop. */
  atr?: Nanos;
  timer?: { durationMs: number; action: TimerAction; mode: TimerState["mode"] } | null;
}

/** An entry order waiting for its fill, with the bracket that fill applies. */
export interface PendingEntry {
  orderId: string;
  bracket: Bracket;
}

export interface ClosedTrade {
  tradeId: string;
  accountId: number;
  symbol: string;
  side: Side;
  qty: number;
  entry: Nanos;
  exit: Nanos;
  openedAtMs: number;
  closedAtMs: number;
  realized: bigint;
  commissions: bigint;
  fills: Fill[];
  exitReasons: string[];
}

/* ---------- inputs ---------- */

export interface TradeInput {
  type: "trade";
  symbol: string;
  price: Nanos;
  size: number;
  tsMs: number;
}

export interface ClockInput {
  type: "clock";
  nowMs: number;
}

export type Command =
  | {
      kind: "order";
      side: OrderSide;
      qty: number;
      orderType?: "market" | "limit";
      limitPrice?: Nanos;
      refPrice: Nanos;
      bracket?: Bracket;
    }
  | { kind: "record"; side: Side; qty: number; entryPrice: Nanos }
  /** Make the position exactly this (the original API reports positions its client traded itself). */
  | { kind: "sync"; side: Side; qty: number; entryPrice: Nanos; openedAtMs?: number }
  | { kind: "exit"; qty?: number; refPrice?: Nanos }
  /** A resting stop-limit exit (its limit passed) becomes a market order for the same contracts. */
  | { kind: "convert-to-market" }
  | { kind: "clear" }
  /** Withdraw one resting entry order (a limit not reached); exits are managed by their rules. */
  | { kind: "cancel-order"; orderId: string }
  | { kind: "set-ladder"; levels: { enabled: boolean; qty: number; target: Target; n?: number }[] }
  | { kind: "update-level"; index: number; patch: { enabled?: boolean; qty?: number; target?: Target } }
  | { kind: "set-stop"; stop: StopConfig | null; atr?: { value: Nanos } | { unavailable: string } }
  | { kind: "move-stop"; price: Nanos }
  | {
      kind: "set-timer";
      timer: { durationMs: number; action: TimerAction; mode: "unless-profit" | "regardless" } | null;
    };

export interface CommandInput {
  type: "command";
  accountId: number;
  symbol: string;
  command: Command;
  actor: Actor;
  /** Optimistic concurrency: the position version the sender saw. */
  expectedVersion?: number;
  /** A retried request with the same key changes nothing the second time. */
  idempotencyKey?: string;
  tsMs: number;
}

export type ReportInput =
  /** price 0: the broker took the order but no price is known (sent with none): it fills at the next print. */
  | { type: "report"; orderId: string; kind: "filled"; qty: number; price: Nanos; tsMs: number; assumed?: boolean }
  /** The order rests at the venue (a limit not reached; a market order waiting for a print). */
  | { type: "report"; orderId: string; kind: "working"; tsMs: number }
  | { type: "report"; orderId: string; kind: "rejected" | "failed"; reason: string; tsMs: number };

/**
 * Whether prints of a symbol are arriving. Down: the feed is not delivering, or the symbol has
 * been silent while its market is open; every open position of it is unprotected until the
 * next print (which brings it back up by itself).
 */
export interface FeedInput {
  type: "feed";
  symbol: string;
  up: boolean;
  /** Since when no prices have come (down), or when they came back (up). */
  sinceMs: number;
  tsMs: number;
}

/** An account-wide action: the kill switch (flatten everything, lock entries) and resuming after it. */
export interface AccountInput {
  type: "account";
  accountId: number;
  action: "kill" | "resume";
  actor: Actor;
  tsMs: number;
}

export type EngineInput = TradeInput | ClockInput | CommandInput | ReportInput | FeedInput | AccountInput;

/* ---------- effects ---------- */

export interface EngineEvent {
  kind: string;
  accountId: number;
  symbol: string;
  tradeId: string | null;
  actor: Actor;
  reason: string;
  data: Record<string, unknown>;
  tsMs: number;
}

export type Effect =
  | { type: "submit"; order: OrderRequest }
  /** A resting order is withdrawn (the engine already forgot it; the adapter drops it). */
  | { type: "cancel"; order: WorkingOrder; reason: string }
  | { type: "event"; event: EngineEvent /** The position's key (`${accountId}:${symbol}`). */; key: string }
  | { type: "changed"; key: string; accountId: number; symbol: string }
  | { type: "closed"; trade: ClosedTrade }
  /** An order filled by the engine itself (one the broker took without a price, filled at the next print): its row says so. */
  | { type: "filled"; orderId: string; filled: number; done: boolean; note: string }
  /** An account's trading day changed (realized, lock): stored with the step. */
  | { type: "day"; accountId: number; day: AccountDay };

/**
 * What a step changed, per position key: its events in order, or none for a position reported
 * "changed" without any (a moved stop). Whoever announces changes groups effects with this.
 */
export function noteChange(
  changes: Map<string, EngineEvent[]>,
  f: Extract<Effect, { type: "event" | "changed" }>,
): void {
  const list = changes.get(f.key);
  if (f.type === "changed") {
    if (!list) changes.set(f.key, []);
  } else if (list) list.push(f.event);
  else changes.set(f.key, [f.event]);
}

export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
    readonly current?: unknown,
    /** A code more precise than the status's, carried to the answer (e.g. account_moved). */
    readonly code?: AppErrorCode,
  ) {
    super(message);
  }
}
