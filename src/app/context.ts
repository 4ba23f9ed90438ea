import { join } from "node:path";
import type { Kysely } from "kysely";
import { ApiTokensService } from "../auth/api-tokens-service";
import { FailureLimiter } from "../auth/rate-limit";
import { SessionsService } from "../auth/sessions-service";
import { SetupToken } from "../auth/setup-token";
import { UsersService } from "../auth/users-service";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import type { Database } from "../persistence/database";
import { loadSecretKey, SecretsStore } from "../security/secrets";
import { LegacyOrdersService } from "../trading/legacy/legacy-orders-service";
import { PriceHub } from "../market-data/stream/price-hub";
import { MarketDataService, type FeedConfig } from "../market-data/service/market-data-service";

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
  setup: SetupToken;
  /** Failed logins: 5 per username and 20 per client address in 15 minutes. */
  loginLimits: { byUser: FailureLimiter; byAddress: FailureLimiter };
  /** Live prices to browser sockets. */
  priceHub: PriceHub;
  /** The feed, bars and price bus; started by the server (not by tests of other parts). */
  marketData: MarketDataService;
  startedAt: Date;
}

export function feedConfig(config: Config): FeedConfig {
  const kind = config.FEED === "auto" ? (config.DATABENTO_API_KEY ? "databento" : "simulated") : config.FEED === "databento" ? "databento" : "simulated";
  const gw = config.DATABENTO_GATEWAY?.split(":");
  return {
    kind,
    apiKey: config.DATABENTO_API_KEY,
    gateway: gw ? { host: gw[0]!, port: Number(gw[1]) } : undefined,
    simSeed: config.SIM_SEED,
  };
}

export function createAppContext(config: Config, logger: Logger, db: Kysely<Database>, dbKind: AppContext["dbKind"]): AppContext {
  const hub = new PriceHub();
  return {
    config,
    logger,
    db,
    dbKind,
    users: new UsersService(db),
    sessions: new SessionsService(db, config.SESSION_TTL_HOURS * 3_600_000),
    tokens: new ApiTokensService(db),
    secrets: new SecretsStore(db, loadSecretKey(config.SECRET_KEY, join(config.DATA_DIR, "secret.key"))),
    legacyOrders: new LegacyOrdersService(db),
    setup: new SetupToken(),
    loginLimits: { byUser: new FailureLimiter(5, 15 * 60_000), byAddress: new FailureLimiter(20, 15 * 60_000) },
    priceHub: hub,
    marketData: new MarketDataService(feedConfig(config), hub, logger.child({ component: "market-data" })),
    startedAt: new Date(),
  };
}
