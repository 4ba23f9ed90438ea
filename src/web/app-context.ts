import type { Kysely } from "kysely";
import type { ApiTokensService } from "../auth/api-tokens-service";
import type { FailureLimiter } from "../auth/rate-limit";
import type { SessionsService } from "../auth/sessions-service";
import type { SetupToken } from "../auth/setup-token";
import type { UsersService } from "../auth/users-service";
import type { NatsLink } from "../cluster/nats-link";
import type { RequestForwarding } from "../cluster/request-forwarding";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import type { ArchiveService } from "../market-data/archive/archive-service";
import type { BarHistory } from "../market-data/archive/bar-history";
import type { InstrumentRegistry } from "../market-data/instruments/instrument-registry";
import type { MarketDataService } from "../market-data/service/market-data-service";
import type { Database } from "../persistence/database";
import type { ShardLeases } from "../persistence/shard-leases";
import type { ReplayService } from "../replay/replay-service";
import type { SecretsStore } from "../security/secrets";
import type { EngineService } from "../trading/engine-service";
import type { PaperAdapter } from "../trading/execution/paper-adapter";
import type { LegacyEngineBridge } from "../trading/legacy/engine-bridge";
import type { LegacyOrdersService } from "../trading/legacy/legacy-orders-service";
import type { SettingsService } from "../trading/settings-service";
import type { AlertsService } from "../trading/alerts/alerts-service";
import type { RiskService } from "../trading/risk-service";
import type { TradingService } from "../trading/trading-service";
import type { PriceHub } from "./realtime/hub";
import type { UserMessages } from "./realtime/user-messages";
import type { CredentialSockets } from "./socket-credentials";

/*
 * What the web layer serves from, declared where it is used: the routes and sockets see the
 * services through this one interface, and src/app builds it (createAppContext), so nothing here
 * imports the wiring above it.
 */
/** The services every front end (HTML pages, JSON API, CLI) works through. */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  dbKind: "postgres" | "pglite";
  users: UsersService;
  sessions: SessionsService;
  tokens: ApiTokensService;
  secrets: SecretsStore;
  legacyOrders: LegacyOrdersService;
  /** Keeps the original API's tables and the engine in step. */
  legacyBridge: LegacyEngineBridge;
  setup: SetupToken;
  /** Failed logins: 5 per username and 20 per client address in 15 minutes. */
  loginLimits: { byUser: FailureLimiter; byAddress: FailureLimiter };
  /** Live prices to browser sockets. */
  priceHub: PriceHub;
  /** The feed, bars and price bus; started by the server (not by tests of other parts). */
  marketData: MarketDataService;
  /** One-minute bars of the archived symbols (Postgres), backfilled from Databento's Historical API. */
  archive: ArchiveService;
  /** Catalogue overridden by the feed's instrument definitions (tick size, point value). */
  instruments: InstrumentRegistry;
  /** The trading engine with its persistence and execution. */
  engine: EngineService;
  paper: PaperAdapter;
  /** Validated trading operations over the engine (both APIs and the pages use it). */
  trading: TradingService;
  /** Risk limits per account and the kill switch. */
  risk: RiskService;
  /** Price alerts, watched on every print. */
  alerts: AlertsService;
  /** Per-user preferences and per-symbol trade defaults. */
  settings: SettingsService;
  /** Replay sessions: each on its own engine and account, never near the live one. */
  replay: ReplayService;
  /** Recent bars and ATR for every symbol. */
  barHistory: BarHistory;
  /** Open sockets by credential: closed when it is signed out or revoked. */
  sockets: CredentialSockets;
  /** On a shared Postgres: which shards of users this instance runs the engine for (none on PGlite: it runs them all). */
  leases: ShardLeases | undefined;
  /** With NATS_URL: the link to the other instances and the forwarding of requests to the owner. */
  cluster: { link: NatsLink; forwarding: RequestForwarding } | undefined;
  /** A user's private messages to their browsers, wherever they are connected. */
  userMessages: UserMessages;
  startedAt: Date;
}
