import type { ColumnType, Generated, Kysely } from "kysely";
import type { ActorKind } from "../trading/engine/types";

/** timestamptz columns with a database default. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** numeric(30,9) arrives as a decimal string; writes take the same exact text. */
type Numeric = ColumnType<string, string, string>;
/** int8 arrives as a string from pg; the app converts where it needs a number. */
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  created_at: Timestamp;
  /** May change server-wide settings (the Databento keys); the first user is one. */
  is_admin: Generated<boolean>;
}

export type AccountKind = "live" | "paper" | "replay";

export interface AccountsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  kind: AccountKind;
  created_at: Timestamp;
  /** Dollars per contract per side. */
  commission: ColumnType<string, string | undefined, string>;
  execution: ColumnType<"paper" | "webhook", "paper" | "webhook" | undefined, "paper" | "webhook">;
  /** Risk limits (R10), null when off: contracts micro-equivalent, dollars, minutes. */
  max_order: ColumnType<number | null, number | null | undefined, number | null>;
  max_position: ColumnType<number | null, number | null | undefined, number | null>;
  daily_loss: ColumnType<string | null, string | null | undefined, string | null>;
  flatten_before_close: ColumnType<number | null, number | null | undefined, number | null>;
  /** The desk asks before an order of more contracts than this. */
  confirm_above: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A user's price alert on a symbol (trading/alerts). */
export interface PriceAlertsTable {
  id: Generated<number>;
  user_id: number;
  symbol: string;
  direction: "above" | "below";
  /** Decimal, exact (1e-9). */
  price: string;
  repeat: ColumnType<boolean, boolean | undefined, boolean>;
  armed: ColumnType<boolean, boolean | undefined, boolean>;
  fired_count: ColumnType<number, number | undefined, number>;
  fired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
}

/** An account's trading day as the engine keeps it (risk limits): JSON with BigInt as "123n". */
export interface EngineAccountDaysTable {
  account_id: number;
  state: unknown;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  user_agent: Generated<string>;
  ip: Generated<string>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: RequiredTimestamp;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface OrdersTable {
  id: Generated<number>;
  account_id: number;
  symbol: string;
  action: "buy" | "sell";
  quantity: number;
  entry_price: Numeric;
  timestamp: Int8;
  stop_loss: ColumnType<unknown, string | null, string | null>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TakeProfitLevelsTable {
  id: Generated<number>;
  account_id: number;
  symbol: string;
  enabled: boolean;
  quantity: number;
  target: Numeric;
  price: Numeric;
  hit: boolean;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SecretsTable {
  scope: string;
  name: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  hint: string;
  updated_at: Timestamp;
}

/** Owned by the engine (who did what is part of its vocabulary); the events table stores it. */
export type { ActorKind };

export interface EventsTable {
  id: ColumnType<string, never, never>;
  at: Timestamp;
  actor_kind: ActorKind;
  actor: string;
  user_id: number | null;
  account_id: number | null;
  symbol: string | null;
  kind: string;
  reason: string;
  data: ColumnType<unknown, string, never>;
  trade_id: ColumnType<string | null, string | null | undefined, never>;
}

type Json = ColumnType<unknown, string, string>;

export interface EnginePositionsTable {
  key: string;
  account_id: number;
  symbol: string;
  qty: number;
  version: number;
  state: Json;
  updated_at: Timestamp;
}

export interface EngineOrdersTable {
  id: string;
  account_id: number;
  symbol: string;
  purpose: string;
  status: "working" | "filled" | "rejected" | "failed" | "cancelled";
  qty: number;
  filled: Generated<number>;
  order: Json;
  bracket: ColumnType<unknown, string | null | undefined, string | null>;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserSettingsTable {
  user_id: number;
  key: string;
  value: Json;
  version: Generated<number>;
  updated_at: Timestamp;
}

export interface ReplayFilesTable {
  id: Generated<number>;
  user_id: number;
  kind: "upload" | "historical";
  name: string;
  sha256: string;
  bytes: Int8;
  schema: string;
  symbols: Json;
  start_ms: Int8;
  end_ms: Int8;
  records: Int8;
  request: ColumnType<unknown, string | null | undefined, string | null>;
  cost: ColumnType<string | null, string | null | undefined, string | null>;
  path: string;
  created_at: Timestamp;
}

export interface ReplaySessionsTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  source: Json;
  state: string;
  replay_ms: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  summary: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
  ended_at: NullableTimestamp;
}

export interface ClosedTradesTable {
  trade_id: string;
  account_id: number;
  symbol: string;
  side: "long" | "short";
  qty: number;
  entry: Numeric;
  exit: Numeric;
  opened_at: RequiredTimestamp;
  closed_at: RequiredTimestamp;
  realized: Numeric;
  commissions: Numeric;
  exit_reasons: Json;
  fills: Json;
  tags: ColumnType<string[], string[] | undefined, string[]>;
}

export interface Ohlcv1mTable {
  dataset: string;
  symbol: string;
  ts: RequiredTimestamp;
  contract: string;
  instrument_id: Int8;
  open: Numeric;
  high: Numeric;
  low: Numeric;
  close: Numeric;
  volume: Int8;
  source: "databento" | "trades" | "simulated";
}

/** A shard of accounts (by user) and the lease of the instance that runs its engine (see shard-leases.ts). */
export interface EngineShardsTable {
  shard: number;
  owner: string | null;
  /** Grows with every change of owner: the fencing token every engine write checks. */
  epoch: Int8;
  expires_at: NullableTimestamp;
}

/** A job one instance of a cluster does for all (the feed), with its holder's lease. */
export interface ClusterLeasesTable {
  /** "feed": the feed's lease; "deployment": this deployment's name on NATS (in owner). */
  name: string;
  owner: string | null;
  epoch: Generated<Int8>;
  expires_at: NullableTimestamp;
}

/** A running instance, as it notes itself every second. */
export interface EngineInstancesTable {
  id: string;
  host: string;
  pid: number;
  started_at: RequiredTimestamp;
  seen_at: RequiredTimestamp;
  url: string | null;
}

/** A roll waiting for open positions: the symbol stays on `contract` until they are closed. */
export interface HeldRollsTable {
  symbol: string;
  contract: string;
  next_contract: string;
  since: RequiredTimestamp;
}

export interface Database {
  engine_shards: EngineShardsTable;
  engine_instances: EngineInstancesTable;
  cluster_leases: ClusterLeasesTable;
  held_rolls: HeldRollsTable;
  users: UsersTable;
  accounts: AccountsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  orders: OrdersTable;
  take_profit_levels: TakeProfitLevelsTable;
  secrets: SecretsTable;
  events: EventsTable;
  ohlcv_1m: Ohlcv1mTable;
  engine_positions: EnginePositionsTable;
  engine_account_days: EngineAccountDaysTable;
  price_alerts: PriceAlertsTable;
  engine_orders: EngineOrdersTable;
  closed_trades: ClosedTradesTable;
  user_settings: UserSettingsTable;
  replay_files: ReplayFilesTable;
  replay_sessions: ReplaySessionsTable;
}

export type DB = Kysely<Database>;
