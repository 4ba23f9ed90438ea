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
  startedAt: Date;
}

export function createAppContext(config: Config, logger: Logger, db: Kysely<Database>, dbKind: AppContext["dbKind"]): AppContext {
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
    priceHub: new PriceHub(),
    startedAt: new Date(),
  };
}
